"""A local Aliyun SMS (dysmsapi 2017-05-25 SendSms) that checks requests as the real one does.

It verifies the RPC signature V1 with its own implementation of the published algorithm
(https://help.aliyun.com/document_detail/28839.html), not with the adapter's code, so a test
against it shows that the adapter signs the way Aliyun checks. Gateway refusals (missing
parameter, expired timestamp, reused nonce, unknown key, wrong signature) come back with HTTP
4xx; business refusals with HTTP 200 and an `isv.*` code, as the real service answers.

The real SendSms does not deduplicate. This fake does, by OutId, so that a test can count
how many messages would have reached a phone twice: the second request with an OutId already
accepted is answered with the first BizId and counted in `duplicates`, not added to `accepted`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kefu.notifications.channels.base import ChannelSettings

ACCESS_KEY_ID = "LTAI5tFakeAccessKeyId"
ACCESS_KEY_SECRET = "fake-access-key-secret"  # noqa: S105 - a test credential, known to the fake only
SIGN_NAME = "华景物业"
TEMPLATE_CODE = "SMS_460770001"
TEMPLATE_PARAMS = ("ticket", "status")

COMMON_PARAMS = (
    "AccessKeyId",
    "Action",
    "Format",
    "RegionId",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Signature",
    "Timestamp",
    "Version",
)
BUSINESS_PARAMS = ("PhoneNumbers", "SignName", "TemplateCode")
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
INTERNATIONAL = re.compile(r"00(?!86)[1-9]\d{5,14}")
MAX_NUMBERS = 1000
MAX_OUT_ID = 256

MESSAGES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少对应参数值",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
    "isv.INVALID_PARAMETERS": "参数异常",
    "isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.BLACK_KEY_CONTROL_LIMIT": "黑名单管控",
    "isp.SYSTEM_ERROR": "系统错误",
}


def _encode(value: str) -> str:
    # Written byte by byte from the published rule rather than with urllib, on purpose.
    return "".join(chr(byte) if byte in UNRESERVED else f"%{byte:02X}" for byte in value.encode("utf-8"))


def expected_signature(params: Mapping[str, str], secret: str, method: str) -> tuple[str, str]:
    """(signature, string to sign) for the parameters, the way the Aliyun gateway computes them."""
    pairs = sorted((_encode(key), _encode(value)) for key, value in params.items() if key != "Signature")
    canonical = "&".join(f"{key}={value}" for key, value in pairs)
    to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    mac = hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii"), to_sign


def as_phone_numbers(phone: str) -> str:
    """A number as SendSms takes it: E.164 mainland digits lose their 86, others gain 00."""
    digits = phone.removeprefix("+")
    if digits.startswith("00") or MAINLAND_MOBILE.fullmatch(digits):
        return digits
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return f"00{digits}"


@dataclass(frozen=True)
class AcceptedSms:
    biz_id: str
    out_id: str
    phone_numbers: tuple[str, ...]
    sign_name: str
    template_code: str
    params: dict[str, Any]
    request_id: str
    at: float


@dataclass
class Refusal:
    status: int
    code: str
    message: str
    params: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message or MESSAGES.get(code, code)


class FakeAliyunSms:
    """POST / (form-encoded, or GET with a query) as dysmsapi.aliyuncs.com answers SendSms."""

    def __init__(
        self,
        *,
        access_keys: Mapping[str, str] | None = None,
        sign_names: Iterable[str] = (SIGN_NAME,),
        templates: Mapping[str, Iterable[str]] | None = None,
        rate_limit: tuple[int, float] | None = None,
        max_clock_skew: float = 15 * 60,
    ) -> None:
        self.access_keys = dict(access_keys or {ACCESS_KEY_ID: ACCESS_KEY_SECRET})
        self.sign_names = set(sign_names)
        self.templates = {
            code: frozenset(names) for code, names in (templates or {TEMPLATE_CODE: TEMPLATE_PARAMS}).items()
        }
        # (count, seconds) per number and template, like the console's 流控 setting; None = off.
        self.rate_limit = rate_limit
        self.max_clock_skew = max_clock_skew
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._biz_ids = itertools.count(1)
        # A restarted fake listens on its first port again, like a provider coming back; the
        # demo's provider sandbox sets a fixed one before start().
        self._port = 0
        self.reset()

    # --- lifecycle ---

    def start(self) -> FakeAliyunSms:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = server.server_address[1]
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        # Kept-alive connections would otherwise go on being served after the listener closed,
        # and a stopped provider must refuse everything.
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeAliyunSms:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def channel_settings(self, **overrides: Any) -> ChannelSettings:
        """Settings for AliyunSmsAdapter that this fake accepts; override any field."""
        secret = overrides.pop("access_key_secret", ACCESS_KEY_SECRET)
        settings: dict[str, Any] = {
            "endpoint": self.url,
            "access_key_id": ACCESS_KEY_ID,
            "sign_name": SIGN_NAME,
            "region_id": "cn-hangzhou",
            "timeout": 5,
        }
        settings.update(overrides)
        return ChannelSettings(settings=settings, secrets={"access_key_secret": secret})

    # --- what it received ---

    def reset(self) -> None:
        with self._lock:
            self._accepted: list[AcceptedSms] = []
            self._by_out_id: dict[str, AcceptedSms] = {}
            self._refusals: list[Refusal] = []
            self._nonces: set[str] = set()
            self._sent_at: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            self._duplicates = 0
            self._requests = 0
            self._fail_next: deque[tuple[int, str]] = deque()
            self._fail_numbers: dict[str, str] = {}
            self._latency = 0.0

    @property
    def accepted(self) -> list[AcceptedSms]:
        with self._lock:
            return list(self._accepted)

    @property
    def refusals(self) -> list[Refusal]:
        with self._lock:
            return list(self._refusals)

    @property
    def duplicates(self) -> int:
        with self._lock:
            return self._duplicates

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    # --- scripting ---

    def fail_next(self, n: int, status: int = 500, code: str = "InternalError") -> None:
        """Answer the next `n` requests with `status` (and `code` in the body), before any check."""
        with self._lock:
            self._fail_next.extend([(status, code)] * n)

    def fail_number(self, phone: str, code: str) -> None:
        """Refuse every send to `phone` (E.164 or as SendSms takes it) with the business `code`."""
        with self._lock:
            self._fail_numbers[as_phone_numbers(phone)] = code

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self._latency = seconds

    # --- the service ---

    def handle(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4()).upper()
        with self._lock:
            self._requests += 1
            scripted = self._fail_next.popleft() if self._fail_next else None
            latency = self._latency
        if latency:
            self._stopping.wait(latency)
        if scripted is not None:
            status, code = scripted
            return status, {"RequestId": request_id, "Code": code, "Message": "The request processing has failed."}
        try:
            accepted = self._send(method, params, request_id)
        except _Refused as refused:
            with self._lock:
                self._refusals.append(Refusal(refused.status, refused.code, refused.message, params))
            return refused.status, {"RequestId": request_id, "Code": refused.code, "Message": refused.message}
        return 200, {"Message": "OK", "RequestId": request_id, "Code": "OK", "BizId": accepted.biz_id}

    def _send(self, method: str, params: dict[str, str], request_id: str) -> AcceptedSms:
        self._check_gateway(method, params)
        phones, template_params = self._check_business(params)
        out_id = params.get("OutId", "")
        now = time.time()
        with self._lock:
            if out_id and out_id in self._by_out_id:
                self._duplicates += 1
                return self._by_out_id[out_id]
            if self.rate_limit is not None:
                self._take_rate(phones, params["TemplateCode"], now)
            accepted = AcceptedSms(
                biz_id=f"{next(self._biz_ids):015d}^0",
                out_id=out_id,
                phone_numbers=phones,
                sign_name=params["SignName"],
                template_code=params["TemplateCode"],
                params=template_params,
                request_id=request_id,
                at=now,
            )
            self._accepted.append(accepted)
            if out_id:
                self._by_out_id[out_id] = accepted
        return accepted

    def _check_gateway(self, method: str, params: dict[str, str]) -> None:
        for name in COMMON_PARAMS:
            if not params.get(name):
                raise _Refused(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params["Action"] != "SendSms":
            raise _Refused(
                404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
            )
        if params["Version"] != "2017-05-25":
            raise _Refused(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise _Refused(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        try:
            sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError as error:
            raise _Refused(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            ) from error
        if abs(time.time() - sent_at) > self.max_clock_skew:
            raise _Refused(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        secret = self.access_keys.get(params["AccessKeyId"])
        if secret is None:
            raise _Refused(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signature, to_sign = expected_signature(params, secret, method)
        if not hmac.compare_digest(signature, params["Signature"]):
            raise _Refused(
                400,
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}",
            )
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                raise _Refused(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(params["SignatureNonce"])

    def _check_business(self, params: dict[str, str]) -> tuple[tuple[str, ...], dict[str, Any]]:
        for name in BUSINESS_PARAMS:
            if not params.get(name):
                raise _Refused(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params["SignName"] not in self.sign_names:
            raise _Refused(200, "isv.SMS_SIGNATURE_ILLEGAL")
        required = self.templates.get(params["TemplateCode"])
        if required is None:
            raise _Refused(200, "isv.SMS_TEMPLATE_ILLEGAL")
        template_params: dict[str, Any] = {}
        if params.get("TemplateParam"):
            try:
                template_params = json.loads(params["TemplateParam"])
            except json.JSONDecodeError as error:
                raise _Refused(200, "isv.INVALID_JSON_PARAM") from error
            if not isinstance(template_params, dict):
                raise _Refused(200, "isv.INVALID_JSON_PARAM")
        if not required <= template_params.keys():
            missing = ", ".join(sorted(required - template_params.keys()))
            raise _Refused(200, "isv.TEMPLATE_MISSING_PARAMETERS", f"模板变量缺少对应参数值: {missing}")
        phones = tuple(params["PhoneNumbers"].split(","))
        if len(phones) > MAX_NUMBERS or not all(
            MAINLAND_MOBILE.fullmatch(phone) or INTERNATIONAL.fullmatch(phone) for phone in phones
        ):
            raise _Refused(200, "isv.MOBILE_NUMBER_ILLEGAL")
        if len(params.get("OutId", "")) > MAX_OUT_ID:
            raise _Refused(200, "isv.INVALID_PARAMETERS", "OutId is longer than 256 characters")
        with self._lock:
            for phone in phones:
                if phone in self._fail_numbers:
                    raise _Refused(200, self._fail_numbers[phone])
        return phones, template_params

    def _take_rate(self, phones: tuple[str, ...], template: str, now: float) -> None:
        # Called under the lock; either every number gets a slot or none does.
        assert self.rate_limit is not None
        count, window = self.rate_limit
        windows = [self._sent_at[(phone, template)] for phone in phones]
        for sent in windows:
            while sent and now - sent[0] >= window:
                sent.popleft()
            if len(sent) >= count:
                raise _Refused(200, "isv.BUSINESS_LIMIT_CONTROL")
        for sent in windows:
            sent.append(now)


class _Handler(BaseHTTPRequestHandler):
    owner: FakeAliyunSms
    # Keep-alive, so that a benchmark measures the outbox rather than TCP handshakes; without
    # TCP_NODELAY the separate header and body writes meet delayed ACKs, 40 ms a request.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner._connections.add(self.connection)

    def handle(self) -> None:
        # A client killed mid-request (the worker-kill test) is not the fake's error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._connections.discard(self.connection)
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        self._answer("POST", body)

    def do_GET(self) -> None:
        self._answer("GET", "")

    def _answer(self, method: str, body: str) -> None:
        split = urlsplit(self.path)
        if split.path not in ("", "/"):
            self._write(404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found."})
            return
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        status, answer = self.owner.handle(method, params)
        self._write(status, answer)

    def _write(self, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nothing to answer.
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass
