"""Settings shared by every environment. Every variable is read through django-environ."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("KEFU_SECRET_KEY")
DEBUG = env.bool("KEFU_DEBUG", default=False)
ALLOWED_HOSTS = env.list("KEFU_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("KEFU_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "kefu.core",
    "kefu.orgs",
    "kefu.accounts",
    "kefu.properties",
    "kefu.audit",
    "kefu.customers",
    "kefu.standards",
    "kefu.tickets",
    "kefu.notifications",
    "kefu.surveys",
    "kefu.engagements",
    "kefu.portal",
    "kefu.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kefu.accounts.middleware.IdleTimeoutMiddleware",
    "kefu.orgs.middleware.MembershipMiddleware",
    "kefu.core.access.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kefu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "kefu.core.context_processors.shell",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL=postgres://... switches to PostgreSQL (psycopg 3).
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("KEFU_DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kefu.accounts.backends.StaffBackend"]

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kefu",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kefu.accounts.passwords.CharacterClassValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout: this many failures for one account within the window lock it for the window.
KEFU_LOGIN_MAX_FAILURES = env.int("KEFU_LOGIN_MAX_FAILURES", default=5)
KEFU_LOGIN_LOCKOUT_MINUTES = env.int("KEFU_LOGIN_LOCKOUT_MINUTES", default=15)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("KEFU_SESSION_MAX_AGE", default=60 * 60 * 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the hx-headers attribute, not the cookie

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "kefu" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("KEFU_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# Uploads: an Excel workbook of a large project is a few MB; anything far beyond is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
KEFU_IMPORT_MAX_BYTES = env.int("KEFU_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

# Personal data at rest: Fernet keys (comma-separated, first encrypts, all decrypt) and the key
# of the hashes that find an ID number without decrypting. Production sets both; development
# and tests derive them from the secret key.
KEFU_FIELD_KEYS = env.list("KEFU_FIELD_KEYS", default=[])
KEFU_HASH_KEY = env("KEFU_HASH_KEY", default="")

# Only behind a proxy that sets it may X-Forwarded-For name the client (login records, limits).
KEFU_TRUST_X_FORWARDED_FOR = env.bool("KEFU_TRUST_X_FORWARDED_FOR", default=False)

# Security headers on every response.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env.int("KEFU_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("KEFU_HSTS_PRELOAD", default=True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

from config.settings.api import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401
from config.settings.logging import LOGGING  # noqa: E402, F401
from config.settings.tasks import KEFU_SCHEDULE, RQ_QUEUES, TASKS  # noqa: E402, F401

# Ticket photos: what a phone camera produces, checked as images by Pillow before they are kept.
KEFU_ATTACHMENT_MAX_BYTES = env.int("KEFU_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
KEFU_ATTACHMENTS_PER_TICKET = env.int("KEFU_ATTACHMENTS_PER_TICKET", default=20)

# The address staff and customers reach Kefu at: links in messages (notifications) use it.
KEFU_BASE_URL = env("KEFU_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Outbox workers: how long a claimed message is theirs before another worker may take it over.
KEFU_OUTBOX_LEASE_SECONDS = env.int("KEFU_OUTBOX_LEASE_SECONDS", default=120)
# Channel endpoints (webhook URLs, provider API addresses) on internal networks are refused
# unless this is on: server-side request forgery. Development turns it on for the local sandbox.
KEFU_ALLOW_PRIVATE_ENDPOINTS = env.bool("KEFU_ALLOW_PRIVATE_ENDPOINTS", default=DEBUG)
