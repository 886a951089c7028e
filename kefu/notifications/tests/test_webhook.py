"""WebhookAdapter against a real HTTP receiver on 127.0.0.1 (kefu.notifications.fakes.webhook)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    TransportError,
)
from kefu.notifications.channels.webhook import WebhookAdapter, signature, verify
from kefu.notifications.classification import Outcome, classify
from kefu.notifications.fakes.webhook import FakeWebhookReceiver

SECRET = "whsec-华景-0123456789"


def outgoing(**overrides: Any) -> Outgoing:
    values: dict[str, Any] = {
        "idempotency_key": "ticket.escalated:42:org:3:webhook",
        "address": "",
        "event": "ticket.escalated",
        "subject": "工单 GD-42 已升级",
        "body": "工单 GD-42 已升级处理。",
        "url": "https://kefu.example.test/tickets/42",
        "data": {"ticket": "GD-42", "priority": "urgent", "customer": {"name": "张三"}},
    }
    values.update(overrides)
    return Outgoing(**values)


def adapter(url: str, *, secret: str = SECRET, timeout: float = 2) -> WebhookAdapter:
    return WebhookAdapter(ChannelSettings({"url": url, "timeout": timeout}, {"secret": secret}))


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    with FakeWebhookReceiver(secret=SECRET) as fake:
        yield fake


def test_webhook_send_posts_the_signed_payload_the_receiver_accepts(receiver: FakeWebhookReceiver) -> None:
    adapter(receiver.url).send(outgoing())

    [payload] = receiver.payloads
    assert payload["id"] == "ticket.escalated:42:org:3:webhook"
    assert payload["event"] == "ticket.escalated"
    assert payload["subject"] == "工单 GD-42 已升级"
    assert payload["url"] == "https://kefu.example.test/tickets/42"
    assert payload["data"] == {"ticket": "GD-42", "priority": "urgent", "customer": {"name": "张三"}}
    assert receiver.rejected_signatures == 0


def test_webhook_send_sets_event_and_delivery_headers(receiver: FakeWebhookReceiver) -> None:
    adapter(receiver.url).send(outgoing())

    [delivery] = receiver.deliveries
    assert delivery.event == "ticket.escalated"
    assert delivery.delivery_id == "ticket.escalated:42:org:3:webhook"


def test_webhook_signature_verifies_at_the_receiver_with_the_exported_verify(receiver: FakeWebhookReceiver) -> None:
    adapter(receiver.url).send(outgoing())

    [delivery] = receiver.deliveries
    assert verify(SECRET, delivery.timestamp, delivery.body, delivery.signature) is True
    assert delivery.signature == signature(SECRET, delivery.timestamp, delivery.body)


def test_webhook_send_stamps_the_current_time() -> None:
    pinned = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    with FakeWebhookReceiver(secret=SECRET) as fake, time_machine.travel(pinned, tick=False):
        adapter(fake.url).send(outgoing())

        [delivery] = fake.deliveries
    assert delivery.timestamp == str(int(pinned.timestamp()))
    assert delivery.payload["sent_at"] == "2025-03-03T01:00:00+00:00"


def test_webhook_send_keeps_the_receivers_id_as_provider_message_id(receiver: FakeWebhookReceiver) -> None:
    sent = adapter(receiver.url).send(outgoing())

    assert sent.provider_message_id == "rcv_1"


def test_webhook_send_twice_is_deduplicated_by_the_receiver(receiver: FakeWebhookReceiver) -> None:
    webhook = adapter(receiver.url)

    first = webhook.send(outgoing())
    second = webhook.send(outgoing())

    assert (receiver.accepted, receiver.duplicates) == (1, 1)
    assert first.provider_message_id == second.provider_message_id


def test_webhook_send_with_a_wrong_secret_raises_401_configuration(receiver: FakeWebhookReceiver) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter(receiver.url, secret="not-the-secret").send(outgoing())

    assert (caught.value.channel, caught.value.code) == ("webhook", "401")
    assert classify("webhook", caught.value.code).outcome == Outcome.CONFIGURATION
    assert (receiver.rejected_signatures, receiver.accepted) == (1, 0)


def test_webhook_send_after_a_500_succeeds_on_the_retry(receiver: FakeWebhookReceiver) -> None:
    receiver.fail_next(1, status=500)
    webhook = adapter(receiver.url)

    with pytest.raises(TransportError, match="HTTP 500"):
        webhook.send(outgoing())
    webhook.send(outgoing())

    assert (receiver.accepted, receiver.duplicates) == (1, 0)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(422, Outcome.PERMANENT), (429, Outcome.DEFERRED), (410, Outcome.CONFIGURATION), (302, Outcome.CONFIGURATION)],
)
def test_webhook_send_raises_the_receivers_status_as_provider_error(
    receiver: FakeWebhookReceiver, status: int, outcome: Outcome
) -> None:
    receiver.respond_with(status)

    with pytest.raises(ProviderError) as caught:
        adapter(receiver.url).send(outgoing())

    assert caught.value.code == str(status)
    assert classify("webhook", caught.value.code).outcome == outcome
    assert json.loads(caught.value.message) == {"error": "scripted failure"}


def test_webhook_send_to_a_slow_receiver_raises_transport_error_after_the_timeout(
    receiver: FakeWebhookReceiver,
) -> None:
    receiver.set_latency(2)
    started = time.monotonic()

    with pytest.raises(TransportError, match="timed out"):
        adapter(receiver.url, timeout=0.2).send(outgoing())

    assert time.monotonic() - started < 1.5


def test_webhook_send_when_the_receiver_is_down_raises_transport_error(receiver: FakeWebhookReceiver) -> None:
    receiver.stop()

    with pytest.raises(TransportError):
        adapter(receiver.url).send(outgoing())

    receiver.start()
    adapter(receiver.url).send(outgoing())
    assert receiver.accepted == 1


def test_webhook_send_to_a_closed_port_raises_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransportError):
        adapter(f"http://127.0.0.1:{port}/hook").send(outgoing())


def test_verify_rejects_a_stale_timestamp() -> None:
    body = b'{"id":"x"}'
    header = signature(SECRET, 1_700_000_000, body)

    assert verify(SECRET, 1_700_000_000, body, header, now=1_700_000_000 + 299) is True
    assert verify(SECRET, 1_700_000_000, body, header, now=1_700_000_000 + 301) is False


def test_verify_rejects_a_timestamp_from_the_future() -> None:
    body = b'{"id":"x"}'
    header = signature(SECRET, 1_700_000_400, body)

    assert verify(SECRET, 1_700_000_400, body, header, now=1_700_000_000) is False


def test_verify_rejects_a_tampered_body() -> None:
    body = b'{"id":"x","amount":"1.00"}'
    header = signature(SECRET, 1_700_000_000, body)

    assert verify(SECRET, 1_700_000_000, b'{"id":"x","amount":"9.00"}', header, now=1_700_000_000) is False


def test_verify_rejects_a_signature_moved_to_another_timestamp() -> None:
    body = b'{"id":"x"}'
    header = signature(SECRET, 1_700_000_000, body)

    assert verify(SECRET, 1_700_000_001, body, header, now=1_700_000_000) is False


@pytest.mark.parametrize("timestamp", ["", "soon", "1700000000.5"])
def test_verify_rejects_a_malformed_timestamp(timestamp: str) -> None:
    assert verify(SECRET, timestamp, b"{}", signature(SECRET, timestamp, b"{}"), now=1_700_000_000) is False


def test_signature_matches_the_documented_scheme() -> None:
    # printf %s "1700000000.{}" | openssl dgst -sha256 -hmac secret
    assert signature("secret", 1_700_000_000, b"{}") == (
        "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    )


@pytest.mark.parametrize("url", ["ftp://example.test/hook", "example.test/hook", ""])
def test_webhook_adapter_accepts_only_http_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        adapter(url)


def test_webhook_adapter_requires_a_secret(receiver: FakeWebhookReceiver) -> None:
    with pytest.raises(ConfigurationError):
        adapter(receiver.url, secret="")
