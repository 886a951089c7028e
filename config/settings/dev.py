"""Local development and `make demo`: SQLite, debug on, plain HTTP."""

import os

os.environ.setdefault("KEFU_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
os.environ.setdefault("KEFU_DEBUG", "true")

from config.settings.base import *

SECURE_HSTS_SECONDS = 0

from kefu.core.crypto import derive_key  # noqa: E402

KEFU_FIELD_KEYS = KEFU_FIELD_KEYS or [derive_key(SECRET_KEY, "field")]
KEFU_HASH_KEY = KEFU_HASH_KEY or derive_key(SECRET_KEY, "hash")
