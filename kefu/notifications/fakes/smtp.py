"""A local SMTP server for tests and benchmarks: aiosmtpd on 127.0.0.1 with scripted failures.

    with FakeSmtp(security="ssl", username="kefu", password="secret") as smtp:
        EmailAdapter(ChannelSettings(smtp.settings(), smtp.secrets())).send(message)
        assert smtp.messages[0]["Subject"] == "工单已升级"

It speaks real (E)SMTP: implicit TLS (SMTPS) or STARTTLS with a self-signed certificate for
127.0.0.1 (`ca_file` is its PEM, so a client can verify it), AUTH PLAIN/LOGIN with one user,
and the usual reply codes. Messages are deduplicated by Message-ID the way a mailbox would show
them: `messages` holds the first copy of each, `duplicates` counts the repeats.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import functools
import ipaddress
import logging
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Security = Literal["none", "ssl", "starttls"]

# Headers only, compat32: enough to read the Message-ID in ~20 µs.
_HEADERS = BytesHeaderParser(policy=email.policy.compat32)

_certificate_lock = threading.Lock()
_certificate: tuple[bytes, bytes] | None = None


def self_signed_certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for localhost/127.0.0.1, made once per process."""
    # Made once: every FakeSmtp of a test run can share it.
    global _certificate
    with _certificate_lock:
        if _certificate is None:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.x509.oid import NameOID

            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kefu test SMTP")])
            # The certificate's validity has nothing to do with the clock that tests pin.
            start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
            certificate = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(start + dt.timedelta(days=365 * 30))
                .add_extension(
                    x509.SubjectAlternativeName(
                        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                    ),
                    critical=False,
                )
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256())
            )
            _certificate = (
                certificate.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
        return _certificate


def free_port(host: str = "127.0.0.1") -> int:
    # aiosmtpd's Controller needs a port number up front; the OS picks one that is free now.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message_id: str
    raw: bytes
    duplicate: bool
    # The session was encrypted (implicit TLS or after STARTTLS).
    encrypted: bool

    @functools.cached_property
    def message(self) -> EmailMessage:
        # Parsed on first use: a full parse costs ~1 ms, the server's whole share of a delivery.
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _LoginDataDeprecation(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


def _quiet_aiosmtpd_deprecation() -> None:
    # aiosmtpd 1.4 itself sets the deprecated Session.login_data on every successful AUTH and
    # logs a warning each time: noise in tests, thousands of lines in a benchmark.
    logger = logging.getLogger("mail.log")
    if not any(isinstance(f, _LoginDataDeprecation) for f in logger.filters):
        logger.addFilter(_LoginDataDeprecation())


class _Handler:
    """aiosmtpd hooks; they run on the server's event-loop thread."""

    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if self.fake.username and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.fake._refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transport = server.transport
        encrypted = transport is not None and transport.get_extra_info("ssl_object") is not None
        return self.fake._receive(envelope, encrypted=encrypted)


class FakeSmtp:
    def __init__(
        self,
        *,
        security: Security = "none",
        username: str = "",
        password: str = "",
        host: str = "127.0.0.1",
        smtputf8: bool = True,
    ) -> None:
        self.security: Security = security
        # Off: an older server that cannot take internationalised addresses (RFC 6531).
        self.smtputf8 = smtputf8
        self.username = username
        self.password = password
        self.host = host
        self.port = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.cert_file = ""
        self.key_file = ""
        self._received: list[Received] = []
        self._by_message_id: dict[str, Received] = {}
        self._refused: dict[str, str] = {}
        self._fail_next: list[str] = []
        self.logins = 0
        self.failed_logins = 0

    # --- lifecycle ---

    def start(self) -> FakeSmtp:
        """Start listening; after `stop()`, listens again on the same port."""
        if self._controller is not None:
            return self
        if self.security != "none" and self._tempdir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="kefu-fake-smtp-")
            certificate, key = self_signed_certificate()
            self.cert_file = str(Path(self._tempdir.name) / "cert.pem")
            self.key_file = str(Path(self._tempdir.name) / "key.pem")
            Path(self.cert_file).write_bytes(certificate)
            Path(self.key_file).write_bytes(key)
        if not self.port:
            self.port = free_port(self.host)
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            # Without it aiosmtpd asks DNS for the machine's FQDN on every connection.
            "server_hostname": "fake-smtp.kefu.test",
            "ready_timeout": 5.0,
            "enable_SMTPUTF8": self.smtputf8,
        }
        if self.security == "ssl":
            kwargs["ssl_context"] = self._server_tls_context()
        elif self.security == "starttls":
            kwargs["tls_context"] = self._server_tls_context()
            kwargs["require_starttls"] = True
        if self.username:
            # Login is enforced at MAIL FROM (530) rather than with aiosmtpd's auth_required,
            # which warns on every connection when combined with implicit TLS.
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as encryption; on implicit TLS the whole session is.
            kwargs["auth_require_tls"] = self.security == "starttls"
        _quiet_aiosmtpd_deprecation()
        controller = Controller(_Handler(self), **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: new connections are refused until `start()`. Records are kept."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def close(self) -> None:
        self.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.security == "ssl" else "smtp"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str:
        """The certificate to trust (it is its own CA)."""
        return self.cert_file

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Channel settings that reach this server; secrets come from `secrets()`."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "from_email": "kefu@kefu.test",
            "timeout": 5,
            "verify_tls": True,
            "ca_file": self.cert_file,
        }
        values.update(overrides)
        return values

    def secrets(self) -> dict[str, str]:
        return {"password": self.password} if self.username else {}

    # --- scripting ---

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 Mailbox does not exist") -> None:
        """Answer RCPT TO for `address` with `code` until `accept(address)`."""
        with self._lock:
            self._refused[address.lower()] = f"{code} {text}"

    def accept(self, address: str) -> None:
        with self._lock:
            self._refused.pop(address.lower(), None)

    def fail_next(self, n: int = 1, code: int = 451, text: str = "4.3.0 Local error in processing") -> None:
        """Answer DATA of the next `n` messages with `code`; they are not recorded."""
        with self._lock:
            self._fail_next.extend([f"{code} {text}"] * n)

    def reset(self) -> None:
        """Forget received messages and scripted failures."""
        with self._lock:
            self._received.clear()
            self._by_message_id.clear()
            self._refused.clear()
            self._fail_next.clear()
            self.logins = 0
            self.failed_logins = 0

    # --- records ---

    @property
    def messages(self) -> list[EmailMessage]:
        """The first copy of each distinct Message-ID, in arrival order."""
        with self._lock:
            firsts = list(self._by_message_id.values())
        return [received.message for received in firsts]

    @property
    def received(self) -> list[Received]:
        """Every accepted DATA, duplicates included."""
        with self._lock:
            return list(self._received)

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._by_message_id)

    @property
    def duplicates(self) -> int:
        with self._lock:
            return len(self._received) - len(self._by_message_id)

    def message_ids(self) -> set[str]:
        with self._lock:
            return set(self._by_message_id)

    # --- hooks (event-loop thread) ---

    def _server_tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == self.username
            and auth_data.password.decode("utf-8", "replace") == self.password
        )
        with self._lock:
            if ok:
                self.logins += 1
            else:
                self.failed_logins += 1
        # handled=False: aiosmtpd then answers a failure with "535 5.7.8 Authentication credentials invalid".
        return AuthResult(success=ok, handled=False)

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _receive(self, envelope: Envelope, *, encrypted: bool) -> str:
        raw = envelope.original_content or b""
        with self._lock:
            if self._fail_next:
                return self._fail_next.pop(0)
        message_id = str(_HEADERS.parsebytes(raw).get("Message-ID", "")).strip()
        with self._lock:
            duplicate = bool(message_id) and message_id in self._by_message_id
            received = Received(
                mail_from=str(envelope.mail_from or ""),
                rcpt_tos=tuple(envelope.rcpt_tos),
                message_id=message_id,
                raw=raw,
                duplicate=duplicate,
                encrypted=encrypted,
            )
            self._received.append(received)
            if not duplicate:
                # A message without a Message-ID cannot be deduplicated: each one counts.
                self._by_message_id[message_id or f"<no-id-{len(self._received)}>"] = received
        return "250 2.0.0 OK: queued"
