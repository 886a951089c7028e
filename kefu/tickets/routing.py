"""Who gets a new ticket: the most specific assignment rule names a team, the team's hand-out picks a person.

A team hands out only in working hours; outside them the ticket waits in the team's queue and the
periodic scan (`queued_assign`) hands it out when the next working period begins.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from kefu.core.permissions import ACTIONS
from kefu.core.scoping import ancestor_ids
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.sla import Schedule, is_working_time
from kefu.tickets.models import AssignmentRule, Team, Ticket

# A building names a place more exactly than a project, a category more exactly than a kind.
RULE_WEIGHTS = {"building": 8, "project": 4, "category": 2, "kind": 1}


@dataclass(frozen=True)
class Route:
    team: Team | None
    assignee: Membership | None
    rule: AssignmentRule | None


def rule_for(ticket: Ticket) -> AssignmentRule | None:
    building_id = ticket.unit.building_id if ticket.unit_id else None
    rules = (
        AssignmentRule.objects.filter(
            organisation_id__in=ancestor_ids(ticket.organisation), is_active=True, team__is_active=True
        )
        .filter(Q(project__isnull=True) | Q(project_id=ticket.project_id))
        .filter(Q(building__isnull=True) | Q(building_id=building_id))
        .filter(Q(kind="") | Q(kind=ticket.kind))
        .filter(Q(category__isnull=True) | Q(category_id=ticket.category_id))
        .select_related("team", "organisation")
    )

    def score(rule: AssignmentRule) -> tuple[int, int, int]:
        weight = (
            RULE_WEIGHTS["building"] * bool(rule.building_id)
            + RULE_WEIGHTS["project"] * bool(rule.project_id)
            + RULE_WEIGHTS["category"] * bool(rule.category_id)
            + RULE_WEIGHTS["kind"] * bool(rule.kind)
        )
        return (-weight, -rule.organisation.depth, rule.pk)

    ranked = sorted(rules, key=score)
    return ranked[0] if ranked else None


def eligible_members(team: Team, organisation: OrgUnit) -> list[Membership]:
    """Active members who handle voices and can see tickets of `organisation` (their unit is above it)."""
    return list(
        team.members.filter(
            user__is_active=True,
            role_grants__role__in=ACTIONS["tickets.receive"] | ACTIONS["tickets.handle"],
            unit_id__in=ancestor_ids(organisation),
        )
        .distinct()
        .order_by("pk")
    )


def pick_member(*, team: Team, organisation: OrgUnit, now: datetime, schedule: Schedule) -> Membership | None:
    """The team's next person, or None outside working hours or when nobody can take it.

    The caller holds the team row locked (select_for_update), so two tickets logged at once
    never both go to the same round-robin turn.
    """
    if not is_working_time(schedule, now):
        return None
    members = eligible_members(team, organisation)
    if not members:
        return None
    if team.strategy == Team.Strategy.LEAST_LOADED:
        loads = dict(
            Ticket.objects.filter(assignee__in=members, status__in=Ticket.OPEN_STATUSES)
            .values_list("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        return min(members, key=lambda m: (loads.get(m.pk, 0), m.pk))
    after = team.last_assignee_id or 0
    return next((m for m in members if m.pk > after), members[0])
