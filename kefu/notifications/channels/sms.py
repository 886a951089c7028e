"""SMS through Aliyun SMS (阿里云短信服务, dysmsapi 2017-05-25, SendSms).

The request is an RPC-style call signed with signature V1 (HMAC-SHA1): every parameter, sorted
and percent-encoded per RFC 3986, is signed with the AccessKey secret followed by "&"
(https://help.aliyun.com/document_detail/28839.html). Aliyun answers business refusals with HTTP
200 and a `Code` other than "OK", and gateway refusals (signature, key, nonce) with HTTP 4xx and
the same JSON shape, so both are read the same way.

SendSms does not deduplicate: a retry after a lost answer sends a second SMS. `OutId` carries our
idempotency key so that delivery reports (and a human reading the console) can tie both back to
one outbox message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
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
from kefu.notifications.channels.reports import StatusReport
from kefu.notifications.classification import BEIJING

logger = logging.getLogger(__name__)

CHANNEL = "sms"
API_VERSION = "2017-05-25"
ACTION = "SendSms"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_TIMEOUT_SECONDS = 10
MAINLAND_PREFIX = "86"
# Aliyun documents OutId as at most 256 characters.
OUT_ID_MAX_LENGTH = 256

# What Aliyun expects back from our delivery report endpoint; it only checks that `code` is a
# number and that the HTTP status is 200 (https://help.aliyun.com/document_detail/101867.html).
REPORT_ACK: dict[str, Any] = {"code": 0, "msg": "接收成功"}


_client_lock = threading.Lock()
_client: httpx.Client | None = None
_client_pid = 0


def shared_client() -> httpx.Client:
    """One pooled client per process. Building a client loads the CA bundle (about 20 ms of CPU),
    too slow to do per message; a client inherited through fork would share the parent's sockets."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            _client = httpx.Client()
            _client_pid = os.getpid()
        return _client


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it: only A-Z a-z 0-9 - _ . ~ stay bare."""
    return quote(value, safe="~")


def string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    canonical = "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params) if key != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """The base64 HMAC-SHA1 signature V1 of an RPC request's parameters (Signature excluded)."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def phone_numbers_param(address: str) -> str:
    """E.164 digits to SendSms's PhoneNumbers: 11 bare digits for the mainland, else 00 + digits."""
    digits = address.removeprefix("+")
    if not digits.isdigit():
        raise ProviderError(CHANNEL, "isv.MOBILE_NUMBER_ILLEGAL", "not an E.164 number")
    if digits.startswith(MAINLAND_PREFIX) and len(digits) == len(MAINLAND_PREFIX) + 11:
        return digits[len(MAINLAND_PREFIX) :]
    return f"00{digits}"


