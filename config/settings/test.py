"""pytest: fast hashing, no HSTS on the test client's plain HTTP."""

import os

os.environ.setdefault("KEFU_SECRET_KEY", "test-only-key-0123456789abcdef0123456789abcdef")
os.environ["KEFU_DEBUG"] = "false"

from config.settings.base import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
SECURE_HSTS_SECONDS = 0
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# 4xx responses are what many tests are about; keep their warnings out of the output.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}

from kefu.core.crypto import derive_key  # noqa: E402

KEFU_FIELD_KEYS = KEFU_FIELD_KEYS or [derive_key(SECRET_KEY, "field")]
KEFU_HASH_KEY = KEFU_HASH_KEY or derive_key(SECRET_KEY, "hash")

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default", "scans"]}}
KEFU_ALLOW_PRIVATE_ENDPOINTS = True  # the tests' providers are local servers
