"""WeChat Official Account template messages and the shared access-token cache, against FakeWechat."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from kefu.notifications.channels import tokens
from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    TransportError,
)
from kefu.notifications.channels.wechat import (
    WechatOfficialAccountAdapter,
    client_msg_id,
    parse_event,
    verify_signature,
)
from kefu.notifications.classification import Outcome, classify, defer_until, next_quota_reset
from kefu.notifications.fakes.wechat import FakeWechat

TEMPLATE = "tpl-ticket-update"
KEYS = ("character_string1", "thing2", "time3")
ALICE = "oAbc123alice0000000000000000"
BOB = "oAbc123bob000000000000000000"


@pytest.fixture(autouse=True)
def _db_and_clean_cache() -> Iterator[None]:
    """Overrides the root conftest's fixture of this name: adapters need a clean cache, no database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wechat() -> Iterator[FakeWechat]:
    with FakeWechat(app_id="wx5e1f0000000001", app_secret="app-secret", templates={TEMPLATE: KEYS}) as fake:
        fake.add_followers(ALICE, BOB)
        yield fake


def adapter_for(fake: FakeWechat, **overrides: Any) -> WechatOfficialAccountAdapter:
    settings: dict[str, Any] = {"api_base": fake.url, "app_id": fake.app_id, "timeout": 5}
    secrets = {"app_secret": fake.app_secret, "callback_token": "push-token"}
    for name, value in overrides.items():
        (secrets if name in secrets else settings)[name] = value
    return WechatOfficialAccountAdapter(ChannelSettings(settings=settings, secrets=secrets))


def message(key: str = "ticket.updated:42:7:wechat", address: str = ALICE, **overrides: Any) -> Outgoing:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "address": address,
        "event": "ticket.updated",
        "provider_template": TEMPLATE,
        "params": {"character_string1": "GD20250303001", "thing2": "已派单", "time3": "2025-03-03 09:00"},
        "url": "https://kefu.example.com/portal/tickets/42",
    }
    fields.update(overrides)
    return Outgoing(**fields)


# --- sending ---


def test_wechat_send_posts_template_message_and_returns_msgid(wechat: FakeWechat) -> None:
    sent = adapter_for(wechat).send(message())

    [delivery] = wechat.accepted
    assert sent.provider_message_id == delivery.msgid
    assert delivery.body == {
        "touser": ALICE,
        "template_id": TEMPLATE,
        "url": "https://kefu.example.com/portal/tickets/42",
        "client_msg_id": "ticket.updated:42:7:wechat",
        "data": {
            "character_string1": {"value": "GD20250303001"},
            "thing2": {"value": "已派单"},
            "time3": {"value": "2025-03-03 09:00"},
        },
    }


def test_wechat_send_omits_url_when_message_has_none(wechat: FakeWechat) -> None:
    adapter_for(wechat).send(message(url=""))

    [delivery] = wechat.accepted
    assert "url" not in delivery.body


def test_wechat_send_fetches_token_once_for_many_sends(wechat: FakeWechat) -> None:
    for number in range(25):
        # A new adapter per message, as the outbox worker builds them: the token is in the cache.
        adapter_for(wechat).send(message(key=f"k{number}"))

    assert wechat.token_requests == 1
    assert len(wechat.accepted) == 25


def test_wechat_send_refreshes_token_once_when_it_expires_mid_batch(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat)
    for number in range(10):
        adapter.send(message(key=f"k{number}"))

    wechat.expire_tokens()
    for number in range(10, 20):
        adapter.send(message(key=f"k{number}"))

    assert wechat.token_requests == 2
    assert sorted(d.body["client_msg_id"] for d in wechat.accepted) == sorted(f"k{n}" for n in range(20))
    assert wechat.duplicates == []


