"""Signed webhooks: one HTTP POST of JSON per notification to a URL the organisation chose.

The request
-----------
``POST <url>`` with ``Content-Type: application/json; charset=utf-8`` and a UTF-8 JSON body::

    {
      "id": "12|ticket:42:event:310|endpoint|webhook",  # the delivery id (see X-Kefu-Delivery)
      "event": "ticket.escalated",
      "sent_at": "2025-03-03T01:00:00.123456+00:00",   # when this attempt was made (UTC, ISO 8601)
      "subject": "…", "body": "…", "url": "https://…", # the rendered notification
      "data": {…}                                      # the event's structured data
    }

Headers:

- ``X-Kefu-Event``: the event name, also in the body.
- ``X-Kefu-Delivery``: the delivery id. It is the same on every retry of the same notification, so
  a receiver that stores the ids it has processed can ignore repeats. Kefu delivers **at least
  once**: after a timeout or an error response it sends again.
- ``X-Kefu-Timestamp``: the time of this attempt in Unix seconds.
- ``X-Kefu-Signature``: ``sha256=`` followed by the lower-case hex HMAC-SHA256 of
  ``<X-Kefu-Timestamp> + "." + <the raw request body bytes>``, keyed with the webhook's secret
  (its UTF-8 bytes).

Checking a request
------------------
1. Take the raw body bytes as received, before any JSON parsing.
2. Compute ``"sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))`` and compare it with
   ``X-Kefu-Signature`` in constant time (Python: ``hmac.compare_digest``).
3. Reject a timestamp more than five minutes away from your clock, so that a captured request
   cannot be replayed later. A retry is signed again with a new timestamp.
4. Answer ``2xx`` quickly (within 10 seconds) and do the work afterwards. Any other answer means
   "not delivered": ``5xx``, ``408`` and timeouts are retried with backoff; ``429`` is retried a
   minute later; ``401``/``403``/``404``/``410`` and redirects stop deliveries to the URL until
   an administrator fixes the configuration; other ``4xx`` drop that one notification.

Python example::

    import hashlib, hmac, time

    def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header) and abs(time.time() - int(timestamp)) <= 300

A JSON response ``{"id": "…"}`` is optional; when present, its ``id`` is kept as the provider's
message id on the delivery log.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import ssl
from typing import Any, ClassVar

import httpx
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    Sent,
    SettingField,
    TransportError,
)

CHANNEL = "webhook"
SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300
USER_AGENT = "Kefu-Webhook/1"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Kefu-Signature header value for `body` sent at `timestamp`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether `header` is our signature of `body` at `timestamp`, and `timestamp` is recent."""
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = timezone.now().timestamp() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body).encode(), (header or "").strip().encode())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle, ~20 ms: more than the whole request to a nearby
    # receiver. A context is safe to share between threads.
    return httpx.create_ssl_context()


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class WebhookAdapter:
    channel: ClassVar[str] = CHANNEL
    fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField("url", _("URL"), kind="url", help_text=_("An http:// or https:// address that accepts POST.")),
        SettingField(
            "secret",
            _("Signing secret"),
            secret=True,
            help_text=_("Shared with the receiver, which checks the X-Kefu-Signature header with it."),
        ),
        SettingField("timeout", _("Timeout (seconds)"), kind="int", default=10),
    )

    def __init__(self, config: ChannelSettings, *, client: httpx.Client | None = None) -> None:
        self.url = str(config.get("url") or "").strip()
        self.secret = config.secret("secret")
        # A float is accepted so that tests can use sub-second timeouts.
        self.timeout = _as_float(config.get("timeout"), 10.0)
        # A long-lived client reuses connections (and TLS sessions) across sends; without one,
        # each send opens its own connection.
        self.client = client
        try:
            parsed = httpx.URL(self.url)
        except httpx.InvalidURL as exc:
            raise ConfigurationError(gettext("The webhook URL is not valid.")) from exc
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            raise ConfigurationError(gettext("The webhook URL must start with http:// or https://."))
        if not self.secret:
            raise ConfigurationError(gettext("The webhook signing secret is not set."))

    def payload(self, message: Outgoing, *, sent_at: str) -> dict[str, Any]:
        return {
            "id": message.idempotency_key,
            "event": message.event,
            "sent_at": sent_at,
            "subject": message.subject,
            "body": message.body,
            "url": message.url,
            "data": message.data,
        }

    def send(self, message: Outgoing) -> Sent:
        now = timezone.now()
        timestamp = str(int(now.timestamp()))
        body = json.dumps(
            self.payload(message, sent_at=now.isoformat()),
            ensure_ascii=False,
            separators=(",", ":"),
            cls=DjangoJSONEncoder,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Kefu-Event": message.event,
            "X-Kefu-Delivery": message.idempotency_key,
            "X-Kefu-Timestamp": timestamp,
            "X-Kefu-Signature": signature(self.secret, timestamp, body),
        }
        try:
            if self.client is not None:
                response = self.client.post(self.url, content=body, headers=headers, timeout=self.timeout)
            else:
                # Redirects are not followed: a POST that is redirected is a configuration to fix.
                response = httpx.post(
                    self.url, content=body, headers=headers, timeout=self.timeout, verify=_tls_context()
                )
        except httpx.TimeoutException as exc:
            raise TransportError(CHANNEL, f"timed out after {self.timeout:g} s: {exc!r}") from exc
        except httpx.UnsupportedProtocol as exc:
            raise ConfigurationError(gettext("The webhook URL must start with http:// or https://.")) from exc
        except httpx.HTTPError as exc:
            raise TransportError(CHANNEL, f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return Sent(
                provider_message_id=self._receiver_id(response) or message.idempotency_key, detail={"status": status}
            )
        text = response.text[:200]
        if status >= 500:
            raise TransportError(CHANNEL, f"HTTP {status}: {text}")
        raise ProviderError(CHANNEL, str(status), text)

    @staticmethod
    def _receiver_id(response: httpx.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            return ""
        if isinstance(data, dict) and isinstance(data.get("id"), str | int) and not isinstance(data["id"], bool):
            return str(data["id"])[:200]
        return ""
