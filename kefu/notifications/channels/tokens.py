"""Provider access tokens (WeChat, WeCom), shared by every worker process through Django's cache.

WeChat and WeCom give a token for about two hours and limit how many tokens an account may fetch
a day (WeChat: 2,000). Fetching a new WeChat token also starts retiring the old one, so workers
that each fetched their own would keep invalidating each other. The token therefore lives in the
shared cache (Redis in production) and a short lock made with `cache.add` lets one worker fetch
while the others wait for its result.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Stop using a token this long before the provider says it expires, so that a message sent
# just before the end does not reach the provider with a token that has just died.
MARGIN_SECONDS = 300
# The lock outlives any sane fetch (the HTTP timeout is 10 s by default); if its holder is
# killed, the lock expires by itself.
LOCK_SECONDS = 30
# How long a worker waits for the lock holder's token before fetching one itself.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02

# Returns (access_token, expires_in seconds); raises the adapter's own errors.
Fetch = Callable[[], tuple[str, int]]


def token_key(channel: str, *identity: str) -> str:
    """The cache key of one account's token: two organisations never share one.

    `identity` is everything that makes a token distinct (API base, appid or corpid, and for WeCom
    the agent and a digest of its secret). It is hashed so that secrets and odd characters never
    end up in a cache key.
    """
    digest = hashlib.sha256("\x1f".join(identity).encode()).hexdigest()[:40]
    return f"notifications:token:{channel}:{digest}"


def get(key: str, fetch: Fetch, *, stale: str | None = None) -> str:
    """The cached token, fetched on a miss by one worker at a time.

    `stale` is a token the provider has just refused: it counts as a miss. Passing it instead of
    deleting the key first means that when many workers meet the same expired token at once,
    those that arrive after the refresh pick up the new token instead of throwing it away.
    """
    token = _cached(key, stale)
    if token:
        return token
    lock_key = f"{key}:lock"
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if cache.add(lock_key, owner, LOCK_SECONDS):
            try:
                # Another worker may have stored a token between our read and taking the lock.
                token = _cached(key, stale)
                if token:
                    return token
                return _fetch_and_store(key, fetch)
            finally:
                if cache.get(lock_key) == owner:
                    cache.delete(lock_key)
        time.sleep(POLL_SECONDS)
        token = _cached(key, stale)
        if token:
            return token
        if time.monotonic() >= deadline:
            logger.warning("Access token lock %s held too long; fetching without it", key)
            return _fetch_and_store(key, fetch)


def invalidate(key: str, token: str | None = None) -> None:
    """Forget the cached token; with `token`, only if it is still that one (not a newer one)."""
    if token is None or cache.get(key) == token:
        cache.delete(key)


def _cached(key: str, stale: str | None) -> str:
    token = cache.get(key)
    if not token or token == stale:
        return ""
    return str(token)


def _fetch_and_store(key: str, fetch: Fetch) -> str:
    token, expires_in = fetch()
    # Test servers hand out tokens that live seconds, not hours: keep half their life then.
    ttl = expires_in - MARGIN_SECONDS if expires_in > 2 * MARGIN_SECONDS else expires_in // 2
    if ttl > 0:
        cache.set(key, token, ttl)
    logger.info("Fetched access token %s (expires in %s s, cached %s s)", key, expires_in, max(ttl, 0))
    return token
