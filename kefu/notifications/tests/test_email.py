"""EmailAdapter against a real SMTP server on 127.0.0.1 (aiosmtpd, kefu.notifications.fakes.smtp)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    TransportError,
)
from kefu.notifications.channels.email import EmailAdapter, message_id
from kefu.notifications.classification import Outcome, classify
from kefu.notifications.fakes.smtp import FakeSmtp

USER, PASSWORD = "kefu@kefu.test", "auth-code-123"


def outgoing(**overrides: Any) -> Outgoing:
    values: dict[str, Any] = {
        "idempotency_key": "ticket.escalated:42:customer:7:email",
        "address": "zhang.san@example.test",
        "event": "ticket.escalated",
        "subject": "工单 GD-42 已升级",
        "body": "您好，您的工单 GD-42 已升级处理。",
        "html": "<p>您好，您的工单 <b>GD-42</b> 已升级处理。</p>",
    }
    values.update(overrides)
    return Outgoing(**values)


def adapter(fake: FakeSmtp, *, password: str | None = None, **overrides: Any) -> EmailAdapter:
    secrets = fake.secrets()
    if password is not None:
        secrets["password"] = password
    return EmailAdapter(ChannelSettings(fake.settings(**overrides), secrets))


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp(security="ssl", username=USER, password=PASSWORD) as fake:
        yield fake


def test_email_send_delivers_text_and_html_alternatives(smtp: FakeSmtp) -> None:
    adapter(smtp).send(outgoing())

    [received] = smtp.messages
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content() == "您好，您的工单 GD-42 已升级处理。\n"
    assert received.get_body(("html",)).get_content() == "<p>您好，您的工单 <b>GD-42</b> 已升级处理。</p>\n"


def test_email_send_without_html_sends_plain_text_only(smtp: FakeSmtp) -> None:
    adapter(smtp).send(outgoing(html=""))

    [received] = smtp.messages
    assert received.get_content_type() == "text/plain"


def test_email_send_encodes_chinese_subject_and_sender_name(smtp: FakeSmtp) -> None:
    adapter(smtp, from_name="华景物业客服").send(outgoing())

    [received] = smtp.received
    assert received.message["Subject"] == "工单 GD-42 已升级"
    assert received.message["From"].addresses[0].display_name == "华景物业客服"
    assert b"Subject: =?utf-8?b?" in received.raw


def test_email_send_derives_message_id_from_idempotency_key(smtp: FakeSmtp) -> None:
    message = outgoing()

    sent = adapter(smtp).send(message)

    [received] = smtp.messages
    assert sent.provider_message_id == message_id(message.idempotency_key, "kefu.test")
    assert received["Message-ID"] == sent.provider_message_id
    assert received["X-Kefu-Key"] == message.idempotency_key


def test_email_send_twice_gives_receiver_the_same_message_id_to_deduplicate(smtp: FakeSmtp) -> None:
    email = adapter(smtp)

    first = email.send(outgoing())
    second = email.send(outgoing())

    assert first.provider_message_id == second.provider_message_id
    assert (smtp.accepted, smtp.duplicates) == (1, 1)


def test_email_send_keeps_message_ids_distinct_per_key(smtp: FakeSmtp) -> None:
    email = adapter(smtp)

    email.send(outgoing(idempotency_key="a"))
    email.send(outgoing(idempotency_key="b"))

    assert (smtp.accepted, smtp.duplicates) == (2, 0)


def test_email_send_over_implicit_tls_verifies_the_certificate(smtp: FakeSmtp) -> None:
    adapter(smtp, security="ssl", verify_tls=True, ca_file=smtp.ca_file).send(outgoing())

    [received] = smtp.received
    assert received.encrypted is True
    assert received.rcpt_tos == ("zhang.san@example.test",)


def test_email_send_over_starttls_encrypts_before_login() -> None:
    with FakeSmtp(security="starttls", username=USER, password=PASSWORD) as fake:
        adapter(fake).send(outgoing())

        [received] = fake.received
    assert received.encrypted is True
    assert fake.logins == 1


def test_email_send_without_tls_and_login_to_a_plain_server() -> None:
    with FakeSmtp() as fake:
        adapter(fake, security="none").send(outgoing())

        [received] = fake.received
    assert received.encrypted is False


def test_email_send_rejects_an_untrusted_certificate_as_configuration(smtp: FakeSmtp) -> None:
    with pytest.raises(ConfigurationError, match="certificate"):
        adapter(smtp, ca_file="").send(outgoing())

    assert smtp.accepted == 0


def test_email_send_accepts_a_self_signed_certificate_when_verification_is_off(smtp: FakeSmtp) -> None:
    adapter(smtp, ca_file="", verify_tls=False).send(outgoing())

    assert smtp.accepted == 1


def test_email_send_with_starttls_to_a_server_without_it_is_a_configuration_error() -> None:
    with FakeSmtp() as fake, pytest.raises(ConfigurationError, match="STARTTLS"):
        adapter(fake, security="starttls").send(outgoing())


def test_email_send_with_wrong_password_raises_535_configuration(smtp: FakeSmtp) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter(smtp, password="wrong").send(outgoing())

    assert (caught.value.channel, caught.value.code) == ("email", "535")
    assert classify("email", caught.value.code).outcome == Outcome.CONFIGURATION
    assert (smtp.logins, smtp.accepted) == (0, 0)


def test_email_send_logs_in_with_a_non_ascii_password() -> None:
    with FakeSmtp(security="ssl", username="客服@kefu.test", password="授权码-123") as fake:
        adapter(fake).send(outgoing())

    assert (fake.logins, fake.accepted) == (1, 1)


def test_email_send_without_login_to_a_server_that_requires_it_raises_530(smtp: FakeSmtp) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter(smtp, username="").send(outgoing())

    assert caught.value.code == "530"
    assert classify("email", caught.value.code).outcome == Outcome.CONFIGURATION


def test_email_send_to_refused_recipient_raises_550_permanent(smtp: FakeSmtp) -> None:
    smtp.refuse("zhang.san@example.test", 550)

    with pytest.raises(ProviderError) as caught:
        adapter(smtp).send(outgoing())

    assert caught.value.code == "550"
    assert "Mailbox does not exist" in caught.value.message
    assert classify("email", caught.value.code).outcome == Outcome.PERMANENT
    assert smtp.accepted == 0


def test_email_send_with_local_error_451_is_temporary_and_the_retry_goes_through(smtp: FakeSmtp) -> None:
    smtp.fail_next(1, code=451)
    email = adapter(smtp)

    with pytest.raises(ProviderError) as caught:
        email.send(outgoing())
    email.send(outgoing())

    assert caught.value.code == "451"
    assert classify("email", caught.value.code).outcome == Outcome.TEMPORARY
    assert (smtp.accepted, smtp.duplicates) == (1, 0)


def test_email_send_when_the_server_is_down_raises_transport_error(smtp: FakeSmtp) -> None:
    smtp.stop()

    with pytest.raises(TransportError):
        adapter(smtp).send(outgoing())

    smtp.start()
    adapter(smtp).send(outgoing())
    assert smtp.accepted == 1


def test_email_send_when_the_server_never_greets_raises_transport_error_after_the_timeout() -> None:
    # A socket that accepts connections (the kernel completes the handshake) and says nothing.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = {
            "host": "127.0.0.1",
            "port": silent.getsockname()[1],
            "security": "none",
            "from_email": "kefu@kefu.test",
            "timeout": 0.2,
        }
        started = time.monotonic()

        with pytest.raises(TransportError):
            EmailAdapter(ChannelSettings(settings, {})).send(outgoing())

    assert time.monotonic() - started < 2


@pytest.mark.parametrize("address", ["not-an-address", "a@b.test\r\nBcc: x@y.test", "@b.test", "a b@c.test", ""])
def test_email_send_to_an_invalid_address_raises_553_without_connecting(smtp: FakeSmtp, address: str) -> None:
    # Stopped: a connection attempt would raise TransportError instead.
    smtp.stop()

    with pytest.raises(ProviderError) as caught:
        adapter(smtp).send(outgoing(address=address))

    assert caught.value.code == "553"
    assert classify("email", caught.value.code).outcome == Outcome.PERMANENT


def test_email_send_to_an_internationalised_address_uses_smtputf8() -> None:
    with FakeSmtp() as fake:
        adapter(fake, security="none").send(outgoing(address="张三@例子.中国"))

    [received] = fake.received
    assert received.rcpt_tos == ("张三@例子.中国",)


def test_email_send_to_an_internationalised_address_without_smtputf8_raises_553() -> None:
    with FakeSmtp(smtputf8=False) as fake, pytest.raises(ProviderError) as caught:
        adapter(fake, security="none").send(outgoing(address="张三@例子.中国"))

    assert caught.value.code == "553"
    assert fake.accepted == 0


def test_email_send_flattens_a_subject_with_line_breaks(smtp: FakeSmtp) -> None:
    adapter(smtp).send(outgoing(subject="工单\r\nBcc: x@y.test"))

    [received] = smtp.messages
    assert received["Subject"] == "工单 Bcc: x@y.test"
    assert received["Bcc"] is None


@pytest.mark.parametrize(("name", "value"), [("host", ""), ("from_email", ""), ("from_email", "kefu@")])
def test_email_adapter_without_server_or_valid_sender_is_a_configuration_error(
    smtp: FakeSmtp, name: str, value: str
) -> None:
    with pytest.raises(ConfigurationError):
        adapter(smtp, **{name: value})
