"""The outbox workers against a local Aliyun SMS that checks signatures: retries, backoff,
permanent and configuration errors, deferral, dead letters, crash takeover, quiet hours,
delivery reports and the customer's timeline."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications import delivery
from kefu.notifications.channels.sms import AliyunSmsAdapter
from kefu.notifications.fakes.aliyun_sms import ACCESS_KEY_SECRET, TEMPLATE_CODE, FakeAliyunSms
from kefu.notifications.models import DeliveryAttempt, OutboxMessage, Status
from kefu.notifications.services import notify
from kefu.notifications.tests.helpers import approved_template, configure

CONTEXT = {
    "customer_name": "王先生",
    "ticket_number": "KF1",
    "kind": "投诉",
    "unit": "1栋",
    "link": "https://x/",
    "reply": "明天上门",
    "agent_name": "李娜",
}


@pytest.fixture
def fake():
    with FakeAliyunSms() as server:
        yield server


@pytest.fixture
def sms(city, fake):
    settings = fake.channel_settings()
    config = configure(city, "sms", dict(settings.settings), access_key_secret=ACCESS_KEY_SECRET)
    approved_template(
        city, "ticket.reply", "sms", code=TEMPLATE_CODE, params={"ticket": "{ticket_number}", "status": "有新回复"}
    )
    return config


@pytest.fixture
def customer(city):
    return CustomerFactory(organisation=city, name="王先生", mobile="13812345678")


def _daytime():
    # 10:00 Beijing: outside quiet hours whatever the machine's clock says.
    now = timezone.now()
    return time_machine.travel(now.replace(hour=2, minute=0), tick=True)


def _ask(city, customer, key="t:1:e:1"):
    return notify(event="ticket.reply", organisation=city, source_key=key, customer=customer, context=CONTEXT).messages[
        0
    ]


def test_a_message_is_sent_once_and_logged(city, customer, sms, fake):
    with _daytime():
        message = _ask(city, customer)
        stats = delivery.deliver_due(worker="w1")
    assert stats.sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider_message_id
    (accepted,) = fake.accepted
    assert accepted.out_id == message.idempotency_key and accepted.phone_numbers == ("13812345678",)
    assert accepted.params == {"ticket": "KF1", "status": "有新回复"}
    (attempt,) = message.delivery_attempts.all()
    assert attempt.outcome == "sent" and attempt.provider_message_id == message.provider_message_id
    assert customer.timeline.filter(kind="notification.sent").count() == 1
    # Nothing more to do: a second pass claims nothing.
    assert delivery.deliver_due(worker="w2").claimed == 0


def test_500_then_200_retries_with_backoff(city, customer, sms, fake):
    fake.fail_next(1, status=500)
    with _daytime() as traveller:
        message = _ask(city, customer)
        assert delivery.deliver_due(worker="w").retrying == 1
        message.refresh_from_db()
        assert message.status == Status.PENDING and message.attempts == 1 and message.error_code == "transport"
        wait = (message.next_attempt_at - timezone.now()).total_seconds()
        assert 20 <= wait <= 40  # 30 s ± 20 %
        assert delivery.deliver_due(worker="w").claimed == 0  # not yet due
        traveller.shift(timedelta(seconds=45))
        assert delivery.deliver_due(worker="w").sent == 1
    assert len(fake.accepted) == 1 and fake.duplicates == 0
    assert [a.outcome for a in message.delivery_attempts.all()] == ["temporary", "sent"]


def test_an_invalid_number_fails_for_good_and_falls_back(city, customer, sms, fake):
    fake.fail_number("13812345678", "isv.MOBILE_NUMBER_ILLEGAL")
    with _daytime():
        message = _ask(city, customer)
        delivery.deliver_due(worker="w")
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert message.fallback == ["email"]
    # No email on file: nothing further, and the timeline says why the SMS failed.
    assert not message.fallbacks.exists()
    assert customer.timeline.filter(kind="notification.failed").exists()


def test_a_wrong_secret_goes_straight_to_the_dead_letters(city, customer, sms, fake):
    from kefu.notifications import configuration

    configuration.write_secrets(sms, {"access_key_secret": "wrong"})
    sms.save()
    with _daytime():
        message = _ask(city, customer)
        delivery.deliver_due(worker="w")
    message.refresh_from_db()
    assert message.status == Status.DEAD and message.error_code == "SignatureDoesNotMatch"
    assert message.attempts == 1


def test_rate_limit_defers_without_spending_attempts(city, customer, sms, fake):
    fake.fail_number("13812345678", "isv.BUSINESS_LIMIT_CONTROL")
    with _daytime():
        message = _ask(city, customer)
        assert delivery.deliver_due(worker="w").deferred == 1
        message.refresh_from_db()
        assert message.status == Status.PENDING and message.attempts == 0
        assert message.next_attempt_at > timezone.now() + timedelta(minutes=50)


def test_temporary_errors_end_in_the_dead_letters(city, customer, sms, fake):
    fake.fail_next(100, status=503)
    with _daytime() as traveller:
        message = _ask(city, customer)
        for _ in range(delivery.MAX_ATTEMPTS):
            delivery.deliver_due(worker="w")
            traveller.shift(timedelta(minutes=40))  # past the longest backoff, still daytime
    message.refresh_from_db()
    assert message.status == Status.DEAD and message.attempts == delivery.MAX_ATTEMPTS
    assert message.delivery_attempts.count() == delivery.MAX_ATTEMPTS


def test_a_worker_that_died_mid_send_is_taken_over_and_the_provider_drops_the_repeat(city, customer, sms, fake):
    with _daytime() as traveller:
        message = _ask(city, customer)
        claimed, _ = delivery.claim(worker="dead-worker")
        assert [m.pk for m in claimed] == [message.pk]
        # The dead worker got as far as the provider, then was killed before it recorded anything.
        AliyunSmsAdapter(fake.channel_settings()).send(delivery.outgoing(claimed[0]))
        assert delivery.deliver_due(worker="w2").claimed == 0  # its lease still holds
        traveller.shift(delivery.LEASE + timedelta(seconds=1))
        stats = delivery.deliver_due(worker="w2")
    assert stats.interrupted == 1 and stats.sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    outcomes = list(message.delivery_attempts.values_list("worker", "outcome"))
    assert outcomes == [("dead-worker", "interrupted"), ("w2", "sent")]
    assert len(fake.accepted) == 1 and fake.duplicates == 1


def test_quiet_hours_hold_until_morning_then_send(city, customer, sms, fake):
    night = timezone.now().replace(hour=14, minute=30)  # 22:30 Beijing
    with time_machine.travel(night, tick=False) as traveller:
        message = _ask(city, customer)
        assert message.status == Status.HELD
        assert delivery.deliver_due(worker="w").claimed == 0
        traveller.move_to(night.replace(hour=23, minute=59) + timedelta(minutes=2))  # 08:01 Beijing
        assert delivery.deliver_due(worker="w").sent == 1
    assert len(fake.accepted) == 1


def test_delivery_report_marks_delivered_and_repeats_change_nothing(client, city, customer, sms, fake):
    with _daytime():
        message = _ask(city, customer)
        delivery.deliver_due(worker="w")
    message.refresh_from_db()
    report = [
        {
            "phone_number": "13812345678",
            "send_time": "2026-11-23 10:00:01",
            "report_time": "2026-11-23 10:00:05",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": message.provider_message_id,
            "out_id": message.idempotency_key,
        }
    ]
    url = reverse("notifications:callback", kwargs={"channel": "sms", "key": sms.callback_key})
    for _ in range(2):
        response = client.post(url, data=json.dumps(report), content_type="application/json")
        assert response.status_code == 200 and response.json()["code"] == 0
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.delivered_at is not None
    assert customer.timeline.filter(kind="notification.delivered").count() == 1
    bad = client.post(
        reverse("notifications:callback", kwargs={"channel": "sms", "key": "nope"}),
        data="[]",
        content_type="application/json",
    )
    assert bad.status_code == 404


def test_an_undelivered_report_moves_to_the_next_channel(client, city, customer, sms, fake):
    configure(city, "email", {"host": "127.0.0.1", "from_email": "kefu@example.com"})
    from kefu.customers.services import contact_add

    contact_add(actor=None, customer=customer, kind="email", value="wang@example.com")
    with _daytime():
        message = _ask(city, customer)
        delivery.deliver_due(worker="w")
    message.refresh_from_db()
    report = [
        {
            "success": False,
            "err_code": "UNDELIV",
            "err_msg": "停机",
            "biz_id": message.provider_message_id,
            "out_id": "",
            "phone_number": "13812345678",
            "report_time": "2026-11-23 10:00:05",
        }
    ]
    url = reverse("notifications:callback", kwargs={"channel": "sms", "key": sms.callback_key})
    assert client.post(url, data=json.dumps(report), content_type="application/json").status_code == 200
    message.refresh_from_db()
    assert message.status == Status.FAILED
    (email,) = message.fallbacks.all()
    assert email.channel == "email" and email.address == "wang@example.com" and email.status == Status.PENDING


def test_with_the_provider_down_the_business_action_answers_at_its_usual_speed(city, customer, sms, fake, agent):
    from kefu.tickets.services import ticket_reply
    from kefu.tickets.tests.factories import TicketFactory

    fake.set_latency(5)  # a provider that hangs
    ticket = TicketFactory(actor=agent, customer=customer)
    with _daytime():
        started = time.monotonic()
        ticket_reply(actor=agent, ticket=ticket, body="明天上门", channel="sms")
        elapsed = time.monotonic() - started
    assert elapsed < 1.0
    message = OutboxMessage.objects.get(event="ticket.reply")
    assert message.status == Status.PENDING and not DeliveryAttempt.objects.exists()


def test_the_outbox_drains_when_the_provider_comes_back(city, sms, fake):
    customers = [CustomerFactory(organisation=city, mobile=f"1381234567{i}") for i in range(3)]
    fake.stop()
    with _daytime() as traveller:
        messages = [_ask(city, customer, key=f"t:{i}") for i, customer in enumerate(customers)]
        assert delivery.deliver_due(worker="w").retrying == 3
        fake.start()  # back on the same port
        traveller.shift(timedelta(minutes=2))
        assert delivery.deliver_due(worker="w").sent == 3
    assert {m.status for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in messages])} == {Status.SENT}
    assert len(fake.accepted) == 3


def test_message_entries_on_the_customer_page_link_to_the_delivery_log(client, city, customer, sms, fake, admin):
    with _daytime():
        message = _ask(city, customer)
        delivery.deliver_due(worker="w")
    client.force_login(admin.user)
    page = client.get(reverse("customers:customer_detail", kwargs={"customer_id": customer.pk}))
    assert reverse("notifications:message_detail", kwargs={"message_id": message.pk}) in page.content.decode()
