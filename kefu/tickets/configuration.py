"""Write operations of the service desk's settings: teams, assignment rules and canned replies.

Supervisors and administrators keep them ("tickets.manage_settings"). Everything a setting names
(its unit, a team's members, a rule's project, building and team) must lie in the actor's part of
the organisation, so nobody routes work to, or through, a unit they cannot see.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import InvalidInput
from kefu.core.permissions import ACTIONS, ensure_can, in_scope
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Building, Project
from kefu.standards.models import RequestCategory, RequestKind
from kefu.standards.selectors import categories_for_unit
from kefu.tickets.models import AssignmentRule, CannedReply, Team
from kefu.tickets.selectors import CANNED_VARIABLES, VARIABLE_PATTERN

MANAGE = "tickets.manage_settings"
_HANDLER_ROLES = ACTIONS["tickets.receive"] | ACTIONS["tickets.handle"]


_VERBS = {"create": AuditEntry.Action.CREATE, "update": AuditEntry.Action.UPDATE, "delete": AuditEntry.Action.DELETE}


def _audit(*, actor: Membership, unit: OrgUnit, action: str, obj: Any, changes: dict[str, Any]) -> None:
    # The audit log's action is one of its own few verbs; the operation ("tickets.rule_delete") goes in the note.
    verb = _VERBS[action.rsplit("_", 1)[-1]]
    audit_record(actor=actor, organisation=unit, action=verb, obj=obj, changes=changes, note=action)


def _check_unit(actor: Membership, unit: OrgUnit) -> None:
    ensure_can(actor, MANAGE, unit)


# Teams


def _check_team_values(*, actor: Membership, unit: OrgUnit, name: str, strategy: str, members: list[Membership]) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the team a name."), field="name")
    if strategy not in Team.Strategy.values:
        raise InvalidInput(_("Choose how the team hands out tickets."), field="strategy")
    for member in members:
        if not in_scope(actor, member.unit):
            raise InvalidInput(
                _("%(name)s does not work in your part of the organisation.") % {"name": member.name}, field="members"
            )
        if not member.role_set & _HANDLER_ROLES:
            raise InvalidInput(
                _("%(name)s has no role that handles customer voices.") % {"name": member.name}, field="members"
            )
    return name


def _name_taken(unit: OrgUnit, name: str, team: Team | None = None) -> bool:
    teams = Team.objects.filter(organisation=unit, name=name)
    if team is not None:
        teams = teams.exclude(pk=team.pk)
    return teams.exists()


@transaction.atomic
def team_create(
    *,
    actor: Membership,
    unit: OrgUnit,
    name: str,
    strategy: str = Team.Strategy.ROUND_ROBIN,
    members: list[Membership] | None = None,
) -> Team:
    """A team of `unit` that assignment rules can route tickets to."""
    _check_unit(actor, unit)
    members = list(members or [])
    name = _check_team_values(actor=actor, unit=unit, name=name, strategy=strategy, members=members)
    if _name_taken(unit, name):
        raise InvalidInput(_("This unit already has a team of that name."), field="name")
    team = Team.objects.create(organisation=unit, name=name, strategy=strategy)
    team.members.set(members)
    _audit(
        actor=actor,
        unit=unit,
        action="tickets.team_create",
        obj=team,
        changes={"name": name, "strategy": strategy, "members": sorted(m.pk for m in members)},
    )
    return team


@transaction.atomic
def team_update(
    *,
    actor: Membership,
    team: Team,
    name: str,
    strategy: str,
    members: list[Membership],
    is_active: bool = True,
) -> Team:
    """Rename, change the hand-out or the members, or stop routing to the team (tickets keep it)."""
    team = Team.objects.select_for_update().select_related("organisation").get(pk=team.pk)
    _check_unit(actor, team.organisation)
    members = list(members)
    name = _check_team_values(actor=actor, unit=team.organisation, name=name, strategy=strategy, members=members)
    if _name_taken(team.organisation, name, team):
        raise InvalidInput(_("This unit already has a team of that name."), field="name")
    team.name, team.strategy, team.is_active = name, strategy, is_active
    if team.last_assignee_id and team.last_assignee_id not in {m.pk for m in members}:
        team.last_assignee = None
    team.save()
    team.members.set(members)
    _audit(
        actor=actor,
        unit=team.organisation,
        action="tickets.team_update",
        obj=team,
        changes={
            "name": name,
            "strategy": strategy,
            "is_active": is_active,
            "members": sorted(m.pk for m in members),
        },
    )
    return team


# Assignment rules

RULE_FIELDS = ("name", "project", "building", "kind", "category", "team", "is_active")


def _check_rule(
    *,
    actor: Membership,
    unit: OrgUnit,
    name: str,
    team: Team,
    project: Project | None,
    building: Building | None,
    kind: str,
    category: RequestCategory | None,
) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the rule a name."), field="name")
    if not in_scope(actor, team.organisation) or not unit.is_in_line_with(team.organisation):
        raise InvalidInput(_("Choose a team of this unit or of a unit below it."), field="team")
    if project is not None and (
        not in_scope(actor, project.organisation) or not unit.is_in_line_with(project.organisation)
    ):
        raise InvalidInput(_("This project is not in your part of the organisation."), field="project")
    if building is not None:
        if not in_scope(actor, building.organisation) or not unit.is_in_line_with(building.organisation):
            raise InvalidInput(_("This building is not in your part of the organisation."), field="building")
        if project is not None and building.project_id != project.pk:
            raise InvalidInput(_("This building belongs to another project."), field="building")
    if kind and kind not in RequestKind.values:
        raise InvalidInput(_("Choose what kind of voice the rule routes."), field="kind")
    if category is not None:
        if not categories_for_unit(unit).filter(pk=category.pk).exists():
            raise InvalidInput(_("Choose a category of this unit or of a unit above it."), field="category")
        if kind and category.kind != kind:
            raise InvalidInput(_("This category belongs to another kind of voice."), field="category")
    return name


@transaction.atomic
def rule_create(
    *,
    actor: Membership,
    unit: OrgUnit,
    name: str,
    team: Team,
    project: Project | None = None,
    building: Building | None = None,
    kind: str = "",
    category: RequestCategory | None = None,
    is_active: bool = True,
) -> AssignmentRule:
    """Route new tickets of `unit` (and below) that match project, building, kind and category to `team`."""
    _check_unit(actor, unit)
    name = _check_rule(
        actor=actor,
        unit=unit,
        name=name,
        team=team,
        project=project,
        building=building,
        kind=kind,
        category=category,
    )
    if building is not None and project is None:
        project = building.project
    rule = AssignmentRule.objects.create(
        organisation=unit,
        name=name,
        team=team,
        project=project,
        building=building,
        kind=kind or (category.kind if category else ""),
        category=category,
        is_active=is_active,
    )
    _audit(actor=actor, unit=unit, action="tickets.rule_create", obj=rule, changes=_rule_changes(rule))
    return rule


@transaction.atomic
def rule_update(
    *,
    actor: Membership,
    rule: AssignmentRule,
    name: str,
    team: Team,
    project: Project | None = None,
    building: Building | None = None,
    kind: str = "",
    category: RequestCategory | None = None,
    is_active: bool = True,
) -> AssignmentRule:
    rule = AssignmentRule.objects.select_for_update().select_related("organisation").get(pk=rule.pk)
    _check_unit(actor, rule.organisation)
    name = _check_rule(
        actor=actor,
        unit=rule.organisation,
        name=name,
        team=team,
        project=project,
        building=building,
        kind=kind,
        category=category,
    )
    if building is not None and project is None:
        project = building.project
    rule.name, rule.team, rule.project, rule.building = name, team, project, building
    rule.kind = kind or (category.kind if category else "")
    rule.category, rule.is_active = category, is_active
    rule.save()
    _audit(actor=actor, unit=rule.organisation, action="tickets.rule_update", obj=rule, changes=_rule_changes(rule))
    return rule


@transaction.atomic
def rule_delete(*, actor: Membership, rule: AssignmentRule) -> None:
    """Remove a rule; tickets it routed keep their team and handler."""
    _check_unit(actor, rule.organisation)
    _audit(actor=actor, unit=rule.organisation, action="tickets.rule_delete", obj=rule, changes={"name": rule.name})
    rule.delete()


def _rule_changes(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "team": rule.team_id,
        "project": rule.project_id,
        "building": rule.building_id,
        "kind": rule.kind,
        "category": rule.category_id,
        "is_active": rule.is_active,
    }


# Canned replies


def _check_reply(*, unit: OrgUnit, title: str, body: str, kind: str, category: RequestCategory | None) -> None:
    if not title.strip():
        raise InvalidInput(_("Give the reply a title."), field="title")
    if not body.strip():
        raise InvalidInput(_("Write the reply text."), field="body")
    unknown = sorted({name for name in VARIABLE_PATTERN.findall(body) if name not in CANNED_VARIABLES})
    if unknown:
        raise InvalidInput(
            _("Unknown variables: %(names)s. Use %(known)s.")
            % {
                "names": "、".join("{" + name + "}" for name in unknown),
                "known": " ".join("{" + name + "}" for name in CANNED_VARIABLES),
            },
            field="body",
        )
    if kind and kind not in RequestKind.values:
        raise InvalidInput(_("Choose what kind of voice the reply answers."), field="kind")
    if category is not None:
        if not categories_for_unit(unit).filter(pk=category.pk).exists():
            raise InvalidInput(_("Choose a category of this unit or of a unit above it."), field="category")
        if kind and category.kind != kind:
            raise InvalidInput(_("This category belongs to another kind of voice."), field="category")


@transaction.atomic
def canned_reply_create(
    *,
    actor: Membership,
    unit: OrgUnit,
    title: str,
    body: str,
    kind: str = "",
    category: RequestCategory | None = None,
    is_active: bool = True,
) -> CannedReply:
    """A reply text with {variables}, offered on tickets of `unit` and below of that kind and category."""
    _check_unit(actor, unit)
    _check_reply(unit=unit, title=title, body=body, kind=kind, category=category)
    reply = CannedReply.objects.create(
        organisation=unit,
        title=title.strip(),
        body=body.strip(),
        kind=kind or (category.kind if category else ""),
        category=category,
        is_active=is_active,
    )
    _audit(actor=actor, unit=unit, action="tickets.canned_reply_create", obj=reply, changes={"title": reply.title})
    return reply


@transaction.atomic
def canned_reply_update(
    *,
    actor: Membership,
    reply: CannedReply,
    title: str,
    body: str,
    kind: str = "",
    category: RequestCategory | None = None,
    is_active: bool = True,
) -> CannedReply:
    reply = CannedReply.objects.select_for_update().select_related("organisation").get(pk=reply.pk)
    _check_unit(actor, reply.organisation)
    _check_reply(unit=reply.organisation, title=title, body=body, kind=kind, category=category)
    reply.title, reply.body = title.strip(), body.strip()
    reply.kind = kind or (category.kind if category else "")
    reply.category, reply.is_active = category, is_active
    reply.save()
    _audit(
        actor=actor,
        unit=reply.organisation,
        action="tickets.canned_reply_update",
        obj=reply,
        changes={"title": reply.title, "kind": reply.kind, "category": reply.category_id, "is_active": is_active},
    )
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: Membership, reply: CannedReply) -> None:
    _check_unit(actor, reply.organisation)
    _audit(
        actor=actor,
        unit=reply.organisation,
        action="tickets.canned_reply_delete",
        obj=reply,
        changes={"title": reply.title},
    )
    reply.delete()
