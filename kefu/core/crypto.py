"""Encryption at rest and keyed hashes for personal data (ID numbers).

An ID number is stored encrypted (Fernet: AES-128-CBC + HMAC) and found by a keyed hash
(HMAC-SHA256), so a lookup never decrypts the table and a stolen table without the keys
reveals neither the numbers nor a way to test guesses against them.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    # Several keys: the first encrypts, all decrypt, so keys can be rotated.
    return MultiFernet([Fernet(key.encode()) for key in settings.KEFU_FIELD_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or damaged value") from exc


def keyed_hash(value: str) -> str:
    """A stable, keyed digest of a normalised value, for equality lookups."""
    return hmac.new(settings.KEFU_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def derive_key(secret: str, purpose: str) -> str:
    """A Fernet key derived from a secret, for development and tests only."""
    raw = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode()