def test_wechat_send_refreshes_token_once_when_many_threads_meet_the_expired_token(wechat: FakeWechat) -> None:
    adapter_for(wechat).send(message(key="warm-up"))
    wechat.expire_tokens()
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for number in range(15):
                adapter_for(wechat).send(message(key=f"t{thread}-{number}"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert wechat.token_requests == 2
    assert len(wechat.accepted) == 1 + 8 * 15
    assert wechat.duplicates == []


def test_wechat_send_raises_token_error_when_refreshed_token_is_refused_too(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat)
    adapter.send(message(key="warm-up"))
    wechat.errcode_next(2, 42001, "access_token expired")

    with pytest.raises(ProviderError) as caught:
        adapter.send(message(key="k1"))

    assert caught.value.code == "42001"
    assert wechat.token_requests == 2
    assert classify("wechat", caught.value.code).outcome == Outcome.TEMPORARY


def test_wechat_send_classifies_user_refusal_as_permanent(wechat: FakeWechat) -> None:
    wechat.refuse(BOB, 43101, "user refuse to accept the msg")

    with pytest.raises(ProviderError) as caught:
        adapter_for(wechat).send(message(address=BOB))

    assert (caught.value.channel, caught.value.code) == ("wechat", "43101")
    assert classify("wechat", caught.value.code).outcome == Outcome.PERMANENT


def test_wechat_send_classifies_unknown_openid_as_permanent(wechat: FakeWechat) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wechat).send(message(address="oAbc123stranger"))

    assert caught.value.code == "40003"
    assert classify("wechat", caught.value.code).outcome == Outcome.PERMANENT


def test_wechat_send_defers_to_quota_reset_when_quota_is_used_up(wechat: FakeWechat) -> None:
    wechat.set_quota(1)
    adapter = adapter_for(wechat)
    adapter.send(message(key="k1"))

    with pytest.raises(ProviderError) as caught:
        adapter.send(message(key="k2"))

    rule = classify("wechat", caught.value.code)
    now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert caught.value.code == "45009"
    assert rule.outcome == Outcome.DEFERRED
    assert defer_until(rule, now) == next_quota_reset(now)
    assert len(wechat.accepted) == 1


def test_wechat_send_classifies_bad_secret_as_configuration(wechat: FakeWechat) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wechat, app_secret="wrong").send(message())

    assert caught.value.code == "40125"
    assert classify("wechat", caught.value.code).outcome == Outcome.CONFIGURATION
    assert wechat.accepted == []


def test_wechat_send_raises_configuration_error_when_token_endpoint_answers_40001(wechat: FakeWechat) -> None:
    wechat.errcode_next(1, 40001, "invalid credential, access_token is invalid or not latest", endpoint="token")

    with pytest.raises(ConfigurationError):
        adapter_for(wechat).send(message())

    assert wechat.accepted == []


def test_wechat_send_classifies_template_data_mismatch_as_configuration(wechat: FakeWechat) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter_for(wechat).send(message(params={"thing2": "已派单"}))

    assert caught.value.code == "47003"
    assert classify("wechat", caught.value.code).outcome == Outcome.CONFIGURATION


def test_wechat_send_requires_template_id(wechat: FakeWechat) -> None:
    with pytest.raises(ConfigurationError):
        adapter_for(wechat).send(message(provider_template=""))

    assert wechat.received == []


def test_wechat_adapter_requires_app_secret() -> None:
    with pytest.raises(ConfigurationError):
        WechatOfficialAccountAdapter(ChannelSettings(settings={"app_id": "wx1"}, secrets={}))


def test_wechat_send_raises_transport_error_on_http_500_then_succeeds(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat)
    adapter.send(message(key="warm-up"))
    wechat.fail_next(1, status=500)

    with pytest.raises(TransportError):
        adapter.send(message(key="k1"))
    sent = adapter.send(message(key="k1"))

    assert sent.provider_message_id == wechat.accepted[-1].msgid
    assert [d.body["client_msg_id"] for d in wechat.accepted] == ["warm-up", "k1"]


def test_wechat_send_raises_transport_error_when_answer_is_not_json(wechat: FakeWechat) -> None:
    wechat.fail_next(1, status=200)

    with pytest.raises(TransportError):
        adapter_for(wechat).send(message())


def test_wechat_send_raises_transport_error_when_server_is_down(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat)
    wechat.stop()

    with pytest.raises(TransportError):
        adapter.send(message())


def test_wechat_send_raises_transport_error_on_timeout(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat, timeout=0.1)
    adapter.send(message(key="warm-up"))
    wechat.latency = 0.4

    with pytest.raises(TransportError):
        adapter.send(message(key="k1"))


def test_wechat_send_twice_with_same_key_is_accepted_once(wechat: FakeWechat) -> None:
    adapter = adapter_for(wechat)

    first = adapter.send(message())
    second = adapter.send(message())

    assert len(wechat.accepted) == 1
    assert len(wechat.duplicates) == 1
    assert first.provider_message_id == second.provider_message_id


def test_wechat_send_hashes_long_idempotency_key_so_retries_still_deduplicate(wechat: FakeWechat) -> None:
    key = "ticket.updated:" + "x" * 100
    adapter = adapter_for(wechat)

    adapter.send(message(key=key))
    adapter.send(message(key=key))

    [delivery] = wechat.accepted
    assert len(delivery.body["client_msg_id"]) == 64
    assert len(wechat.duplicates) == 1


