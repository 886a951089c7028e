"""`make bench`: its own database (never the demo's), production-like: DEBUG off."""

import os

os.environ.setdefault("KEFU_SECRET_KEY", "bench-only-key-0123456789abcdef0123456789abcdef")
os.environ["KEFU_DEBUG"] = "false"

from config.settings.base import *
from config.settings.base import BASE_DIR, DATABASES, env

if "DATABASE_URL" not in os.environ:
    DATABASES["default"]["NAME"] = str(BASE_DIR / "bench-out" / "bench.sqlite3")
else:
    DATABASES["default"] = {**DATABASES["default"], **env.db_url("DATABASE_URL")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

from kefu.core.crypto import derive_key  # noqa: E402

KEFU_FIELD_KEYS = KEFU_FIELD_KEYS or [derive_key(SECRET_KEY, "field")]
KEFU_HASH_KEY = KEFU_HASH_KEY or derive_key(SECRET_KEY, "hash")
