"""notify(): the channel it picks, what it skips and why, and the policy."""

from datetime import UTC, datetime, time

import pytest
from django.db import transaction

from kefu.customers.models import Consent, ContactMethod
from kefu.customers.services import consent_grant, contact_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import DeliveryPolicy, InAppNotification, OutboxMessage, Status
from kefu.notifications.services import notify
from kefu.notifications.tests.helpers import approved_template, configure

REPLY = {
    "customer_name": "王先生",
    "ticket_number": "KF1",
    "kind": "投诉",
    "unit": "1栋",
    "link": "https://x/",
    "reply": "明天上门",
    "agent_name": "李娜",
}
# 10:00 in Beijing: not quiet.
DAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# 22:30 in Beijing: quiet.
NIGHT = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@pytest.fixture
def customer(city):
    return CustomerFactory(organisation=city, name="王先生", mobile="13812345678")


@pytest.fixture
def sms_ready(city):
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(city, "ticket.reply", "sms", code="SMS_1", params={"code": "{ticket_number}"})


def test_staff_message_lands_in_the_bell_in_the_same_transaction(city, agent):
    result = notify(
        event="ticket.assigned",
        organisation=city,
        source_key="t:1:a",
        membership=agent,
        context={
            "ticket_number": "KF1",
            "kind": "投诉",
            "customer_name": "王",
            "summary": "漏水",
            "due_at": "17:30",
            "link": "/t/1/",
        },
        url="/tickets/1/",
    )
    (message,) = result.messages
    assert message.channel == "inapp" and message.status == Status.DELIVERED
    note = InAppNotification.objects.get(membership=agent)
    assert note.title == "新投诉KF1" and note.url == "/tickets/1/" and note.read_at is None


def test_a_rollback_sends_nothing(city, agent):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(
            event="notifications.test",
            organisation=city,
            source_key="x",
            membership=agent,
            context={"name": "a", "channel": "b"},
        )
        raise RuntimeError
    assert not OutboxMessage.objects.exists() and not InAppNotification.objects.exists()


def test_the_same_event_twice_makes_one_message(city, customer, sms_ready):
    first = notify(
        event="ticket.reply", organisation=city, source_key="t:1:r:9", customer=customer, context=REPLY, now=DAY
    )
    again = notify(
        event="ticket.reply", organisation=city, source_key="t:1:r:9", customer=customer, context=REPLY, now=DAY
    )
    assert again.duplicate and again.messages[0].pk == first.messages[0].pk
    assert OutboxMessage.objects.count() == 1


def test_wechat_first_then_sms_when_the_customer_has_no_openid(city, customer, sms_ready):
    configure(city, "wechat", {"app_id": "wx1"}, app_secret="s")
    approved_template(city, "ticket.reply", "wechat", code="TPL1", params={"first": "{customer_name}"})
    (message,) = notify(
        event="ticket.reply", organisation=city, source_key="k", customer=customer, context=REPLY, now=DAY
    ).messages
    assert message.channel == "sms"
    assert message.address == "8613812345678"
    assert message.params == {"code": "KF1"} and message.provider_template == "SMS_1"
    assert message.fallback == ["email"]
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value="o-abc")
    (message,) = notify(
        event="ticket.reply", organisation=city, source_key="k2", customer=customer, context=REPLY, now=DAY
    ).messages
    assert message.channel == "wechat" and message.address == "o-abc" and message.fallback == ["sms", "email"]


def test_no_reachable_channel_is_recorded_with_every_reason(city, customer):
    result = notify(event="ticket.reply", organisation=city, source_key="k", customer=customer, context=REPLY, now=DAY)
    (message,) = result.messages
    assert message.status == Status.SUPPRESSED
    assert {s.code for s in result.skipped} == {"channel.not_configured"}
    assert "未配置" in message.error or "not set up" in message.error
    assert customer.timeline.filter(kind="notification.suppressed").exists()


def test_unapproved_sms_template_is_skipped_with_a_clear_reason(city, customer):
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    template = approved_template(city, "ticket.reply", "sms", code="SMS_1", params={"code": "{ticket_number}"})
    template.is_approved = False
    template.save()
    result = notify(event="ticket.reply", organisation=city, source_key="k", customer=customer, context=REPLY, now=DAY)
    sms_skip = next(s for s in result.skipped if s.channel == "sms")
    assert sms_skip.code == "template.not_approved" and "SMS_1" in sms_skip.reason


def test_missing_variable_is_skipped_naming_the_variable(city, customer, sms_ready):
    context = {k: v for k, v in REPLY.items() if k != "ticket_number"}
    result = notify(
        event="ticket.reply", organisation=city, source_key="k", customer=customer, context=context, now=DAY
    )
    sms_skip = next(s for s in result.skipped if s.channel == "sms")
    assert sms_skip.code == "template.missing_variable" and "{ticket_number}" in sms_skip.reason