def test_client_msg_id_keeps_short_keys_and_hashes_long_ones_stably() -> None:
    long_key = "event:" + "9" * 80

    assert client_msg_id("short-key") == "short-key"
    assert client_msg_id("a" * 64) == "a" * 64
    assert len(client_msg_id(long_key)) == 64
    assert client_msg_id(long_key) == client_msg_id(long_key)
    assert client_msg_id(long_key) != client_msg_id(long_key + "0")


# --- event pushes ---


def test_verify_signature_accepts_wechat_signature() -> None:
    query = FakeWechat.push_query("push-token", timestamp="1409659813", nonce="1372623149")

    assert verify_signature("push-token", query["timestamp"], query["nonce"], query["signature"])


def test_verify_signature_rejects_other_token() -> None:
    query = FakeWechat.push_query("push-token")

    assert not verify_signature("other-token", query["timestamp"], query["nonce"], query["signature"])


def test_wechat_verify_push_is_false_without_callback_token(wechat: FakeWechat) -> None:
    query = FakeWechat.push_query("")

    assert not adapter_for(wechat, callback_token="").verify_push(
        query["timestamp"], query["nonce"], query["signature"]
    )


def test_parse_event_reads_delivered_template_message() -> None:
    report = parse_event(FakeWechat.job_finish_push("200163836", ALICE, "success", created=1395658920))

    assert report is not None
    assert report.provider_message_id == "200163836"
    assert report.delivered is True
    assert report.code == "success"
    assert report.at == datetime(2014, 3, 24, 11, 2, tzinfo=UTC)


def test_parse_event_reads_user_block_as_not_delivered() -> None:
    report = parse_event(FakeWechat.job_finish_push("200163840", ALICE, "failed:user block"))

    assert report is not None
    assert report.delivered is False
    assert report.code == "failed:user block"


def test_parse_event_ignores_other_events() -> None:
    xml = (
        b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
        b"<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        b"<Event><![CDATA[subscribe]]></Event></xml>"
    )

    assert parse_event(xml) is None


def test_parse_event_rejects_malformed_xml() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_event(b"<xml><MsgType>event</MsgType>")


def test_parse_event_rejects_doctype() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">]>'
        b"<xml><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>&lol;</MsgID></xml>"
    )

    with pytest.raises(ValueError, match="DTD"):
        parse_event(xml)


# --- the token cache ---


class CountingFetch:
    def __init__(self, *, expires_in: int = 7200, delay: float = 0.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, int]:
        with self._lock:
            self.calls += 1
            number = self.calls
        if self.delay:
            threading.Event().wait(self.delay)
        return f"token-{number}", self.expires_in


def test_tokens_get_fetches_once_when_many_threads_miss_together() -> None:
    fetch = CountingFetch(delay=0.1)
    results: list[str] = []

    threads = [threading.Thread(target=lambda: results.append(tokens.get("k", fetch))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fetch.calls == 1
    assert results == ["token-1"] * 10


def test_tokens_get_fetches_itself_when_lock_holder_is_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "WAIT_SECONDS", 0.1)
    cache.add("k:lock", "someone-else", 30)
    fetch = CountingFetch()

    token = tokens.get("k", fetch)

    assert token == "token-1"
    assert fetch.calls == 1


def test_tokens_get_keeps_token_until_five_minutes_before_expiry() -> None:
    fetch = CountingFetch(expires_in=7200)
    start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    with time_machine.travel(start, tick=False) as traveller:
        tokens.get("k", fetch)
        traveller.move_to(start + timedelta(seconds=6899))
        before = tokens.get("k", fetch)
        traveller.move_to(start + timedelta(seconds=6901))
        after = tokens.get("k", fetch)

    assert (before, after) == ("token-1", "token-2")


def test_tokens_get_treats_stale_token_as_a_miss() -> None:
    fetch = CountingFetch()
    first = tokens.get("k", fetch)

    refreshed = tokens.get("k", fetch, stale=first)
    again = tokens.get("k", fetch, stale=first)

    assert (first, refreshed, again) == ("token-1", "token-2", "token-2")


def test_tokens_invalidate_keeps_a_newer_token() -> None:
    fetch = CountingFetch()
    tokens.get("k", fetch)
    tokens.get("k", fetch, stale="token-1")

    tokens.invalidate("k", "token-1")

    assert tokens.get("k", fetch) == "token-2"


def test_tokens_invalidate_forgets_the_token() -> None:
    fetch = CountingFetch()
    tokens.get("k", fetch)

    tokens.invalidate("k")

    assert tokens.get("k", fetch) == "token-2"


def test_wechat_token_key_differs_per_app_id(wechat: FakeWechat) -> None:
    one = adapter_for(wechat)
    other = adapter_for(wechat, app_id="wx5e1f0000000002")

    assert one.token_key != other.token_key
    assert "app-secret" not in one.token_key
