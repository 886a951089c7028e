"""Local stand-ins for the WeChat Official Account and WeCom APIs, for tests and benchmarks.

Each fake is a real HTTP server on 127.0.0.1 (an ephemeral port) that speaks the documented
endpoints the adapters use, with the same errcode answers, and can be scripted to fail:

    with FakeWechat(app_id="wx1", app_secret="s") as wechat:
        wechat.approve_template("TPL", ("thing1", "time2"))
        wechat.refuse("openid-x", 43101)
        wechat.expire_tokens()      # every token issued so far now answers 42001
        wechat.fail_next(2)         # the next two sends answer HTTP 500
        ... WechatOfficialAccountAdapter(ChannelSettings({"api_base": wechat.url, ...}, {...})) ...
        assert len(wechat.accepted) == 1 and wechat.token_requests == 1

They are thread-safe (one lock around all state) and keep connections alive, so a benchmark can
push thousands of requests through them.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

# Endpoints that failures can be scripted for.
SEND = "send"
TOKEN = "token"  # noqa: S105 - an endpoint name
ANY = "any"


@dataclass(frozen=True)
class Delivery:
    """One message the fake accepted (or recognised as a duplicate of one it had accepted)."""

    address: str
    body: dict[str, Any]
    msgid: str


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many workers connecting at once must not find the listen queue full (the default is 5).
    request_queue_size = 256


class _TencentFake:
    """What WeChat and WeCom have in common: access tokens, errcode answers, scripting."""

    token_path: ClassVar[str]
    send_path: ClassVar[str]
    invalid_token_errcode: ClassVar[int]

    def __init__(self, *, token_lifetime: int = 7200, latency: float = 0.0) -> None:
        self.token_lifetime = token_lifetime
        # Seconds every request waits before it is answered.
        self.latency = latency
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> monotonic time it expires
        self._token_requests = 0
        self._http_failures: dict[str, list[int]] = {}  # endpoint -> [count, status]
        self._errcode_failures: dict[str, list[Any]] = {}  # endpoint -> [count, errcode, errmsg]
        self._refusals: dict[str, tuple[int, str]] = {}
        self._quota: int | None = None
        self._accepted: list[Delivery] = []
        self._duplicates: list[Delivery] = []
        self._received: list[Received] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        # 0: an ephemeral port; the demo's provider sandbox sets a fixed one before start().
        self.port = 0

    # --- lifecycle ---

    def start(self) -> Self:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = _Server(("127.0.0.1", self.port), Handler)
        # A short poll interval makes stop() quick; the default half second adds up over a test run.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        # Kept-alive connections outlive the listening socket; close them so that "the server is
        # down" really means nobody answers.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- scripting ---

    def expire_tokens(self) -> None:
        """Every token issued so far answers 42001 (expired) from now on; new ones work."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def fail_next(self, n: int, status: int = 500, *, endpoint: str = SEND) -> None:
        """Answer the next `n` requests to `endpoint` ("send", "token" or "any") with HTTP `status`."""
        with self._lock:
            self._http_failures[endpoint] = [n, status]

    def errcode_next(self, n: int, errcode: int, errmsg: str = "system error", *, endpoint: str = SEND) -> None:
        """Answer the next `n` requests to `endpoint` with HTTP 200 and this errcode (-1: busy)."""
        with self._lock:
            self._errcode_failures[endpoint] = [n, errcode, errmsg]

    def refuse(self, address: str, errcode: int, errmsg: str = "refused") -> None:
        """Answer every message to `address` with this errcode (43101: the user refuses)."""
        with self._lock:
            self._refusals[address] = (errcode, errmsg)

    def set_quota(self, n: int | None) -> None:
        """Accept `n` more messages in total, then answer 45009 (daily quota); None: no limit."""
        with self._lock:
            self._quota = None if n is None else len(self._accepted) + n

    # --- what was received ---

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    @property
    def accepted(self) -> list[Delivery]:
        with self._lock:
            return list(self._accepted)

    @property
    def duplicates(self) -> list[Delivery]:
        with self._lock:
            return list(self._duplicates)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def reset(self) -> None:
        """Forget what was received and scripted; issued tokens stay valid."""
        with self._lock:
            self._token_requests = 0
            self._http_failures.clear()
            self._errcode_failures.clear()
            self._refusals.clear()
            self._quota = None
            self._accepted.clear()
            self._duplicates.clear()
            self._received.clear()
            self._reset_extra()

    # --- the protocol (subclasses fill in the endpoint specifics) ---

    def handle(self, method: str, target: str, raw: bytes) -> tuple[int, bytes]:
        split = urlsplit(target)
        query = {name: values[0] for name, values in parse_qs(split.query).items()}
        endpoint = {self.token_path: TOKEN, self.send_path: SEND}.get(split.path)
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self._received.append(Received(method, split.path, query, raw))
            if endpoint is None:
                return 404, b"not found"
            status = self._take(self._http_failures, endpoint)
            if status is not None:
                return status[0], b"<html><body>scripted failure</body></html>"
            if endpoint == TOKEN:
                self._token_requests += 1
            scripted = self._take(self._errcode_failures, endpoint)
            if scripted is not None:
                return _json({"errcode": scripted[0], "errmsg": scripted[1]})
            if endpoint == TOKEN:
                return _json(self._token(query))
            return _json(self._send(query, raw))

    def _take(self, failures: dict[str, list[Any]], endpoint: str) -> list[Any] | None:
        for key in (endpoint, ANY):
            scripted = failures.get(key)
            if scripted and scripted[0] > 0:
                scripted[0] -= 1
                return scripted[1:]
        return None

    def _issue_token(self) -> dict[str, Any]:
        token = f"{secrets.token_urlsafe(24)}"
        self._tokens[token] = time.monotonic() + self.token_lifetime
        return {"access_token": token, "expires_in": self.token_lifetime}

    def _token_error(self, query: dict[str, str]) -> dict[str, Any] | None:
        token = query.get("access_token", "")
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        expires_at = self._tokens.get(token)
        if expires_at is None:
            return {"errcode": self.invalid_token_errcode, "errmsg": "invalid credential, access_token is invalid"}
        if time.monotonic() >= expires_at:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def _quota_reached(self) -> bool:
        return self._quota is not None and len(self._accepted) >= self._quota

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def _send(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        raise NotImplementedError

    def _reset_extra(self) -> None:
        raise NotImplementedError

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive: a benchmark should measure us, not a TCP handshake per request.
    protocol_version = "HTTP/1.1"
    fake: ClassVar[_TencentFake]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle waits for the client's ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake.track(self.connection, open_=True)

    def finish(self) -> None:
        self.fake.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = self.fake.handle(method, self.path, raw)
        self.send_response(status)
        is_json = body.startswith(b"{")
        self.send_header("Content-Type", "application/json; encoding=utf-8" if is_json else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _json(answer: dict[str, Any]) -> tuple[int, bytes]:
    return 200, json.dumps(answer, ensure_ascii=False).encode()


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


class FakeWechat(_TencentFake):
    """WeChat Official Account: GET /cgi-bin/token and POST /cgi-bin/message/template/send.

    Duplicates (same touser and client_msg_id) are recognised for as long as the fake runs;
    WeChat promises about ten minutes.
    """

    token_path = "/cgi-bin/token"  # noqa: S105
    send_path = "/cgi-bin/message/template/send"
    invalid_token_errcode = 40001

    def __init__(
        self,
        *,
        app_id: str = "wx0000000000000001",
        app_secret: str = "fake-app-secret",  # noqa: S107 - a test server's own
        templates: dict[str, Iterable[str]] | None = None,
        followers: Iterable[str] | None = None,
        token_lifetime: int = 7200,
        latency: float = 0.0,
    ) -> None:
        super().__init__(token_lifetime=token_lifetime, latency=latency)
        self.app_id = app_id
        self.app_secret = app_secret
        # template id -> the data keys it needs; None: any template id, any data.
        self._templates = None if templates is None else {tid: set(keys) for tid, keys in templates.items()}
        # None: every openid follows the account.
        self._followers = None if followers is None else set(followers)
        self._msgids = itertools.count(200228332)
        self._seen: dict[tuple[str, str], str] = {}
        self._oauth_codes: dict[str, tuple[str, str]] = {}  # code -> (openid, unionid)
        self._oauth_used: set[str] = set()

    def approve_template(self, template_id: str, keys: Iterable[str]) -> None:
        with self._lock:
            self._templates = self._templates or {}
            self._templates[template_id] = set(keys)

    def add_followers(self, *openids: str) -> None:
        with self._lock:
            self._followers = (self._followers or set()) | set(openids)

    def _reset_extra(self) -> None:
        self._seen.clear()
        self._oauth_codes.clear()

    # --- web sign-in (网页授权): GET /sns/oauth2/access_token, added for the customer portal ---

    oauth_path = "/sns/oauth2/access_token"

    def add_oauth_code(self, code: str, openid: str, unionid: str = "") -> None:
        """Let `code` (what WeChat appends to the sign-in callback) be exchanged once for `openid`."""
        with self._lock:
            self._oauth_codes[code] = (openid, unionid)

    def handle(self, method: str, target: str, raw: bytes) -> tuple[int, bytes]:
        split = urlsplit(target)
        if split.path != self.oauth_path:
            return super().handle(method, target, raw)
        query = {name: values[0] for name, values in parse_qs(split.query).items()}
        with self._lock:
            self._received.append(Received(method, split.path, query, raw))
            return _json(self._oauth(query))

    def _oauth(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("code", "")
        if code in self._oauth_used:
            return {"errcode": 40163, "errmsg": "code been used"}
        identity = self._oauth_codes.pop(code, None)
        if identity is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self._oauth_used.add(code)
        openid, unionid = identity
        answer: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "expires_in": 7200,
            "refresh_token": secrets.token_urlsafe(24),
            "openid": openid,
            "scope": "snsapi_base",
        }
        if unionid:
            answer["unionid"] = unionid
        return answer

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return self._issue_token()

    def _send(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        error = self._token_error(query)
        if error:
            return error
        body = _parse(raw)
        if body is None:
            return {"errcode": 47001, "errmsg": "data format error"}
        touser = str(body.get("touser") or "")
        template_id = str(body.get("template_id") or "")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if self._templates is not None:
            if template_id not in self._templates:
                return {"errcode": 40037, "errmsg": "invalid template_id"}
            for key in sorted(self._templates[template_id]):
                item = data.get(key)
                if not isinstance(item, dict) or not str(item.get("value") or ""):
                    return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value empty"}
        if not touser or (self._followers is not None and touser not in self._followers):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if touser in self._refusals:
            code, errmsg = self._refusals[touser]
            return {"errcode": code, "errmsg": errmsg}
        client_msg_id = str(body.get("client_msg_id") or "")
        if client_msg_id and (touser, client_msg_id) in self._seen:
            msgid = self._seen[(touser, client_msg_id)]
            self._duplicates.append(Delivery(touser, body, msgid))
            return {"errcode": 0, "errmsg": "ok", "msgid": int(msgid)}
        if self._quota_reached():
            return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
        msgid = str(next(self._msgids))
        if client_msg_id:
            self._seen[(touser, client_msg_id)] = msgid
        self._accepted.append(Delivery(touser, body, msgid))
        return {"errcode": 0, "errmsg": "ok", "msgid": int(msgid)}

    @staticmethod
    def job_finish_push(msgid: str, openid: str, status: str = "success", *, created: int = 1700000000) -> bytes:
        """The XML WeChat pushes when a template message was delivered or failed."""
        return (
            "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>"
            f"<Status><![CDATA[{status}]]></Status></xml>"
        ).encode()

    @staticmethod
    def push_query(token: str, *, timestamp: str = "1700000000", nonce: str = "1514711492") -> dict[str, str]:
        """The signed query string WeChat adds to a push (plaintext mode)."""
        signature = hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()  # noqa: S324
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


class FakeWecom(_TencentFake):
    """WeCom: GET /cgi-bin/gettoken and POST /cgi-bin/message/send (text and textcard)."""

    token_path = "/cgi-bin/gettoken"  # noqa: S105
    send_path = "/cgi-bin/message/send"
    invalid_token_errcode = 40014

    def __init__(
        self,
        *,
        corp_id: str = "ww0000000000000001",
        corp_secret: str = "fake-corp-secret",  # noqa: S107 - a test server's own
        agent_id: int = 1000002,
        users: Iterable[str] | None = None,
        token_lifetime: int = 7200,
        latency: float = 0.0,
    ) -> None:
        super().__init__(token_lifetime=token_lifetime, latency=latency)
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = agent_id
        # None: every userid is a member who can see the application.
        self._users = None if users is None else {user.lower() for user in users}
        self._msgids = itertools.count(1)
        # canonical request body -> (msgid, monotonic time it was accepted)
        self._recent: dict[str, tuple[str, float]] = {}

    def add_users(self, *userids: str) -> None:
        with self._lock:
            self._users = (self._users or set()) | {user.lower() for user in userids}

    def _reset_extra(self) -> None:
        self._recent.clear()

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != self.corp_secret:
            return {"errcode": 40001, "errmsg": "invalid secret"}
        return {"errcode": 0, "errmsg": "ok", **self._issue_token()}

    def _send(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        error = self._token_error(query)
        if error:
            return error
        body = _parse(raw)
        if body is None:
            return {"errcode": 40058, "errmsg": "invalid parameter: body is not JSON"}
        if body.get("agentid") != self.agent_id:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        msgtype = body.get("msgtype")
        if msgtype == "text":
            if not str((body.get("text") or {}).get("content") or ""):
                return {"errcode": 44004, "errmsg": "empty content"}
        elif msgtype == "textcard":
            card = body.get("textcard") or {}
            for key in ("title", "description", "url"):
                if not str(card.get(key) or ""):
                    return {"errcode": 40058, "errmsg": f"invalid parameter: textcard.{key} is empty"}
        else:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        touser = str(body.get("touser") or "")
        if not touser or (self._users is not None and touser.lower() not in self._users):
            # Every recipient invalid: WeCom fails the call and still names them, in lower case.
            return {
                "errcode": 81013,
                "errmsg": "user & party & tag all invalid",
                "invaliduser": touser.lower(),
                "invalidparty": "",
                "invalidtag": "",
            }
        if touser in self._refusals:
            code, errmsg = self._refusals[touser]
            return {"errcode": code, "errmsg": errmsg}
        now = time.monotonic()
        check_key = json.dumps(body, sort_keys=True, ensure_ascii=False)
        if body.get("enable_duplicate_check"):
            interval = int(body.get("duplicate_check_interval") or 1800)
            previous = self._recent.get(check_key)
            if previous is not None and now - previous[1] < interval:
                self._duplicates.append(Delivery(touser, body, previous[0]))
                return _wecom_ok(previous[0])
        if self._quota_reached():
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        msgid = f"fake-wecom-{next(self._msgids)}"
        self._recent[check_key] = (msgid, now)
        self._accepted.append(Delivery(touser, body, msgid))
        return _wecom_ok(msgid)


def _wecom_ok(msgid: str) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "invalidparty": "", "invalidtag": "", "msgid": msgid}
