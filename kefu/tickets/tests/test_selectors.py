"""Read queries of customer voices: filters, scoping and query counts."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from kefu.core.roles import Role
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import UnitFactory
from kefu.standards.tests.factories import RequestCategoryFactory, SlaPolicyFactory
from kefu.tickets import selectors
from kefu.tickets.models import CannedReply, Ticket, TicketPresence
from kefu.tickets.services import presence_touch, ticket_assign, ticket_pause, ticket_resolve
from kefu.tickets.tests.factories import TicketFactory
from kefu.tickets.tests.world import png_upload

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Tuesday 10:00, inside working hours: due times are predictable."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(group):
    """2 business hours to the first response, 8 to resolution, for everything."""
    return SlaPolicyFactory(organisation=group, name="通用")


def _ids(tickets) -> set[int]:
    return {t.pk for t in tickets}


# Scoping


def test_ticket_list_hides_other_units_tickets(agent, outsider):
    mine = TicketFactory(actor=agent)
    TicketFactory(actor=outsider)

    assert _ids(selectors.ticket_list(viewer=agent)) == {mine.pk}


def test_group_viewer_sees_the_city_tickets(agent, group_admin):
    ticket = TicketFactory(actor=agent)

    assert _ids(selectors.ticket_list(viewer=group_admin)) == {ticket.pk}


def test_ticket_get_of_another_unit_is_404(agent, outsider):
    ticket = TicketFactory(actor=outsider)

    with pytest.raises(Http404):
        selectors.ticket_get(viewer=agent, ticket_id=ticket.pk)


def test_attachment_get_of_another_unit_is_404(agent, outsider):
    ticket = TicketFactory(actor=outsider, attachments=[png_upload()])

    with pytest.raises(Http404):
        selectors.attachment_get(viewer=agent, attachment_id=ticket.attachments.get().pk)


def test_ticket_get_by_number_forgives_case_and_spaces(agent):
    ticket = TicketFactory(actor=agent)

    found = selectors.ticket_get_by_number(viewer=agent, number=" " + ticket.number.lower())

    assert found == ticket


# Filters


def test_status_open_keeps_new_in_progress_and_waiting(agent):
    new = TicketFactory(actor=agent)
    waiting = TicketFactory(actor=agent)
    ticket_pause(actor=agent, ticket=waiting, reason="等业主")
    closed = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=closed, resolution="已答复")

    assert _ids(selectors.ticket_list(viewer=agent, status="open")) == {new.pk, waiting.pk}


def test_status_filters_one_status(agent):
    TicketFactory(actor=agent)
    closed = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=closed, resolution="已答复")

    assert _ids(selectors.ticket_list(viewer=agent, status=Ticket.Status.CLOSED)) == {closed.pk}


def test_mine_means_handler_or_first_responder(agent, city, make_staff):
    colleague = make_staff(city, Role.AGENT)
    logged = TicketFactory(actor=agent)
    handled = TicketFactory(actor=colleague)
    ticket_assign(actor=colleague, ticket=handled, assignee=agent)
    TicketFactory(actor=colleague)

    assert _ids(selectors.ticket_list(viewer=agent, mine=True)) == {logged.pk, handled.pk}


def test_breached_includes_overdue_open_tickets_the_scan_has_not_seen(agent, policy):
    overdue = TicketFactory(actor=agent)
    TicketFactory(actor=agent)
    Ticket.objects.filter(pk=overdue.pk).update(resolution_due_at=NOW - timedelta(minutes=1))

    assert _ids(selectors.ticket_list(viewer=agent, breached=True)) == {overdue.pk}


def test_breached_includes_recorded_breaches(agent, policy):
    breached = TicketFactory(actor=agent)
    TicketFactory(actor=agent)
    Ticket.objects.filter(pk=breached.pk).update(first_response_breached_at=NOW - timedelta(hours=1))

    assert _ids(selectors.ticket_list(viewer=agent, breached=True)) == {breached.pk}


def test_due_soon_keeps_running_clocks_due_within_two_hours(agent, policy):
    soon = TicketFactory(actor=agent)
    later = TicketFactory(actor=agent)
    paused = TicketFactory(actor=agent)
    Ticket.objects.filter(pk__in=[soon.pk, paused.pk]).update(resolution_due_at=NOW + timedelta(minutes=90))
    Ticket.objects.filter(pk=later.pk).update(resolution_due_at=NOW + timedelta(hours=3))
    Ticket.objects.filter(pk=paused.pk).update(paused_at=NOW)

    assert _ids(selectors.ticket_list(viewer=agent, due_soon=True)) == {soon.pk}


def test_waiting_keeps_paused_tickets(agent):
    waiting = TicketFactory(actor=agent)
    ticket_pause(actor=agent, ticket=waiting, reason="等业主")
    TicketFactory(actor=agent)

    assert _ids(selectors.ticket_list(viewer=agent, waiting=True)) == {waiting.pk}


def test_kind_severity_and_channel_filters(agent):
    match = TicketFactory(actor=agent, kind="repair", severity="urgent", channel="wechat")
    TicketFactory(actor=agent, kind="repair", severity="urgent", channel="phone")
    TicketFactory(actor=agent, kind="complaint", severity="urgent", channel="wechat")

    found = selectors.ticket_list(viewer=agent, kind="repair", severity="urgent", channel="wechat")

    assert _ids(found) == {match.pk}


def test_project_filter(agent, city):
    unit = UnitFactory(building__project__organisation=city)
    in_project = TicketFactory(actor=agent, unit=unit)
    TicketFactory(actor=agent)

    assert _ids(selectors.ticket_list(viewer=agent, project_id=unit.project_id)) == {in_project.pk}


def test_received_range_is_from_inclusive_to_exclusive(agent):
    early = TicketFactory(actor=agent, received_at=NOW - timedelta(days=2))
    TicketFactory(actor=agent, received_at=NOW - timedelta(days=1))

    found = selectors.ticket_list(
        viewer=agent, received_from=NOW - timedelta(days=3), received_to=NOW - timedelta(days=1)
    )

    assert _ids(found) == {early.pk}


def test_q_finds_a_ticket_by_number(agent):
    wanted = TicketFactory(actor=agent)
    TicketFactory(actor=agent)

    assert _ids(selectors.ticket_list(viewer=agent, q=wanted.number.lower())) == {wanted.pk}


def test_q_finds_words_of_the_subject(agent):
    wanted = TicketFactory(actor=agent, title="地下车库漏水")
    TicketFactory(actor=agent, title="电梯噪音")

    assert _ids(selectors.ticket_list(viewer=agent, q="车库")) == {wanted.pk}


def test_q_finds_the_customer_by_mobile_and_name(agent, city):
    customer = CustomerFactory(organisation=city, name="欧阳娜娜", mobile="13712345678")
    wanted = TicketFactory(actor=agent, customer=customer)
    TicketFactory(actor=agent)

    assert _ids(selectors.ticket_list(viewer=agent, q="5678")) == {wanted.pk}
    assert _ids(selectors.ticket_list(viewer=agent, q="欧阳")) == {wanted.pk}


def test_sort_due_puts_the_soonest_first_and_no_due_last(agent, policy):
    late, soon, none = (TicketFactory(actor=agent) for _ in range(3))
    Ticket.objects.filter(pk=late.pk).update(resolution_due_at=NOW + timedelta(hours=5))
    Ticket.objects.filter(pk=soon.pk).update(resolution_due_at=NOW + timedelta(hours=1))
    Ticket.objects.filter(pk=none.pk).update(resolution_due_at=None)

    found = [t.pk for t in selectors.ticket_list(viewer=agent, sort="due")]

    assert found == [soon.pk, late.pk, none.pk]


def test_ticket_list_costs_one_query_whatever_the_rows(agent, city, make_staff, django_assert_num_queries):
    colleague = make_staff(city, Role.AGENT)
    unit = UnitFactory(building__project__organisation=city)
    for _ in range(3):
        ticket = TicketFactory(actor=agent, unit=unit, category=None)
        ticket_assign(actor=agent, ticket=ticket, assignee=colleague)

    with django_assert_num_queries(1):
        rows = list(selectors.ticket_list(viewer=agent, q="投诉"))
        names = [(t.customer.name, t.unit.label, t.assignee.name, t.first_responder.name, t.project) for t in rows]

    assert len(names) == 3


# The ticket page's reads


def test_presence_others_leaves_out_the_viewer_and_those_gone(agent, city, make_staff):
    ticket = TicketFactory(actor=agent)
    here = make_staff(city, Role.AGENT, name="王五")
    gone = make_staff(city, Role.AGENT, name="赵六")
    presence_touch(actor=agent, ticket=ticket)
    presence_touch(actor=here, ticket=ticket, is_replying=True)
    presence_touch(actor=gone, ticket=ticket)
    TicketPresence.objects.filter(member=gone).update(seen_at=timezone.now() - timedelta(seconds=31))

    others = list(selectors.presence_others(viewer=agent, ticket=ticket))

    assert [(p.member, p.is_replying) for p in others] == [(here, True)]


def test_assignee_choices_keeps_handlers_of_the_ticket_unit_and_above(agent, city, make_staff):
    from kefu.orgs.tests.factories import OrgUnitFactory

    team_unit = OrgUnitFactory(parent=city)
    executive = make_staff(city, Role.EXECUTIVE)
    below = make_staff(team_unit, Role.AGENT)

    choices = set(selectors.assignee_choices(viewer=agent, organisation=city))

    assert agent in choices
    assert executive not in choices
    assert below not in choices


def test_canned_replies_for_match_kind_category_and_inherit_from_above(agent, group, city, other_city):
    category = RequestCategoryFactory(organisation=group, kind="repair", name="水电")
    ticket = TicketFactory(actor=agent, kind="repair", category=category)
    shared = CannedReply.objects.create(organisation=group, title="通用", body="您好")
    exact = CannedReply.objects.create(organisation=city, title="水电", kind="repair", category=category, body="x")
    CannedReply.objects.create(organisation=city, title="投诉", kind="complaint", body="x")
    CannedReply.objects.create(organisation=other_city, title="别处", body="x")
    CannedReply.objects.create(organisation=city, title="停用", body="x", is_active=False)

    found = list(selectors.canned_replies_for(viewer=agent, ticket=ticket))

    assert found == [exact, shared]


def test_canned_reply_render_fills_the_variables(agent, city, policy):
    unit = UnitFactory(building__project__organisation=city, building__code="3", entrance="1", number="1202")
    ticket = TicketFactory(actor=agent, unit=unit, customer=CustomerFactory(organisation=city, name="张三"))
    body = "{customer_name}您好，{agent_name}已受理{ticket_number}（{unit}），{due_at}前处理。{unknown}"

    text = selectors.canned_reply_render(body=body, ticket=ticket, agent=agent)

    due = timezone.localtime(ticket.resolution_due_at).strftime("%Y-%m-%d %H:%M")
    assert text == f"张三您好，张三已受理{ticket.number}（3-1-1202），{due}前处理。{{unknown}}"


def test_canned_reply_render_never_reaches_attributes(agent):
    text = selectors.canned_reply_render(body="{customer_name.__class__}", ticket=None, agent=agent)

    assert text == "{customer_name.__class__}"
