"""Production: HTTPS behind a proxy, secure cookies, JSON logs. KEFU_SECRET_KEY is required."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("KEFU_LOG_JSON", "true")

from config.settings.base import *
from config.settings.base import env

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("KEFU_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

if not KEFU_FIELD_KEYS or not KEFU_HASH_KEY:
    raise ImproperlyConfigured("Set KEFU_FIELD_KEYS and KEFU_HASH_KEY: personal data is encrypted with them.")
