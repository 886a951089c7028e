"""A local webhook receiver for tests and benchmarks: an HTTP server that checks Kefu's signature.

    with FakeWebhookReceiver(secret="s3cret") as receiver:
        WebhookAdapter(ChannelSettings({"url": receiver.url}, {"secret": "s3cret"})).send(message)
        assert receiver.payloads[0]["event"] == "ticket.escalated"

It checks X-Kefu-Signature with its own implementation of the documented scheme (deliberately
not importing the adapter's, so that a change to one shows up as a failing test) and answers
401 when it does not match or the timestamp is stale. Deliveries are deduplicated by
X-Kefu-Delivery, as a careful receiver would: `payloads` holds the first copy of each,
`duplicates` counts the repeats, and a repeat gets the same response id as the first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event: str
    timestamp: str
    signature: str
    payload: dict[str, Any]
    body: bytes
    duplicate: bool


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The benchmark opens many connections at once; the default backlog of 5 drops some.
    request_queue_size = 1024
    receiver: FakeWebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, so that a pooled client (httpx.Client) reuses its connection.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client waits ~40 ms
    # for the delayed ACK on every request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, answer = self.server.receiver._handle(
            self.path, {name.lower(): value for name, value in self.headers.items()}, body
        )
        self._reply(status, answer)

    def do_GET(self) -> None:
        self._reply(405, {"error": "POST only"})

    def _reply(self, status: int, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class FakeWebhookReceiver:
    def __init__(
        self,
        *,
        secret: str = "fake-webhook-secret",  # noqa: S107 - a test server's own
        tolerance: int = 300,
        path: str = "/hook",
    ) -> None:
        self.secret = secret
        self.tolerance = tolerance
        self.path = path
        self.host = "127.0.0.1"
        self.port = 0
        self.latency = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._deliveries: list[Delivery] = []
        self._first: dict[str, Delivery] = {}
        self._ids: dict[str, str] = {}
        self._fail_next: list[int] = []
        self._status: int | None = None
        self.requests = 0
        self.rejected_signatures = 0
        self.failed = 0

    # --- lifecycle ---

    def start(self) -> FakeWebhookReceiver:
        """Start listening; after `stop()`, listens again on the same port."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.receiver = self
        self.port = int(server.server_address[1])
        # A short poll interval keeps stop() fast.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-webhook", daemon=True
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start()`. Records are kept."""
        server, self._server = self._server, None
        if server is None:
            return
        # Wakes handlers sleeping on `latency`.
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeWebhookReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    # --- scripting ---

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` correctly signed requests with `status`, without recording them."""
        with self._lock:
            self._fail_next.extend([status] * n)

    def respond_with(self, status: int | None) -> None:
        """Answer every correctly signed request with `status` until `respond_with(None)`."""
        with self._lock:
            self._status = status

    def set_latency(self, seconds: float) -> None:
        """Wait this long before answering each request."""
        self.latency = seconds

    def reset(self) -> None:
        with self._lock:
            self._deliveries.clear()
            self._first.clear()
            self._ids.clear()
            self._fail_next.clear()
            self._status = None
            self.latency = 0.0
            self.requests = self.rejected_signatures = self.failed = 0

    # --- records ---

    @property
    def deliveries(self) -> list[Delivery]:
        """Every accepted request, duplicates included."""
        with self._lock:
            return list(self._deliveries)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The payload of the first copy of each delivery id, in arrival order."""
        with self._lock:
            return [delivery.payload for delivery in self._first.values()]

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._first)

    @property
    def duplicates(self) -> int:
        with self._lock:
            return len(self._deliveries) - len(self._first)

    def delivery_ids(self) -> set[str]:
        with self._lock:
            return set(self._first)

    # --- request handling (server threads) ---

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if self.latency and self._stopping.wait(self.latency):
            return 503, {"error": "shutting down"}
        with self._lock:
            self.requests += 1
        if path != self.path:
            return 404, {"error": "no such hook"}
        if not self._signature_ok(headers, body):
            with self._lock:
                self.rejected_signatures += 1
            return 401, {"error": "bad signature"}
        with self._lock:
            scripted = self._fail_next.pop(0) if self._fail_next else self._status
            if scripted is not None and not 200 <= scripted < 300:
                self.failed += 1
                return scripted, {"error": "scripted failure"}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": "not JSON"}
        delivery_id = headers.get("x-kefu-delivery", "")
        with self._lock:
            duplicate = delivery_id in self._first
            delivery = Delivery(
                delivery_id=delivery_id,
                event=headers.get("x-kefu-event", ""),
                timestamp=headers.get("x-kefu-timestamp", ""),
                signature=headers.get("x-kefu-signature", ""),
                payload=payload,
                body=body,
                duplicate=duplicate,
            )
            self._deliveries.append(delivery)
            if not duplicate:
                self._first[delivery_id] = delivery
                self._ids[delivery_id] = f"rcv_{len(self._first)}"
            return 200, {"id": self._ids[delivery_id], "duplicate": duplicate}

    def _signature_ok(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("x-kefu-timestamp", "")
        given = headers.get("x-kefu-signature", "")
        if not timestamp.isdigit() or not given:
            return False
        if abs(time.time() - int(timestamp)) > self.tolerance:
            return False
        return hmac.compare_digest(_expected_signature(self.secret, timestamp, body).encode(), given.encode())
