"""Assignment rules and the teams' hand-out: most specific rule, round robin, least loaded, working hours."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from kefu.core.roles import Role
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory
from kefu.tickets.models import AssignmentRule, Team, TicketEvent
from kefu.tickets.scan import queued_assign
from kefu.tickets.tests.factories import TeamFactory, TicketFactory

SH = ZoneInfo("Asia/Shanghai")
TUESDAY_MORNING = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
TUESDAY_NIGHT = datetime(2025, 3, 4, 21, 0, tzinfo=SH)


def _team(city, members, strategy=Team.Strategy.ROUND_ROBIN):
    team = TeamFactory(organisation=city, strategy=strategy)
    team.members.set(members)
    return team


def test_round_robin_hands_tickets_out_in_turn(city, agent, make_staff):
    second = make_staff(city, Role.AGENT)
    team = _team(city, [agent, second])
    AssignmentRule.objects.create(organisation=city, name="全部", team=team)

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        handlers = [TicketFactory(actor=agent).assignee for _ in range(3)]

    first, then = sorted([agent, second], key=lambda m: m.pk)
    assert handlers == [first, then, first]


def test_least_loaded_picks_the_member_with_fewest_open_tickets(city, agent, make_staff):
    busy, free = agent, make_staff(city, Role.AGENT)
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        for _ in range(2):
            TicketFactory(actor=busy, assignee=busy)
        team = _team(city, [busy, free], Team.Strategy.LEAST_LOADED)
        AssignmentRule.objects.create(organisation=city, name="全部", team=team)

        ticket = TicketFactory(actor=busy)

    assert ticket.assignee == free


def test_most_specific_rule_wins(city, agent, make_staff):
    project = ProjectFactory(organisation=city)
    unit = UnitFactory(building=BuildingFactory(project=project))
    general = _team(city, [agent])
    repairers = _team(city, [make_staff(city, Role.INSPECTOR)])
    AssignmentRule.objects.create(organisation=city, name="通用", team=general)
    AssignmentRule.objects.create(organisation=city, name="本项目报修", project=project, kind="repair", team=repairers)

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        repair = TicketFactory(actor=agent, kind="repair", unit=unit)
        complaint = TicketFactory(actor=agent, kind="complaint", unit=unit)

    assert repair.team == repairers
    assert complaint.team == general


def test_outside_working_hours_the_ticket_waits_in_the_team_queue_until_morning(city, agent):
    team = _team(city, [agent])
    AssignmentRule.objects.create(organisation=city, name="全部", team=team)
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        ticket = TicketFactory(actor=agent)

    night = queued_assign(now=TUESDAY_NIGHT)
    morning = queued_assign(now=datetime(2025, 3, 5, 9, 1, tzinfo=SH))

    ticket.refresh_from_db()
    assert (night, morning) == (0, 1)
    assert ticket.assignee == agent
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 2


def test_members_who_cannot_see_the_ticket_are_skipped(city, agent, make_staff, other_city):
    stranger = make_staff(other_city, Role.AGENT)
    team = _team(city, [stranger, agent])
    AssignmentRule.objects.create(organisation=city, name="全部", team=team)

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        ticket = TicketFactory(actor=agent)

    assert ticket.assignee == agent
