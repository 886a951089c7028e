"""The Aliyun SMS adapter against a local Aliyun SMS that checks the signature itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.utils import timezone

from kefu.notifications.channels.base import (
    ConfigurationError,
    Outgoing,
    ProviderError,
    TransportError,
)
from kefu.notifications.channels.reports import StatusReport
from kefu.notifications.channels.sms import (
    AliyunSmsAdapter,
    parse_status_report,
    sign,
    string_to_sign,
)
from kefu.notifications.classification import BEIJING, Outcome, classify
from kefu.notifications.fakes.aliyun_sms import TEMPLATE_CODE, FakeAliyunSms

PHONE = "8613812345678"


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms() as server:
        yield server


def outgoing(**overrides: object) -> Outgoing:
    values: dict[str, object] = {
        "idempotency_key": "ticket.resolved:42:customer:7:sms",
        "address": PHONE,
        "event": "ticket.resolved",
        "provider_template": TEMPLATE_CODE,
        "params": {"ticket": "GD20250303-0042", "status": "已解决"},
    }
    values.update(overrides)
    return Outgoing(**values)  # type: ignore[arg-type]


def refusal(fake: FakeAliyunSms, message: Outgoing, **settings: object) -> ProviderError:
    adapter = AliyunSmsAdapter(fake.channel_settings(**settings))
    with pytest.raises(ProviderError) as caught:
        adapter.send(message)
    return caught.value


# --- signing ---


def test_sign_matches_aliyun_documented_example() -> None:
    # The worked example of https://help.aliyun.com/document_detail/28839.html (ECS DescribeRegions,
    # key "testid", secret "testsecret"), with the parameter spelt "TimeStamp" as the example spells it.
    params = {
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }

    assert sign(params, "testsecret", "GET") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_string_to_sign_encodes_space_as_percent_20_and_keeps_tilde() -> None:
    to_sign = string_to_sign({"b": "a b~*", "a": "中"}, "POST")

    assert to_sign == "POST&%2F&a%3D%25E4%25B8%25AD%26b%3Da%2520b~%252A"


# --- sending ---


def test_send_returns_biz_id_and_echoes_idempotency_key_as_out_id(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())

    sent = adapter.send(outgoing())

    [accepted] = fake.accepted
    assert sent.provider_message_id == accepted.biz_id
    assert sent.detail == {"request_id": accepted.request_id}
    assert accepted.out_id == "ticket.resolved:42:customer:7:sms"
    assert accepted.phone_numbers == ("13812345678",)
    assert accepted.params == {"ticket": "GD20250303-0042", "status": "已解决"}


def test_send_writes_non_mainland_numbers_with_00(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())

    adapter.send(outgoing(address="85291234567"))

    assert fake.accepted[0].phone_numbers == ("0085291234567",)


def test_send_with_wrong_secret_is_refused_as_configuration(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(), access_key_secret="not-the-secret")

    assert error.code == "SignatureDoesNotMatch"
    assert classify("sms", error.code).outcome == Outcome.CONFIGURATION
    assert fake.accepted == []


def test_send_with_unknown_access_key_is_refused(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(), access_key_id="LTAI5tSomebodyElse")

    assert error.code == "InvalidAccessKeyId.NotFound"
    assert classify("sms", error.code).outcome == Outcome.CONFIGURATION


def test_send_with_unapproved_sign_name_is_refused(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(), sign_name="未备案签名")

    assert error.code == "isv.SMS_SIGNATURE_ILLEGAL"


def test_send_with_unapproved_template_is_refused_as_configuration(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(provider_template="SMS_000000000"))

    assert error.code == "isv.SMS_TEMPLATE_ILLEGAL"
    assert classify("sms", error.code).outcome == Outcome.CONFIGURATION


def test_send_with_missing_template_parameter_is_refused_as_permanent(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(params={"ticket": "GD20250303-0042"}))

    assert error.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert classify("sms", error.code).outcome == Outcome.PERMANENT


def test_send_to_illegal_number_is_refused_as_permanent(fake: FakeAliyunSms) -> None:
    error = refusal(fake, outgoing(address="8612345"))

    assert error.code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert classify("sms", error.code).outcome == Outcome.PERMANENT


def test_send_to_scripted_failing_number_is_refused_with_its_code(fake: FakeAliyunSms) -> None:
    fake.fail_number(PHONE, "isv.BLACK_KEY_CONTROL_LIMIT")

    error = refusal(fake, outgoing())

    assert error.code == "isv.BLACK_KEY_CONTROL_LIMIT"


def test_send_over_the_per_number_rate_limit_is_deferred() -> None:
    with FakeAliyunSms(rate_limit=(1, 60.0)) as fake:
        adapter = AliyunSmsAdapter(fake.channel_settings())
        adapter.send(outgoing(idempotency_key="first"))

        with pytest.raises(ProviderError) as caught:
            adapter.send(outgoing(idempotency_key="second"))

    assert caught.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert classify("sms", caught.value.code).outcome == Outcome.DEFERRED
    assert len(fake.accepted) == 1


def test_send_after_http_500_succeeds_on_the_next_attempt(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())
    fake.fail_next(1, status=500)

    with pytest.raises(TransportError):
        adapter.send(outgoing())
    sent = adapter.send(outgoing())

    assert [accepted.biz_id for accepted in fake.accepted] == [sent.provider_message_id]


def test_send_to_stopped_server_is_a_transport_error() -> None:
    fake = FakeAliyunSms().start()
    adapter = AliyunSmsAdapter(fake.channel_settings())
    adapter.send(outgoing(idempotency_key="before"))
    fake.stop()

    # The pooled connection kept alive by the first send must not outlive the server.
    with pytest.raises(TransportError):
        adapter.send(outgoing(idempotency_key="after"))

    assert [accepted.out_id for accepted in fake.accepted] == ["before"]


def test_send_slower_than_timeout_is_a_transport_error(fake: FakeAliyunSms) -> None:
    fake.set_latency(1.0)
    adapter = AliyunSmsAdapter(fake.channel_settings(timeout=0.1))

    with pytest.raises(TransportError, match="timed out"):
        adapter.send(outgoing())


def test_send_twice_with_same_idempotency_key_is_one_delivery_and_one_duplicate(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())

    first = adapter.send(outgoing())
    second = adapter.send(outgoing())

    assert len(fake.accepted) == 1
    assert fake.duplicates == 1
    assert second.provider_message_id == first.provider_message_id


def test_send_signs_each_request_with_a_fresh_nonce(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())

    adapter.send(outgoing(idempotency_key="a"))
    adapter.send(outgoing(idempotency_key="b"))

    assert len(fake.accepted) == 2
    assert fake.refusals == []


def test_send_without_template_code_is_a_configuration_error(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())

    with pytest.raises(ConfigurationError):
        adapter.send(outgoing(provider_template=""))

    assert fake.requests == 0


def test_adapter_without_sign_name_is_a_configuration_error(fake: FakeAliyunSms) -> None:
    with pytest.raises(ConfigurationError, match="sign_name"):
        AliyunSmsAdapter(fake.channel_settings(sign_name=""))


# --- the fake's own gateway checks ---


def test_fake_refuses_reused_nonce(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())
    params = adapter.request_params(outgoing(), nonce="nonce-1", timestamp=timezone.now().astimezone(BEIJING))

    first = fake.handle("POST", dict(params))
    second = fake.handle("POST", dict(params))

    assert (first[0], first[1]["Code"]) == (200, "OK")
    assert (second[0], second[1]["Code"]) == (400, "SignatureNonceUsed")


def test_fake_refuses_timestamp_older_than_fifteen_minutes(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())
    stale = datetime(2020, 1, 1, 9, 0, tzinfo=BEIJING)
    params = adapter.request_params(outgoing(), nonce="nonce-2", timestamp=stale)

    status, answer = fake.handle("POST", params)

    assert (status, answer["Code"]) == (400, "InvalidTimeStamp.Expired")


def test_fake_refuses_tampered_parameters(fake: FakeAliyunSms) -> None:
    adapter = AliyunSmsAdapter(fake.channel_settings())
    params = adapter.request_params(outgoing(), nonce="nonce-3", timestamp=timezone.now().astimezone(BEIJING))
    params["PhoneNumbers"] = "13900000000"

    status, answer = fake.handle("POST", params)

    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")


# --- delivery reports ---


def test_parse_status_report_reads_aliyun_push() -> None:
    body = json.dumps(
        [
            {
                "phone_number": "13812345678",
                "send_time": "2025-03-03 09:00:00",
                "report_time": "2025-03-03 09:00:05",
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": "900619746936498440^0",
                "out_id": "ticket.resolved:42:customer:7:sms",
            },
            {
                "phone_number": "13900000000",
                "send_time": "2025-03-03 09:00:00",
                "report_time": "2025-03-03 09:01:00",
                "success": False,
                "err_code": "MK:0000",
                "err_msg": "MK:0000",
                "sms_size": "1",
                "biz_id": "900619746936498441^0",
                "out_id": "ticket.resolved:43:customer:8:sms",
            },
        ],
        ensure_ascii=False,
    ).encode()

    reports = parse_status_report(body)

    assert reports == [
        StatusReport(
            provider_message_id="900619746936498440^0",
            idempotency_key="ticket.resolved:42:customer:7:sms",
            delivered=True,
            code="DELIVERED",
            description="用户接收成功",
            at=datetime(2025, 3, 3, 9, 0, 5, tzinfo=BEIJING),
        ),
        StatusReport(
            provider_message_id="900619746936498441^0",
            idempotency_key="ticket.resolved:43:customer:8:sms",
            delivered=False,
            code="MK:0000",
            description="MK:0000",
            at=datetime(2025, 3, 3, 9, 1, 0, tzinfo=BEIJING),
        ),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b"\xff\xfe",
        b'{"biz_id": "1", "success": true}',
        b"[1, 2]",
        b'[{"success": true, "err_code": "DELIVERED"}]',
        b'[{"biz_id": "1", "success": "yes"}]',
    ],
    ids=["html", "not-utf8", "object-not-array", "items-not-objects", "no-biz-id", "success-not-boolean"],
)
def test_parse_status_report_rejects_garbage(body: bytes) -> None:
    with pytest.raises(ValueError, match="SMS status report"):
        parse_status_report(body)