def test_oversized_sms_parameter_is_refused(city, customer):
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(city, "ticket.reply", "sms", code="SMS_1", params={"reply": "{reply}"})
    context = {**REPLY, "reply": "很长的回复" * 10}
    result = notify(
        event="ticket.reply", organisation=city, source_key="k", customer=customer, context=context, now=DAY
    )
    sms_skip = next(s for s in result.skipped if s.channel == "sms")
    assert sms_skip.code == "message.param_too_long" and "35" in sms_skip.reason


def test_customer_without_a_mobile_is_skipped(city, sms_ready):
    customer = CustomerFactory(organisation=city, mobile="")
    result = notify(event="ticket.reply", organisation=city, source_key="k", customer=customer, context=REPLY, now=DAY)
    assert next(s for s in result.skipped if s.channel == "sms").code == "recipient.no_address"


def test_quiet_hours_hold_customer_sms_until_morning(city, customer, sms_ready):
    (message,) = notify(
        event="ticket.reply", organisation=city, source_key="k", customer=customer, context=REPLY, now=NIGHT
    ).messages
    assert message.status == Status.HELD
    assert message.next_attempt_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 Beijing


def test_urgent_staff_messages_ignore_quiet_hours(city, agent):
    configure(city, "wecom", {"corp_id": "c", "agent_id": 1}, corp_secret="s")
    agent.wecom_userid = "zhangsan"
    agent.save()
    context = {
        "ticket_number": "K",
        "kind": "投诉",
        "customer_name": "王",
        "summary": "s",
        "due_at": "d",
        "link": "l",
        "step": "首次响应",
        "level": "主管",
    }
    (message,) = notify(
        event="ticket.escalated",
        organisation=city,
        source_key="k",
        membership=agent,
        context=context,
        prefer="wecom",
        now=NIGHT,
    ).messages
    assert message.status == Status.PENDING and message.next_attempt_at == NIGHT


def test_consent_is_needed_for_anything_but_service(city, customer, monkeypatch):
    from kefu.notifications import events

    survey = events.Event(
        key="test.survey",
        label="survey",
        audience="customer",
        purpose=events.SURVEY,
        channels=("sms",),
        variables={"x": ("x", "1")},
        capped=True,
    )
    monkeypatch.setitem(events.EVENTS, "test.survey", survey)
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(city, "test.survey", "sms", code="SMS_9", params={"x": "{x}"}, body="{x}")
    result = notify(
        event="test.survey", organisation=city, source_key="s1", customer=customer, context={"x": "1"}, now=DAY
    )
    assert result.messages[0].status == Status.SUPPRESSED and result.skipped[0].code == "recipient.no_consent"
    consent_grant(
        actor=None,
        customer=customer,
        purpose=Consent.Purpose.SURVEY,
        channel=Consent.Channel.SMS,
        method=Consent.Method.PORTAL,
    )
    result = notify(
        event="test.survey", organisation=city, source_key="s2", customer=customer, context={"x": "1"}, now=DAY
    )
    assert result.messages[0].status == Status.PENDING


def test_daily_cap_per_customer(city, customer, monkeypatch):
    from kefu.notifications import events

    survey = events.Event(
        key="test.capped",
        label="capped",
        audience="customer",
        purpose=events.SERVICE,
        channels=("sms",),
        variables={"x": ("x", "1")},
        capped=True,
    )
    monkeypatch.setitem(events.EVENTS, "test.capped", survey)
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(city, "test.capped", "sms", code="SMS_9", params={"x": "{x}"}, body="{x}")
    DeliveryPolicy.objects.create(organisation=city, daily_cap=2, quiet_start=time(21), quiet_end=time(8))
    statuses = [
        notify(
            event="test.capped", organisation=city, source_key=f"s{i}", customer=customer, context={"x": "1"}, now=DAY
        )
        .messages[0]
        .status
        for i in range(3)
    ]
    assert statuses == [Status.PENDING, Status.PENDING, Status.SUPPRESSED]
    assert OutboxMessage.objects.get(source_key="s2").error_code == "policy.daily_cap"


def test_endpoint_events_without_a_webhook_write_nothing(city):
    context = {
        "ticket_number": "K",
        "kind": "投诉",
        "action": "受理",
        "customer_name": "王",
        "summary": "s",
        "link": "l",
    }
    result = notify(event="integration.ticket", organisation=city, source_key="k", endpoint=True, context=context)
    assert result.messages == [] and not OutboxMessage.objects.exists()
