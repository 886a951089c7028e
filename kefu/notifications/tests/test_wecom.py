"""WeCom application messages, against FakeWecom."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    TransportError,
)
from kefu.notifications.channels.wecom import WecomAdapter
from kefu.notifications.classification import Outcome, classify, defer_until, next_quota_reset
from kefu.notifications.fakes.wechat import FakeWecom


@pytest.fixture(autouse=True)
def _db_and_clean_cache() -> Iterator[None]:
    """Overrides the root conftest's fixture of this name: adapters need a clean cache, no database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with FakeWecom(corp_id="ww7a0000000001", corp_secret="corp-secret", agent_id=1000002) as fake:
        fake.add_users("ZhangSan", "lisi")
        yield fake


def adapter_for(fake: FakeWecom, **overrides: Any) -> WecomAdapter:
    settings: dict[str, Any] = {"api_base": fake.url, "corp_id": fake.corp_id, "agent_id": fake.agent_id, "timeout": 5}
    secrets = {"corp_secret": fake.corp_secret}
    for name, value in overrides.items():
        (secrets if name in secrets else settings)[name] = value
    return WecomAdapter(ChannelSettings(settings=settings, secrets=secrets))


def message(key: str = "ticket.assigned:42:3:wecom", address: str = "ZhangSan", **overrides: Any) -> Outgoing:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "address": address,
        "event": "ticket.assigned",
        "subject": "新工单 GD20250303001",
        "body": "翠湖苑 3-2-501 厨房漏水，请在 2 小时内联系业主。",
        "url": "",
    }
    fields.update(overrides)
    return Outgoing(**fields)


def test_wecom_send_posts_text_message_without_url(wecom: FakeWecom) -> None:
    sent = adapter_for(wecom).send(message())

    [delivery] = wecom.accepted
    assert sent.provider_message_id == delivery.msgid
    assert delivery.body == {
        "touser": "ZhangSan",
        "msgtype": "text",
        "agentid": 1000002,
        "text": {"content": "新工单 GD20250303001\n翠湖苑 3-2-501 厨房漏水，请在 2 小时内联系业主。"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }


def test_wecom_send_posts_textcard_when_message_has_url(wecom: FakeWecom) -> None:
    with translation.override("en"):
        adapter_for(wecom).send(message(url="https://kefu.example.com/tickets/42"))

    [delivery] = wecom.accepted
    assert delivery.body["msgtype"] == "textcard"
    assert delivery.body["textcard"] == {
        "title": "新工单 GD20250303001",
        "description": "翠湖苑 3-2-501 厨房漏水，请在 2 小时内联系业主。",
        "url": "https://kefu.example.com/tickets/42",
        "btntxt": "Details",
    }
    assert "text" not in delivery.body


def test_wecom_send_fetches_token_once_for_many_sends(wecom: FakeWecom) -> None:
    for number in range(25):
        adapter_for(wecom).send(message(body=f"第 {number} 条"))

    assert wecom.token_requests == 1
    assert len(wecom.accepted) == 25


def test_wecom_send_refreshes_token_once_when_it_expires_mid_batch(wecom: FakeWecom) -> None:
    adapter = adapter_for(wecom)
    for number in range(10):
        adapter.send(message(body=f"第 {number} 条"))

    wecom.expire_tokens()
    for number in range(10, 20):
        adapter.send(message(body=f"第 {number} 条"))

    assert wecom.token_requests == 2
    assert len(wecom.accepted) == 20
    assert wecom.duplicates == []


def test_wecom_send_classifies_unknown_user_as_permanent(wecom: FakeWecom) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wecom).send(message(address="left-the-company"))

    assert (caught.value.channel, caught.value.code) == ("wecom", "81013")
    assert classify("wecom", caught.value.code).outcome == Outcome.PERMANENT


def test_wecom_send_classifies_bad_secret_as_configuration(wecom: FakeWecom) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wecom, corp_secret="wrong").send(message())

    assert caught.value.code == "40001"
    assert classify("wecom", caught.value.code).outcome == Outcome.CONFIGURATION


def test_wecom_send_classifies_wrong_agent_as_configuration(wecom: FakeWecom) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wecom, agent_id=1000009).send(message())

    assert caught.value.code == "40056"
    assert classify("wecom", caught.value.code).outcome == Outcome.CONFIGURATION


def test_wecom_send_defers_to_quota_reset_when_quota_is_used_up(wecom: FakeWecom) -> None:
    wecom.set_quota(0)

    with pytest.raises(ProviderError) as caught:
        adapter_for(wecom).send(message())

    rule = classify("wecom", caught.value.code)
    now = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)
    assert rule.outcome == Outcome.DEFERRED
    assert defer_until(rule, now) == next_quota_reset(now)


def test_wecom_send_raises_token_error_when_refreshed_token_is_refused_too(wecom: FakeWecom) -> None:
    adapter = adapter_for(wecom)
    adapter.send(message(body="预热"))
    wecom.errcode_next(2, 40014, "invalid access_token")

    with pytest.raises(ProviderError) as caught:
        adapter.send(message())

    assert caught.value.code == "40014"
    assert wecom.token_requests == 2


def test_wecom_send_of_same_content_twice_is_dropped_by_duplicate_check(wecom: FakeWecom) -> None:
    adapter = adapter_for(wecom)

    first = adapter.send(message())
    second = adapter.send(message())

    assert len(wecom.accepted) == 1
    assert len(wecom.duplicates) == 1
    assert first.provider_message_id == second.provider_message_id


def test_wecom_send_raises_transport_error_on_http_502(wecom: FakeWecom) -> None:
    wecom.fail_next(1, status=502, endpoint="any")

    with pytest.raises(TransportError):
        adapter_for(wecom).send(message())

    assert wecom.token_requests == 0


def test_wecom_send_raises_transport_error_when_server_is_down(wecom: FakeWecom) -> None:
    adapter = adapter_for(wecom)
    wecom.stop()

    with pytest.raises(TransportError):
        adapter.send(message())


def test_wecom_adapter_rejects_non_numeric_agent_id(wecom: FakeWecom) -> None:
    with pytest.raises(ConfigurationError):
        adapter_for(wecom, agent_id="sales-app")


def test_wecom_token_key_differs_per_application(wecom: FakeWecom) -> None:
    one = adapter_for(wecom)
    other_agent = adapter_for(wecom, agent_id=1000003)
    other_secret = adapter_for(wecom, corp_secret="another-app-secret")

    assert len({one.token_key, other_agent.token_key, other_secret.token_key}) == 3
    assert "corp-secret" not in one.token_key
