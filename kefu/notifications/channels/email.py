"""E-mail over SMTP.

One SMTP session per message: connect (implicit TLS on 465, STARTTLS on 587, or plain), log in
when a user name is configured, send one multipart/alternative message, quit. The Message-ID is
derived from the idempotency key, so a message that the outbox sends twice (the worker died after
the server's 250 but before it recorded the delivery) carries the same Message-ID both times and
mail clients and archives that deduplicate by Message-ID show it once.

SMTP reply codes go to the table in `kefu.notifications.classification` unchanged: a refused
recipient (550), a temporary local error (451), a failed login (535)…
"""

from __future__ import annotations

import base64
import functools
import hashlib
import smtplib
import ssl
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, ClassVar

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

CHANNEL = "email"

SECURITY_SSL = "ssl"
SECURITY_STARTTLS = "starttls"
SECURITY_NONE = "none"


def message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID for a key: the same key always gives the same Message-ID."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain or 'kefu'}>"


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return default
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _address(value: str, display_name: str = "") -> Address | None:
    """`value` as an address, or None when it is not one (or would inject a header)."""
    if "@" not in value:
        return None
    try:
        return Address(display_name=display_name, addr_spec=value)
    except NonASCIILocalPartDefect:
        # 张三@例子.中国: valid with SMTPUTF8 (RFC 6531), which the email package only allows in
        # parts; smtplib uses SMTPUTF8 when the server offers it.
        username, _, domain = value.rpartition("@")
        if not username or not domain or any(c.isspace() or c in '"()<>[]:;@\\,' for c in username):
            return None
        try:
            return Address(display_name=display_name, username=username, domain=domain)
        except (ValueError, IndexError, HeaderParseError):
            return None
    except (ValueError, IndexError, HeaderParseError):
        return None


def _reply_text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


