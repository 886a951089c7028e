"""WeChat Official Account (微信公众号) template messages.

The account's AppID and AppSecret buy an access token (GET /cgi-bin/token), cached for every
worker in `tokens`; the message goes out with POST /cgi-bin/message/template/send. WeChat answers
HTTP 200 with `errcode` for everything it understood, so refusals are read from the body.

WeChat deduplicates on (openid, client_msg_id) for about ten minutes, so a retry after a lost
answer does not show the user the message twice; we pass our idempotency key there.

When the account's server configuration points at us, WeChat later pushes a
TEMPLATESENDJOBFINISH event per message (plaintext mode: `parse_event`; the query string carries
the signature that `verify_signature` checks against the configured token).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.notifications.channels import tokens
from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    Sent,
    SettingField,
    TransportError,
)
from kefu.notifications.channels.reports import StatusReport

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_TIMEOUT_SECONDS = 10
# The token was refused: 40001 invalid or not the latest, 42001 expired, 40014 malformed.
TOKEN_ERRORS = frozenset({40001, 42001, 40014})
CLIENT_MSG_ID_MAX_LENGTH = 64
TEMPLATE_SEND_JOB_FINISH = "TEMPLATESENDJOBFINISH"


# --- HTTP shared with the WeCom adapter (same vendor, same errcode/errmsg answers) ---

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _forget_client() -> None:
    # A forked worker must open its own connections, not write into its parent's sockets.
    global _client, _client_lock
    _client, _client_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_client)


def http_client() -> httpx.Client:
    """One connection pool per process: a new TLS handshake per message is what makes a batch slow."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
    return _client