class AliyunSmsAdapter:
    channel: ClassVar[str] = CHANNEL
    fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(
            "endpoint",
            _("API endpoint"),
            required=False,
            default=DEFAULT_ENDPOINT,
            kind="url",
            help_text=_("Leave the default unless Aliyun gave you another endpoint."),
        ),
        SettingField("access_key_id", _("AccessKey ID")),
        SettingField(
            "access_key_secret",
            _("AccessKey secret"),
            secret=True,
            help_text=_("Use a RAM user that may only send SMS."),
        ),
        SettingField(
            "sign_name",
            _("SMS sign name"),
            help_text=_("The approved sign name shown in brackets at the start of every message."),
        ),
        SettingField("region_id", _("Region"), required=False, default=DEFAULT_REGION),
        SettingField("timeout", _("Timeout (seconds)"), required=False, default=DEFAULT_TIMEOUT_SECONDS, kind="int"),
    )

    def __init__(self, config: ChannelSettings) -> None:
        self.endpoint = str(config.get("endpoint") or DEFAULT_ENDPOINT)
        self.access_key_id = str(config.get("access_key_id") or config.secret("access_key_id"))
        self.access_key_secret = config.secret("access_key_secret")
        self.sign_name = str(config.get("sign_name"))
        self.region_id = str(config.get("region_id") or DEFAULT_REGION)
        try:
            self.timeout = float(config.get("timeout") or DEFAULT_TIMEOUT_SECONDS)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(gettext("The SMS timeout must be a number of seconds.")) from error
        missing = [
            name
            for name, value in (
                ("access_key_id", self.access_key_id),
                ("access_key_secret", self.access_key_secret),
                ("sign_name", self.sign_name),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                gettext("The SMS channel is missing settings: %(names)s.") % {"names": ", ".join(missing)}
            )
        if not self.endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(gettext("The SMS endpoint must be an http(s) URL."))

    def request_params(self, message: Outgoing, *, nonce: str, timestamp: datetime) -> dict[str, str]:
        """The signed parameters of one SendSms call."""
        if not message.provider_template:
            raise ConfigurationError(
                gettext("The event %(event)s has no SMS template code.") % {"event": message.event}
            )
        if len(message.idempotency_key) > OUT_ID_MAX_LENGTH:
            raise ValueError(f"idempotency key longer than Aliyun's OutId limit of {OUT_ID_MAX_LENGTH}")
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": ACTION,
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": phone_numbers_param(message.address),
            "SignName": self.sign_name,
            "TemplateCode": message.provider_template,
            "OutId": message.idempotency_key,
        }
        if message.params:
            params["TemplateParam"] = json.dumps(message.params, ensure_ascii=False, separators=(",", ":"))
        params["Signature"] = sign(params, self.access_key_secret, "POST")
        return params

    def send(self, message: Outgoing) -> Sent:
        params = self.request_params(message, nonce=str(uuid.uuid4()), timestamp=timezone.now())
        body = "&".join(f"{percent_encode(key)}={percent_encode(value)}" for key, value in params.items())
        try:
            response = shared_client().post(
                self.endpoint,
                content=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as error:
            raise TransportError(CHANNEL, f"timed out after {self.timeout:g} s: {error}") from error
        except httpx.HTTPError as error:
            raise TransportError(CHANNEL, f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise TransportError(CHANNEL, f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise TransportError(CHANNEL, f"HTTP {response.status_code} without a JSON body") from error
        if not isinstance(answer, dict) or not answer.get("Code"):
            raise TransportError(CHANNEL, f"HTTP {response.status_code} without a Code in the answer")
        code = str(answer["Code"])
        if code != "OK":
            logger.info("Aliyun SMS refused %s: %s", message.idempotency_key, code)
            raise ProviderError(CHANNEL, code, str(answer.get("Message", "")))
        return Sent(provider_message_id=str(answer.get("BizId", "")), detail={"request_id": answer.get("RequestId")})


def _report_time(value: object) -> datetime | None:
    # Aliyun writes report times as Beijing wall-clock time without a zone.
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _delivered(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"SMS status report: 'success' must be a boolean, got {value!r}")


def parse_status_report(body: bytes) -> list[StatusReport]:
    """Aliyun's HTTP-push SmsReport: a JSON array with one object per message and carrier answer."""
    try:
        items = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"SMS status report is not UTF-8 JSON: {error}") from error
    if not isinstance(items, list):
        raise ValueError(f"SMS status report must be a JSON array, got {type(items).__name__}")
    reports = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"SMS status report item {index} is not an object")
        biz_id = item.get("biz_id")
        if not isinstance(biz_id, str) or not biz_id:
            raise ValueError(f"SMS status report item {index} has no biz_id")
        if "success" not in item:
            raise ValueError(f"SMS status report item {index} has no 'success'")
        reports.append(
            StatusReport(
                provider_message_id=biz_id,
                idempotency_key=str(item.get("out_id") or ""),
                delivered=_delivered(item["success"]),
                code=str(item.get("err_code") or ""),
                description=str(item.get("err_msg") or ""),
                at=_report_time(item.get("report_time")),
            )
        )
    return reports
