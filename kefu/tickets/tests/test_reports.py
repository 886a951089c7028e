"""The daily complaint report 投诉日报, the supervisors' queue 督办 and the workbench cards."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kefu.core.errors import Forbidden
from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.selectors import membership_for_user
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards.tests.factories import SlaPolicyFactory
from kefu.tickets.models import Ticket
from kefu.tickets.reports import (
    Section,
    SlaState,
    daily_rows,
    daily_series,
    daily_summary,
    default_report_day,
    my_open_tickets,
    my_ticket_counts,
    queue_counts,
    queue_tickets,
    sla_state,
)
from kefu.tickets.scan import sla_scan
from kefu.tickets.services import ticket_assign, ticket_reply, ticket_resolve
from kefu.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 3, 4)  # a Tuesday
REPORT_URL = reverse("tickets:daily_report")
EXPORT_URL = reverse("tickets:daily_report_export")
QUEUE_URL = reverse("tickets:queue")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


NOW = at(2025, 3, 5, 9, 0)
# Session, user, membership and roles, then the page's own queries; the same for 4 rows or 400.
PAGE_QUERIES = 14
QUEUE_PAGE_QUERIES = 14


def logged(actor: Membership, when: datetime, **kwargs: object) -> Ticket:
    with time_machine.travel(when, tick=False):
        return TicketFactory(actor=actor, **kwargs)


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def policy(group: OrgUnit) -> object:
    """2 business hours to the first response, 8 to resolution, on the default 9–12, 13:30–18 week."""
    return SlaPolicyFactory(organisation=group, name="投诉标准")


@dataclass
class Day:
    """The fixed day of complaints in 深圳公司, 2025-03-04, read on the morning of 03-05.

    replied: 09:00 received, replied 09:30, resolved 15:00.
    late_reply: 10:00 received, replied 13:00 (first response due 12:00: broken on the day).
    unanswered: 16:00 received, never answered (first response due 18:00: broken on the day).
    late_evening: 23:59 received, the day's last minute.
    repair: 11:00, a repair (counted among the voices only).
    old: 03-03 09:00, open, its resolution due 03-04 09:30: broken on the day; the longest open.
    next_day: 03-05 00:01, the next day's.
    elsewhere: 成都公司's complaint of the day, never counted.
    """

    replied: Ticket
    late_reply: Ticket
    unanswered: Ticket
    late_evening: Ticket
    repair: Ticket
    old: Ticket
    next_day: Ticket
    elsewhere: Ticket


@pytest.fixture
def day(agent: Membership, supervisor: Membership, outsider: Membership, policy: object) -> Day:
    old = logged(agent, at(2025, 3, 3, 9, 0), title="电梯停运")
    ticket_assign(actor=agent, ticket=old, assignee=agent)
    replied = logged(agent, at(2025, 3, 4, 9, 0), title="楼道漏水")
    with time_machine.travel(at(2025, 3, 4, 9, 30), tick=False):
        ticket_reply(actor=agent, ticket=replied, body="已联系业主，下午上门查看。")
    with time_machine.travel(at(2025, 3, 4, 15, 0), tick=False):
        ticket_resolve(actor=agent, ticket=replied, resolution="更换破损水管并清理积水。")
    late_reply = logged(agent, at(2025, 3, 4, 10, 0), title="噪音扰民")
    with time_machine.travel(at(2025, 3, 4, 13, 0), tick=False):
        ticket_reply(actor=agent, ticket=late_reply, body="已通知施工方停工整改。")
    repair = logged(agent, at(2025, 3, 4, 11, 0), kind="repair", title="门锁损坏")
    unanswered = logged(agent, at(2025, 3, 4, 16, 0), title="停车位被占")
    late_evening = logged(agent, at(2025, 3, 4, 23, 59), title="深夜装修")
    next_day = logged(agent, at(2025, 3, 5, 0, 1), title="垃圾未清")
    elsewhere = logged(outsider, at(2025, 3, 4, 10, 0), title="成都投诉")
    sla_scan(now=NOW)
    return Day(
        replied=replied,
        late_reply=late_reply,
        unanswered=unanswered,
        late_evening=late_evening,
        repair=repair,
        old=old,
        next_day=next_day,
        elsewhere=elsewhere,
    )


def signed_in(member: Membership) -> Membership:
    """The membership as a request carries it: unit and roles loaded."""
    found = membership_for_user(user=member.user)
    assert found is not None
    return found


def summary(viewer: Membership, unit: OrgUnit | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return daily_summary(viewer=viewer, unit=unit or viewer.unit, day=DAY, now=NOW, **kwargs)


# --- the summary -------------------------------------------------------------------------------


def test_daily_summary_counts_the_days_voices_by_kind(day: Day, supervisor: Membership) -> None:
    result = summary(supervisor)

    assert {kind: count for kind, _label, count in result.received_by_kind} == {
        "complaint": 4,
        "repair": 1,
        "inquiry": 0,
        "suggestion": 0,
        "praise": 0,
    }
    assert result.voices == 5


def test_daily_summary_counts_complaints_received_replied_resolved_and_open(day: Day, supervisor: Membership) -> None:
    result = summary(supervisor)

    assert (result.received, result.replied, result.resolved, result.still_open) == (4, 2, 1, 3)


def test_daily_summary_counts_breaches_of_the_day_and_open_breached(day: Day, supervisor: Membership) -> None:
    result = summary(supervisor)

    assert result.breached_today == 3
    assert result.open_breached == 3


def test_daily_summary_averages_first_response_time(day: Day, supervisor: Membership) -> None:
    result = summary(supervisor)

    assert result.average_first_response == timedelta(hours=1, minutes=45)


def test_daily_summary_names_the_longest_open_complaint_with_age_and_handler(
    day: Day, supervisor: Membership, agent: Membership
) -> None:
    result = summary(supervisor)

    assert result.longest_open == day.old
    assert result.longest_open_age == timedelta(days=2)
    assert result.longest_open.assignee == agent


def test_daily_summary_of_all_kinds_counts_the_repair(day: Day, supervisor: Membership) -> None:
    result = summary(supervisor, kind="")

    assert (result.received, result.still_open) == (5, 4)


def test_daily_summary_never_counts_another_units_tickets(day: Day, outsider: Membership) -> None:
    result = summary(outsider)

    # 成都公司's one complaint of the day, unanswered and so breached too; none of 深圳公司's.
    assert (result.voices, result.received, result.breached_today, result.open_breached) == (1, 1, 1, 1)


def test_daily_summary_of_a_sub_unit_counts_only_its_tickets(
    day: Day, supervisor: Membership, city: OrgUnit, make_staff: Callable[..., Membership]
) -> None:
    team = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    team_agent = make_staff(team, Role.AGENT)
    logged(team_agent, at(2025, 3, 4, 14, 0), title="项目投诉")

    result = summary(supervisor, unit=team)

    assert (result.voices, result.received) == (1, 1)


def test_daily_summary_refuses_a_unit_outside_the_viewers_scope(supervisor: Membership, other_city: OrgUnit) -> None:
    with pytest.raises(Forbidden):
        summary(supervisor, unit=other_city)


def test_daily_summary_refused_to_an_agent(agent: Membership) -> None:
    with pytest.raises(Forbidden):
        summary(agent)


def test_default_report_day_is_yesterday_in_the_units_zone(city: OrgUnit) -> None:
    # 2025-03-04 17:00 UTC is already 03-05 01:00 in Shanghai.
    now = datetime(2025, 3, 4, 17, 0, tzinfo=ZoneInfo("UTC"))

    assert default_report_day(unit=city, now=now) == date(2025, 3, 4)


def test_daily_summary_query_count_does_not_grow_with_tickets(
    day: Day, supervisor: Membership, agent: Membership, django_assert_num_queries: Callable[..., object]
) -> None:
    for hour in (9, 10, 11):
        logged(agent, at(2025, 3, 4, hour, 30), title="又一件")
    viewer = signed_in(supervisor)

    with django_assert_num_queries(4):
        result = summary(viewer)
        assert result.longest_open.assignee.name


# --- the rows ----------------------------------------------------------------------------------


def test_daily_rows_are_the_days_complaints_in_order_received(day: Day, supervisor: Membership) -> None:
    rows = list(daily_rows(viewer=supervisor, unit=supervisor.unit, day=DAY))

    assert rows == [day.replied, day.late_reply, day.unanswered, day.late_evening]


def test_daily_rows_carry_the_first_reply_and_measures(day: Day, supervisor: Membership) -> None:
    row = daily_rows(viewer=supervisor, unit=supervisor.unit, day=DAY).get(pk=day.replied.pk)

    assert row.first_reply_body == "已联系业主，下午上门查看。"
    assert row.first_reply_at == at(2025, 3, 4, 9, 30)
    assert row.resolution == "更换破损水管并清理积水。"


def test_daily_rows_query_count_does_not_grow_with_tickets(
    day: Day, supervisor: Membership, django_assert_num_queries: Callable[..., object]
) -> None:
    viewer = signed_in(supervisor)

    with django_assert_num_queries(1):
        rows = list(daily_rows(viewer=viewer, unit=viewer.unit, day=DAY))
        names = [(row.customer.name, row.first_responder.name, row.assignee and row.assignee.name) for row in rows]

    assert len(names) == 4


def test_sla_state_of_the_days_rows(day: Day, supervisor: Membership) -> None:
    rows = {row.pk: row for row in daily_rows(viewer=supervisor, unit=supervisor.unit, day=DAY)}

    assert sla_state(rows[day.replied.pk], NOW) == SlaState.MET
    assert sla_state(rows[day.unanswered.pk], NOW) == SlaState.BREACHED
    assert sla_state(rows[day.late_evening.pk], NOW) == SlaState.DUE_SOON
    assert sla_state(rows[day.late_evening.pk], at(2025, 3, 5, 8, 0)) == SlaState.ON_TRACK


# --- the chart ---------------------------------------------------------------------------------


def test_daily_series_counts_received_and_resolved_per_day(day: Day, supervisor: Membership) -> None:
    series = daily_series(viewer=supervisor, unit=supervisor.unit, day=DAY)

    assert len(series.days) == 14
    assert series.days[-1] == DAY
    assert series.received[-2:] == [1, 4]
    assert series.resolved[-2:] == [0, 1]


# --- the daily report page and its export ------------------------------------------------------


def open_report(client: Client, **params: object) -> object:
    with time_machine.travel(NOW, tick=False):
        return client.get(REPORT_URL, {"day": DAY.isoformat(), **params})


def test_daily_report_page_shows_the_days_complaints(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = open_report(client_for(supervisor))

    assert response.status_code == 200
    body = response.content.decode()
    assert day.late_reply.number in body
    assert "已通知施工方停工整改。" in body
    assert day.repair.number not in body
    assert day.elsewhere.number not in body
    assert response.context["summary"].received == 4


def test_daily_report_page_shows_all_kinds_when_asked(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = open_report(client_for(supervisor), kind="all")

    assert day.repair.number in response.content.decode()


def test_daily_report_page_defaults_to_yesterday_and_the_viewers_unit(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(supervisor).get(REPORT_URL)

    assert response.context["day"] == DAY
    assert response.context["unit"] == supervisor.unit


def test_daily_report_page_refuses_a_unit_outside_the_subtree(
    day: Day, supervisor: Membership, other_city: OrgUnit, client_for: Callable[[Membership], Client]
) -> None:
    response = open_report(client_for(supervisor), unit=other_city.pk)

    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert response.context["unit"] == supervisor.unit
    assert day.elsewhere.number not in response.content.decode()


def test_daily_report_page_says_what_to_do_on_an_empty_day(
    supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = open_report(client_for(supervisor))

    assert _("Nothing was received on this day") in response.content.decode()


def test_daily_report_page_refused_to_an_agent(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(REPORT_URL)

    assert response.status_code == 403


def test_daily_report_page_query_count_does_not_grow_with_tickets(
    day: Day,
    supervisor: Membership,
    agent: Membership,
    client_for: Callable[[Membership], Client],
    django_assert_num_queries: Callable[..., object],
) -> None:
    client = client_for(supervisor)
    open_report(client)
    for hour in (9, 10, 11):
        logged(agent, at(2025, 3, 4, hour, 30), title="又一件")

    with django_assert_num_queries(PAGE_QUERIES):
        response = open_report(client)

    assert len(response.context["page_obj"]) == 7


def export(client: Client, **params: object) -> object:
    with time_machine.travel(NOW, tick=False):
        return client.get(EXPORT_URL, {"day": DAY.isoformat(), **params})


def test_daily_report_export_has_a_summary_sheet_and_the_days_rows(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = export(client_for(supervisor))

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "明细"]
    summary_rows = {row[0]: row[1] for row in workbook["汇总"].iter_rows(values_only=True)}
    assert summary_rows["当日受理"] == 4
    assert summary_rows["当日超时"] == 3
    rows = list(workbook["明细"].iter_rows(values_only=True))
    assert rows[0][:3] == ("工单编号", "受理时间", "客户")
    assert [row[0] for row in rows[1:]] == [
        day.replied.number,
        day.late_reply.number,
        day.unanswered.number,
        day.late_evening.number,
    ]
    assert rows[1][1] == at(2025, 3, 4, 9, 0).replace(tzinfo=None)
    assert rows[1][10] == "已联系业主，下午上门查看。"
    assert rows[1][14] == "更换破损水管并清理积水。"


def test_daily_report_export_never_includes_another_units_tickets(
    day: Day, supervisor: Membership, other_city: OrgUnit, client_for: Callable[[Membership], Client]
) -> None:
    response = export(client_for(supervisor), unit=other_city.pk)

    rows = list(load_workbook(io.BytesIO(response.content))["明细"].iter_rows(values_only=True))
    assert day.elsewhere.number not in [row[0] for row in rows]
    assert len(rows) == 5


def test_daily_report_export_refused_to_an_agent(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(EXPORT_URL)

    assert response.status_code == 403


# --- the supervisors' queue --------------------------------------------------------------------


def section(viewer: Membership, name: str) -> list[Ticket]:
    return list(queue_tickets(viewer=viewer, section=name, now=NOW))


def test_queue_breached_lists_open_broken_promises_longest_ago_first(day: Day, supervisor: Membership) -> None:
    assert section(supervisor, Section.BREACHED) == [day.old, day.late_reply, day.repair, day.unanswered]


def test_queue_breached_says_since_when(day: Day, supervisor: Membership) -> None:
    first = section(supervisor, Section.BREACHED)[0]

    assert first.late_since == at(2025, 3, 3, 11, 0)


def test_queue_near_breach_lists_tickets_due_within_two_hours(day: Day, supervisor: Membership) -> None:
    assert section(supervisor, Section.NEAR) == [day.late_evening, day.next_day]


def test_queue_escalated_lists_tickets_escalated_to_me(day: Day, supervisor: Membership) -> None:
    assert set(section(supervisor, Section.ESCALATED)) == {day.old, day.repair, day.unanswered}


def test_queue_escalated_is_empty_for_someone_not_escalated_to(
    day: Day, city: OrgUnit, make_staff: Callable[..., Membership]
) -> None:
    admin = make_staff(city, Role.ADMIN)

    assert section(admin, Section.ESCALATED) == []
    assert len(section(admin, Section.BREACHED)) == 4


def test_queue_escalated_matches_the_whole_membership_id(day: Day, supervisor: Membership) -> None:
    day.late_reply.events.create(
        kind="escalated", data={"level": 1, "to": [int(f"{supervisor.pk}0"), int(f"9{supervisor.pk}")]}, created_at=NOW
    )

    assert day.late_reply not in section(supervisor, Section.ESCALATED)


def test_queue_unassigned_lists_open_tickets_without_a_handler(day: Day, supervisor: Membership) -> None:
    assert section(supervisor, Section.UNASSIGNED) == [
        day.late_reply,
        day.repair,
        day.unanswered,
        day.late_evening,
        day.next_day,
    ]


def test_queue_revisits_lists_resolved_tickets_due_today_or_overdue(day: Day, supervisor: Membership) -> None:
    Ticket.objects.filter(pk=day.replied.pk).update(revisit_due_at=at(2025, 3, 5, 8, 0))

    assert section(supervisor, Section.REVISITS) == [day.replied]


def test_queue_revisits_leaves_out_revisits_due_tomorrow(day: Day, supervisor: Membership) -> None:
    Ticket.objects.filter(pk=day.replied.pk).update(revisit_due_at=at(2025, 3, 6, 9, 0))

    assert section(supervisor, Section.REVISITS) == []


def test_queue_never_shows_another_units_tickets(day: Day, outsider: Membership) -> None:
    assert section(outsider, Section.BREACHED) == [day.elsewhere]


def test_queue_counts_match_the_sections(day: Day, supervisor: Membership) -> None:
    counts = queue_counts(viewer=supervisor, now=NOW)

    assert counts == {"breached": 4, "near": 2, "escalated": 3, "unassigned": 5, "revisits": 0}


def test_queue_refused_to_an_agent(agent: Membership) -> None:
    with pytest.raises(Forbidden):
        queue_counts(viewer=agent)


def test_queue_selectors_query_count_does_not_grow_with_tickets(
    day: Day, supervisor: Membership, django_assert_num_queries: Callable[..., object]
) -> None:
    viewer = signed_in(supervisor)

    # Counts, the rows, then one query per relation the rows have (customer, organisation,
    # handler, first responder; none of these has a unit or a team).
    with django_assert_num_queries(6):
        queue_counts(viewer=viewer, now=NOW)
        rows = [(t.customer.name, t.first_responder.name, t.assignee) for t in section(viewer, Section.BREACHED)]

    assert len(rows) == 4


def test_queue_page_shows_the_section_with_counts_and_lateness(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(supervisor).get(QUEUE_URL, {"section": "breached"})

    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert rows[0] == day.old
    assert rows[0].late_by == _("%(days)s d %(hours)s h") % {"days": 1, "hours": 22}
    assert ("breached", Section.LABELS["breached"], 4) in response.context["tabs"]


def test_queue_page_answers_htmx_with_the_section_only(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(supervisor).get(QUEUE_URL, {"section": "near"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert day.late_evening.number in body
    assert "<html" not in body


def test_queue_page_refused_to_an_agent(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(QUEUE_URL)

    assert response.status_code == 403


def test_queue_page_query_count_does_not_grow_with_tickets(
    day: Day,
    supervisor: Membership,
    agent: Membership,
    client_for: Callable[[Membership], Client],
    django_assert_num_queries: Callable[..., object],
) -> None:
    client = client_for(supervisor)
    for hour in (9, 10, 11):
        logged(agent, at(2025, 3, 3, hour, 30), title="又一件")

    with django_assert_num_queries(QUEUE_PAGE_QUERIES), time_machine.travel(NOW, tick=False):
        response = client.get(QUEUE_URL, {"section": "unassigned"})

    assert len(response.context["page_obj"]) == 8


# --- the workbench cards -----------------------------------------------------------------------


def test_my_open_tickets_lists_mine_nearest_due_first(day: Day, agent: Membership) -> None:
    with time_machine.travel(NOW, tick=False):
        tickets = my_open_tickets(viewer=agent)

    assert tickets[:3] == [day.old, day.repair, day.unanswered]
    assert day.replied not in tickets


def test_my_open_tickets_leaves_out_other_peoples(
    day: Day, city: OrgUnit, make_staff: Callable[..., Membership]
) -> None:
    colleague = make_staff(city, Role.AGENT)

    assert my_open_tickets(viewer=colleague) == []


def test_my_ticket_counts(day: Day, agent: Membership) -> None:
    counts = my_ticket_counts(viewer=agent, now=NOW)

    assert counts == {"open": 6, "due_soon": 2, "breached": 4}


def test_my_open_tickets_query_count(
    day: Day, agent: Membership, django_assert_num_queries: Callable[..., object]
) -> None:
    # The tickets, their customers, handlers and first responders, then the counts.
    with django_assert_num_queries(5):
        names = [t.customer.name for t in my_open_tickets(viewer=agent)]
        my_ticket_counts(viewer=agent, now=NOW)

    assert len(names) == 6


def test_workbench_shows_an_agent_their_open_tickets(
    day: Day, agent: Membership, client_for: Callable[[Membership], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(agent).get(reverse("workbench:home"))

    body = response.content.decode()
    assert _("My open tickets") in body
    assert day.old.number in body
    assert _("Supervisors' queue") not in body


def test_workbench_shows_a_supervisor_the_queue_counts(
    day: Day, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for(supervisor).get(reverse("workbench:home"))

    assert response.context["queue_counts"]["breached"] == 4
    assert f"{QUEUE_URL}?section=breached" in response.content.decode()