def call(
    channel: str,
    method: str,
    url: str,
    *,
    params: dict[str, str],
    timeout: float,
    json: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Tencent API call: the decoded JSON body, or TransportError / ConfigurationError."""
    try:
        response = http_client().request(method, url, params=params, json=json, timeout=timeout)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise ConfigurationError(gettext("The API base URL is not valid: %(error)s") % {"error": error}) from error
    except httpx.TimeoutException as error:
        raise TransportError(channel, f"timed out after {timeout:g} s: {type(error).__name__}") from error
    except httpx.HTTPError as error:
        # The message may hold the URL, and the URL the secret or the token: name the error only.
        raise TransportError(channel, type(error).__name__) from error
    if response.status_code != 200:
        # Tencent answers every refusal with 200 and an errcode; anything else is a proxy or an outage.
        raise TransportError(channel, f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError as error:
        raise TransportError(channel, "answer is not JSON") from error
    if not isinstance(answer, dict):
        raise TransportError(channel, "answer is not a JSON object")
    return answer


def errcode(answer: dict[str, Any]) -> int:
    try:
        return int(answer.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def read_timeout(config: ChannelSettings, channel_name: str) -> float:
    try:
        timeout = float(config.get("timeout") or DEFAULT_TIMEOUT_SECONDS)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(
            gettext("The %(channel)s timeout must be a number of seconds.") % {"channel": channel_name}
        ) from error
    if timeout <= 0:
        raise ConfigurationError(
            gettext("The %(channel)s timeout must be a number of seconds.") % {"channel": channel_name}
        )
    return timeout


def read_api_base(config: ChannelSettings, default: str) -> str:
    api_base = str(config.get("api_base") or default).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigurationError(gettext("The API base URL must be an http(s) URL."))
    return api_base


def missing_settings(config: ChannelSettings, names: tuple[str, ...], channel_name: str) -> None:
    missing = [name for name in names if not (config.get(name) or config.secret(name))]
    if missing:
        raise ConfigurationError(
            gettext("The %(channel)s channel is missing settings: %(names)s.")
            % {"channel": channel_name, "names": ", ".join(missing)}
        )


# --- The adapter ---


def client_msg_id(idempotency_key: str) -> str:
    """Our key as WeChat's client_msg_id (at most 64 characters): a longer key becomes its SHA-256,
    the same for every attempt so that WeChat still deduplicates retries."""
    if len(idempotency_key.encode()) <= CLIENT_MSG_ID_MAX_LENGTH:
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


class WechatOfficialAccountAdapter:
    channel: ClassVar[str] = CHANNEL
    fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(
            "api_base",
            _("API base URL"),
            required=False,
            default=DEFAULT_API_BASE,
            kind="url",
            help_text=_("Leave the default unless your network reaches WeChat through a proxy."),
        ),
        SettingField(
            "app_id", _("AppID"), help_text=_("From the WeChat Official Accounts Platform (开发 › 基本配置).")
        ),
        SettingField("app_secret", _("AppSecret"), secret=True),
        SettingField(
            "callback_token",
            _("Server configuration token"),
            secret=True,
            required=False,
            help_text=_("The Token entered under server configuration; it proves that event pushes come from WeChat."),
        ),
        SettingField("timeout", _("Timeout (seconds)"), required=False, default=DEFAULT_TIMEOUT_SECONDS, kind="int"),
    )

    def __init__(self, config: ChannelSettings) -> None:
        channel_name = gettext("WeChat Official Account")
        missing_settings(config, ("app_id", "app_secret"), channel_name)
        self.api_base = read_api_base(config, DEFAULT_API_BASE)
        self.app_id = str(config.get("app_id") or config.secret("app_id"))
        self.app_secret = config.secret("app_secret")
        self.callback_token = config.secret("callback_token")
        self.timeout = read_timeout(config, channel_name)
        # The token belongs to the AppID: another secret for the same AppID gets the same token.
        self.token_key = tokens.token_key(CHANNEL, self.api_base, self.app_id)

    def fetch_token(self) -> tuple[str, int]:
        answer = call(
            CHANNEL,
            "GET",
            f"{self.api_base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
            timeout=self.timeout,
        )
        code = errcode(answer)
        if code == 0 and answer.get("access_token"):
            return str(answer["access_token"]), int(answer.get("expires_in") or 7200)
        logger.warning("WeChat refused an access token for %s: %s", self.app_id, code)
        if code == 40001:
            # Here 40001 means a wrong AppSecret (WeChat's code table: "AppSecret 错误，或者 access_token
            # 无效"); the table's 40001 row is about a refused token, which is temporary.
            raise ConfigurationError(
                gettext("WeChat refused the AppID and AppSecret (%(errcode)s: %(errmsg)s).")
                % {"errcode": code, "errmsg": answer.get("errmsg", "")}
            )
        # 40013 bad AppID, 40125 bad AppSecret, 40164 our IP is not on the allow list.
        raise ProviderError(CHANNEL, str(code), str(answer.get("errmsg", "")))

    def payload(self, message: Outgoing) -> dict[str, Any]:
        if not message.provider_template:
            raise ConfigurationError(
                gettext("The event %(event)s has no WeChat template id.") % {"event": message.event}
            )
        payload: dict[str, Any] = {
            "touser": message.address,
            "template_id": message.provider_template,
            "client_msg_id": client_msg_id(message.idempotency_key),
            "data": {name: {"value": value} for name, value in message.params.items()},
        }
        if message.url:
            payload["url"] = message.url
        return payload

    def send(self, message: Outgoing) -> Sent:
        payload = self.payload(message)
        token = tokens.get(self.token_key, self.fetch_token)
        answer = self._post(token, payload)
        code = errcode(answer)
        if code in TOKEN_ERRORS:
            # Expired early, or another process fetched a newer one: refresh once and try again.
            logger.info("WeChat refused access token %s (%s); refreshing", self.token_key, code)
            token = tokens.get(self.token_key, self.fetch_token, stale=token)
            answer = self._post(token, payload)
            code = errcode(answer)
        if code != 0:
            raise ProviderError(CHANNEL, str(code), str(answer.get("errmsg", "")))
        return Sent(
            provider_message_id=str(answer.get("msgid", "")), detail={"client_msg_id": payload["client_msg_id"]}
        )

    def verify_push(self, timestamp: str, nonce: str, signature: str) -> bool:
        """Whether an event push carries this account's signature; never, without a token."""
        return bool(self.callback_token) and verify_signature(self.callback_token, timestamp, nonce, signature)

    def _post(self, token: str, payload: dict[str, Any]) -> dict[str, Any]:
        return call(
            CHANNEL,
            "POST",
            f"{self.api_base}/cgi-bin/message/template/send",
            params={"access_token": token},
            json=payload,
            timeout=self.timeout,
        )


# --- Event pushes ---


def signature_for(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's push signature: SHA-1 of token, timestamp and nonce, sorted and concatenated."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def verify_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    if not (token and timestamp and nonce and signature):
        return False
    return hmac.compare_digest(signature_for(token, timestamp, nonce), signature.strip().lower())


# A DTD is the door to entity expansion (billion laughs) and external entities; WeChat never sends one.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

_STATUS_TEXT = {
    "success": _("Delivered to the user"),
    "failed:user block": _("The user blocked messages from this account"),
    "failed: system failed": _("WeChat failed to deliver the message"),
}


def parse_event(xml: bytes) -> StatusReport | None:
    """A TEMPLATESENDJOBFINISH push as a StatusReport; None for any other event or message.

    Raises ValueError for anything that is not a well-formed push without a DTD.
    """
    if _DTD.search(xml):
        raise ValueError("XML with a DTD or entity declaration is refused")
    try:
        root = ET.fromstring(xml)  # noqa: S314 - no DTD can reach here, so no entities either
    except ET.ParseError as error:
        raise ValueError(f"malformed XML: {error}") from error
    if root.tag != "xml":
        raise ValueError(f"unexpected root element <{root.tag}>")
    if _text(root, "MsgType") != "event" or _text(root, "Event") != TEMPLATE_SEND_JOB_FINISH:
        return None
    msg_id = _text(root, "MsgID")
    if not msg_id:
        raise ValueError("TEMPLATESENDJOBFINISH without MsgID")
    status = _text(root, "Status")
    created = _text(root, "CreateTime")
    return StatusReport(
        provider_message_id=msg_id,
        # WeChat does not echo client_msg_id: the outbox finds the message by its msgid.
        idempotency_key="",
        delivered=status == "success",
        code=status,
        description=str(_STATUS_TEXT.get(status, status)),
        at=datetime.fromtimestamp(int(created), tz=UTC) if created.isdigit() else None,
    )


def _text(root: ET.Element, tag: str) -> str:
    element = root.find(tag)
    return (element.text or "").strip() if element is not None else ""
