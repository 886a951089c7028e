"""What the customer voice tells people through the outbox: replies, resolutions, assignments,
SLA warnings and escalations, the OA webhook and the morning report."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.core.roles import Role
from kefu.notifications.models import InAppNotification, OutboxMessage, Status
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.standards.tests.factories import SlaPolicyFactory
from kefu.tickets.report_push import daily_report_push
from kefu.tickets.scan import sla_scan
from kefu.tickets.services import ticket_assign, ticket_reply, ticket_resolve
from kefu.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def sms(city):
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(city, "ticket.reply", "sms", code="SMS_1", params={"ticket": "{ticket_number}"})
    approved_template(city, "ticket.resolved", "sms", code="SMS_2", params={"ticket": "{ticket_number}"})


def test_a_reply_by_sms_asks_for_one_sms_and_a_phone_reply_for_none(city, agent, sms):
    ticket = TicketFactory(actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH)):
        ticket_reply(actor=agent, ticket=ticket, body="已联系维修。", channel="phone")
        assert not OutboxMessage.objects.filter(event="ticket.reply").exists()
        event = ticket_reply(actor=agent, ticket=ticket, body="明天上午上门。", channel="sms")
    message = OutboxMessage.objects.get(event="ticket.reply")
    assert message.channel == "sms" and message.customer_id == ticket.customer_id
    assert message.source_key == f"ticket:{ticket.pk}:event:{event.pk}"
    assert message.context["reply"] == "明天上午上门。" and message.context["agent_name"] == agent.name
    assert message.params == {"ticket": ticket.number}


def test_resolving_tells_the_customer(city, agent, sms):
    ticket = TicketFactory(actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH)):
        ticket_resolve(actor=agent, ticket=ticket, resolution="已更换密封圈。")
    message = OutboxMessage.objects.get(event="ticket.resolved")
    assert message.context["measures"] == "已更换密封圈。" and message.status == Status.PENDING


def test_assigning_rings_the_assignees_bell_but_not_ones_own(city, agent, make_staff):
    colleague = make_staff(city, Role.AGENT, name="李娜")
    ticket = TicketFactory(actor=agent)
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    assert not InAppNotification.objects.exists()
    ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    note = InAppNotification.objects.get(membership=colleague)
    assert ticket.number in note.title and note.url.endswith(f"/tickets/{ticket.pk}/")


def test_the_oa_webhook_hears_of_logged_tickets_only_when_set_up(city, agent):
    TicketFactory(actor=agent)
    assert not OutboxMessage.objects.exists()
    configure(city, "webhook", {"url": "https://oa.example.com/hook"}, secret="k")
    ticket = TicketFactory(actor=agent)
    message = OutboxMessage.objects.get(event="integration.ticket")
    assert message.recipient_type == "endpoint" and message.context["ticket_number"] == ticket.number


def test_scan_escalates_to_the_supervisor_once_per_level(city, agent, make_staff):
    supervisor = make_staff(city, Role.SUPERVISOR, name="主管")
    SlaPolicyFactory(organisation=city, first_response_time=timedelta(hours=1), resolution_time=timedelta(hours=2))
    with time_machine.travel(datetime(2025, 3, 4, 9, 0, tzinfo=SH), tick=False):
        ticket = TicketFactory(actor=agent)
    with time_machine.travel(datetime(2025, 3, 12, 12, 0, tzinfo=SH), tick=False):
        sla_scan()
        sla_scan()
    # Breached, then (with no unit head) escalated again to the supervisor: one message per level,
    # however often the scan runs.
    escalations = OutboxMessage.objects.filter(event="ticket.escalated", membership=supervisor)
    assert sorted(escalations.values_list("source_key", flat=True)) == [
        f"ticket:{ticket.pk}:escalated:1:0",
        f"ticket:{ticket.pk}:escalated:2:0",
    ]
    assert InAppNotification.objects.filter(membership=supervisor, event="ticket.escalated").count() == 2


def test_the_morning_report_goes_out_once_after_half_past_eight(city, agent, make_staff):
    supervisor = make_staff(city, Role.SUPERVISOR, name="主管")
    with time_machine.travel(datetime(2026, 11, 22, 10, 0, tzinfo=SH), tick=False):
        TicketFactory(actor=agent)
        TicketFactory(actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SH), tick=False):
        assert daily_report_push() == 0
    with time_machine.travel(datetime(2026, 11, 23, 8, 45, tzinfo=SH), tick=False):
        assert daily_report_push() == 1
        assert daily_report_push() == 0
    note = InAppNotification.objects.get(membership=supervisor, event="report.daily_complaints")
    assert "11月22日" in note.title and "新增投诉2件" in note.body
    assert "unit=" in note.url and "day=2026-11-22" in note.url


def test_a_reply_carries_a_signed_link_to_the_request_on_the_portal(client, city, agent, sms):
    ticket = TicketFactory(actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH)):
        ticket_reply(actor=agent, ticket=ticket, body="明天上午上门。", channel="sms")
        link = OutboxMessage.objects.get(event="ticket.reply").context["link"]
        assert "/m/l/" in link
        opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302 and opened["Location"].endswith(f"/m/requests/{ticket.pk}/")


def test_a_reply_by_sms_keeps_to_the_route_the_administrator_set(city, agent, sms):
    from kefu.notifications.models import EventRoute

    EventRoute.objects.create(organisation=city, event="ticket.reply", channels=["wechat", "email"])
    ticket = TicketFactory(actor=agent)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH)):
        ticket_reply(actor=agent, ticket=ticket, body="明天上午上门。", channel="sms")
    assert OutboxMessage.objects.filter(event="ticket.reply").exists()
    assert not OutboxMessage.objects.filter(event="ticket.reply", channel="sms").exists()


def test_a_head_who_may_not_read_reports_gets_none_and_stops_nothing(city, other_city, agent, make_staff):
    from kefu.orgs.models import OrgUnit

    head = make_staff(city, Role.AGENT, name="负责人")
    OrgUnit.objects.filter(pk=city.pk).update(head=head)
    elsewhere = make_staff(other_city, Role.SUPERVISOR, name="成都主管")
    with time_machine.travel(datetime(2026, 11, 23, 8, 45, tzinfo=SH), tick=False):
        assert daily_report_push() == 1
    assert InAppNotification.objects.get(event="report.daily_complaints").membership == elsewhere