@functools.lru_cache(maxsize=32)
def _tls_context(verify: bool, ca_file: str) -> ssl.SSLContext:
    # Loading the CA certificates takes longer than a whole SMTP session with a nearby server;
    # contexts are shared between threads. A replaced CA file is read again after a restart.
    context = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class EmailAdapter:
    channel: ClassVar[str] = CHANNEL
    fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField("host", _("SMTP server"), help_text=_("For example smtp.exmail.qq.com")),
        SettingField("port", _("Port"), kind="int", default=465),
        SettingField(
            "security",
            _("Connection security"),
            kind="choice",
            default=SECURITY_SSL,
            choices=(
                (SECURITY_SSL, _("SSL/TLS (usually port 465)")),
                (SECURITY_STARTTLS, _("STARTTLS (usually port 587)")),
                (SECURITY_NONE, _("None (not encrypted)")),
            ),
        ),
        SettingField("username", _("User name"), required=False),
        SettingField("password", _("Password or authorisation code"), secret=True, required=False),
        SettingField("from_email", _("Sender address"), kind="email"),
        SettingField("from_name", _("Sender name"), required=False, default="Kefu 客服"),
        SettingField("timeout", _("Timeout (seconds)"), kind="int", default=10),
        SettingField(
            "verify_tls",
            _("Verify the server's certificate"),
            kind="bool",
            default=True,
            help_text=_("Turn this off only for a server on the internal network with a self-signed certificate."),
        ),
        SettingField(
            "ca_file",
            _("CA certificate file"),
            required=False,
            help_text=_("Path to a PEM file to trust instead of the system's certificate authorities."),
        ),
    )

    def __init__(self, config: ChannelSettings) -> None:
        self.host = str(config.get("host") or "").strip()
        self.port = _as_int(config.get("port"), 465)
        self.security = str(config.get("security") or SECURITY_SSL)
        self.username = str(config.get("username") or "")
        self.password = config.secret("password")
        self.from_email = str(config.get("from_email") or "").strip()
        self.from_name = str(config.get("from_name", "Kefu 客服") or "")
        # A float is accepted so that tests can use sub-second timeouts.
        self.timeout = _as_float(config.get("timeout"), 10.0)
        self.verify_tls = _as_bool(config.get("verify_tls", True), True)
        self.ca_file = str(config.get("ca_file") or "")
        if not self.host:
            raise ConfigurationError(gettext("The SMTP server is not set."))
        self.sender = _address(self.from_email, self.from_name)
        if self.sender is None:
            raise ConfigurationError(gettext("The sender address is not set or not valid."))
        if self.security not in {SECURITY_SSL, SECURITY_STARTTLS, SECURITY_NONE}:
            raise ConfigurationError(
                gettext("Unknown connection security “%(security)s”.") % {"security": self.security}
            )

    def send(self, message: Outgoing) -> Sent:
        address = message.address.strip()
        # Refused here rather than by the server: the answer would be the same, without a connection.
        if _address(address) is None or any(c in address for c in "<>,;"):
            raise ProviderError(CHANNEL, "553", f"not a valid address: {address!r}")
        email = self.build(message)
        smtp = self._connect()
        try:
            self._login(smtp)
            try:
                smtp.send_message(email, from_addr=self.from_email, to_addrs=[address])
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()), (550, b""))
                raise ProviderError(CHANNEL, str(code), _reply_text(reply)) from exc
            except smtplib.SMTPNotSupportedError as exc:
                # An internationalised address (张三@例子.中国) and a server without SMTPUTF8.
                raise ProviderError(CHANNEL, "553", str(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError and any other reply.
            raise ProviderError(CHANNEL, str(exc.smtp_code), _reply_text(exc.smtp_error)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportError(CHANNEL, f"{self.host}:{self.port} disconnected: {exc}") from exc
        except OSError as exc:
            raise TransportError(CHANNEL, f"{self.host}:{self.port}: {exc}") from exc
        finally:
            self._quit(smtp)
        return Sent(provider_message_id=str(email["Message-ID"]))

    def build(self, message: Outgoing) -> EmailMessage:
        """The MIME message for `message`: text and, when there is one, HTML alternative."""
        domain = self.from_email.rpartition("@")[2]
        email = EmailMessage()
        # Folded whitespace from a template would otherwise be a header injection.
        email["Subject"] = " ".join(message.subject.split())
        email["From"] = self.sender
        email["To"] = message.address.strip()
        email["Date"] = format_datetime(timezone.now())
        # Derived from the from address's domain: a Message-ID without a real domain scores as spam.
        email["Message-ID"] = message_id(message.idempotency_key, domain)
        email["X-Kefu-Key"] = message.idempotency_key
        if message.event:
            email["X-Kefu-Event"] = message.event
        # Mail from a notification system: no out-of-office replies back to it (RFC 3834).
        email["Auto-Submitted"] = "auto-generated"
        # base64 rather than 8bit: not every server announces 8BITMIME, and smtplib sends as is.
        email.set_content(message.body or "", charset="utf-8", cte="base64")
        if message.html:
            email.add_alternative(message.html, subtype="html", charset="utf-8", cte="base64")
        return email

    def _tls_context(self) -> ssl.SSLContext:
        return _tls_context(self.verify_tls, self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == SECURITY_SSL:
                return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls_context())
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == SECURITY_STARTTLS:
                try:
                    smtp.starttls(context=self._tls_context())
                except BaseException:
                    self._quit(smtp)
                    raise
            return smtp
        except ssl.SSLCertVerificationError as exc:
            raise ConfigurationError(
                gettext("The SMTP server's certificate is not trusted: %(error)s") % {"error": exc.verify_message}
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ConfigurationError(
                gettext("The SMTP server does not offer STARTTLS; choose another connection security.")
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # SMTPConnectError: a greeting other than 220, typically 421 "too many connections".
            raise ProviderError(CHANNEL, str(exc.smtp_code), _reply_text(exc.smtp_error)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportError(CHANNEL, f"{self.host}:{self.port} disconnected: {exc}") from exc
        except OSError as exc:
            # Refused connection, timeout, DNS failure, TLS handshake failure.
            raise TransportError(CHANNEL, f"{self.host}:{self.port}: {exc}") from exc

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not self.username:
            return
        try:
            if (self.username + self.password).isascii():
                smtp.login(self.username, self.password)
            else:
                self._login_utf8(smtp)
        except smtplib.SMTPNotSupportedError as exc:
            raise ConfigurationError(
                gettext("The SMTP server does not offer a login on this connection; check the connection security.")
            ) from exc
        except (smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected):
            # A refused login (535) or a dropped connection: send() maps these like any reply.
            raise
        except smtplib.SMTPException as exc:
            # "No suitable authentication method found."
            raise ConfigurationError(
                gettext("The SMTP server offers no login method that Kefu supports: %(error)s") % {"error": exc}
            ) from exc

    def _login_utf8(self, smtp: smtplib.SMTP) -> None:
        # smtplib encodes credentials as ASCII and fails on 授权码-style passwords; AUTH PLAIN
        # is defined over UTF-8 (RFC 4616), so send it by hand.
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        credentials = f"\0{self.username}\0{self.password}".encode()
        code, reply = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(credentials).decode("ascii"))
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    @staticmethod
    def _quit(smtp: smtplib.SMTP) -> None:
        # The message is accepted once DATA answered 250; a failed QUIT changes nothing.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
