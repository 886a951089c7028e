"""Write operations on client commissions 委托: types and their milestone templates, commissions,
their nodes, deliverables, risks, changes of plan, evaluations, delivery and follow-up.

The client hears of each node through `kefu.engagements.pushes`; every change writes a
CommissionEvent and, where the client would care, an entry on the client's timeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.numbering import next_daily_number
from kefu.core.permissions import can, ensure_can, in_scope
from kefu.core.scoping import ancestor_ids, nearest
from kefu.core.texts import stored_text
from kefu.core.zones import local_today
from kefu.customers.models import Customer
from kefu.customers.services import timeline_record
from kefu.engagements import pushes
from kefu.engagements.errors import (
    CommissionClosed,
    DateBeforeStart,
    DateInFuture,
    NodeAlreadyDone,
    NodeNotReached,
    NodeOutOfOrder,
    TypeInactive,
)
from kefu.engagements.models import (
    ASPECT_CODES,
    Commission,
    CommissionEvent,
    CommissionSequence,
    CommissionType,
    Deliverable,
    Evaluation,
    FollowUpTask,
    FollowUpTemplate,
    Node,
    NodeTemplate,
    Owner,
    PlanChange,
    Risk,
    ScorecardWeights,
)
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project
from kefu.surveys.models import SurveyTemplate
from kefu.surveys.services import ensure_builtin_templates, invite

TIMELINE_PREFIX = "engagements."
Kind = CommissionEvent.Kind
MAX_NODES = 30
MAX_FILE_BYTES = 20 * 1024 * 1024


def _audit(*, actor: Membership | None, unit: OrgUnit, action: str, obj: Any, changes: dict[str, Any]) -> None:
    verb = AuditEntry.Action.CREATE if action.endswith("_create") else AuditEntry.Action.UPDATE
    audit_record(actor=actor, organisation=unit, action=verb, obj=obj, changes=changes, note=TIMELINE_PREFIX + action)


def _event(
    *, commission: Commission, kind: str, actor: Membership | None, now: datetime, node: Node | None = None, **data: Any
) -> CommissionEvent:
    return CommissionEvent.objects.create(
        commission=commission, node=node, kind=kind, actor=actor, data=data, created_at=now
    )


# Commission types -----------------------------------------------------------------------------------


def _required(value: str, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Please fill in %(label)s.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("%(label)s is at most %(max)s characters.") % {"label": label, "max": max_length}, field=field
        )
    return value


def _clean_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not nodes:
        raise InvalidInput(_("A commission type needs at least one node."), field="nodes")
    if len(nodes) > MAX_NODES:
        raise InvalidInput(_("A commission type has at most %(max)s nodes.") % {"max": MAX_NODES}, field="nodes")
    cleaned = []
    previous = 0
    for index, raw in enumerate(nodes, start=1):
        field = f"nodes.{index}"
        name = _required(str(raw.get("name", "")), f"{field}.name", _("the node's name"), 60)
        try:
            offset = int(raw.get("offset_days", 0))
        except (TypeError, ValueError):
            offset = -1
        if offset < 0 or offset > 3650:
            raise InvalidInput(
                _("Node %(n)s: the days after start must be a whole number from 0 to 3650.") % {"n": index},
                field=f"{field}.offset_days",
            )
        if offset < previous:
            raise InvalidInput(
                _("Node %(n)s falls before the node above it; list the nodes in the order they are due.")
                % {"n": index},
                field=f"{field}.offset_days",
            )
        previous = offset
        owner = str(raw.get("owner") or Owner.MANAGER)
        if owner not in Owner.values:
            raise InvalidInput(_("Node %(n)s: choose who does it.") % {"n": index}, field=f"{field}.owner")
        aspects = [str(code).strip().upper() for code in raw.get("aspects") or [] if str(code).strip()]
        unknown = [code for code in aspects if code not in ASPECT_CODES]
        if unknown:
            raise InvalidInput(
                _("Node %(n)s: %(code)s is not one of the nine 3-PRO aspects (P1–A3).")
                % {"n": index, "code": unknown[0]},
                field=f"{field}.aspects",
            )
        cleaned.append(
            {
                "order": index,
                "name": name,
                "offset_days": offset,
                "standard": str(raw.get("standard") or "").strip(),
                "owner": owner,
                "push_text": str(raw.get("push_text") or "").strip()[:200],
                "client_action": str(raw.get("client_action") or "").strip()[:200],
                "aspects": [code for code in ASPECT_CODES if code in aspects],
            }
        )
    return cleaned


def _clean_follow_ups(follow_ups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for index, raw in enumerate(follow_ups, start=1):
        field = f"follow_ups.{index}"
        kind = str(raw.get("kind") or FollowUpTemplate.Kind.FOLLOW_UP)
        if kind not in FollowUpTemplate.Kind.values:
            raise InvalidInput(_("Follow-up %(n)s: choose its kind.") % {"n": index}, field=f"{field}.kind")
        try:
            days = int(raw.get("days_after", 0))
        except (TypeError, ValueError):
            days = -1
        if days < 0 or days > 3650:
            raise InvalidInput(
                _("Follow-up %(n)s: the days after delivery must be a whole number from 0 to 3650.") % {"n": index},
                field=f"{field}.days_after",
            )
        cleaned.append(
            {
                "kind": kind,
                "days_after": days,
                "title": _required(str(raw.get("title", "")), f"{field}.title", _("the task"), 100),
                "instructions": str(raw.get("instructions") or "").strip(),
            }
        )
    return cleaned


def _write_templates(*, type_: CommissionType, nodes: list[dict[str, Any]], follow_ups: list[dict[str, Any]]) -> None:
    # Commissions copied their nodes when they were created; replacing the template changes
    # only commissions created from now on.
    type_.nodes.all().delete()
    type_.follow_ups.all().delete()
    NodeTemplate.objects.bulk_create([NodeTemplate(type=type_, **node) for node in nodes])
    FollowUpTemplate.objects.bulk_create([FollowUpTemplate(type=type_, **item) for item in follow_ups])


def _check_type_name(*, unit: OrgUnit, name: str, exclude: int | None = None) -> None:
    if CommissionType.objects.filter(organisation=unit, name=name).exclude(pk=exclude).exists():
        raise InvalidInput(_("There is already a commission type called %(name)s.") % {"name": name}, field="name")


@transaction.atomic
def commission_type_create(
    *,
    actor: Membership,
    unit: OrgUnit,
    name: str,
    description: str = "",
    strict_order: bool = True,
    nodes: list[dict[str, Any]],
    follow_ups: list[dict[str, Any]] | None = None,
) -> CommissionType:
    ensure_can(actor, "engagements.manage_types", unit)
    name = _required(name, "name", _("the name"), 60)
    _check_type_name(unit=unit, name=name)
    cleaned_nodes, cleaned_follow_ups = _clean_nodes(nodes), _clean_follow_ups(follow_ups or [])
    type_ = CommissionType.objects.create(
        organisation=unit, name=name, description=description.strip(), strict_order=strict_order
    )
    _write_templates(type_=type_, nodes=cleaned_nodes, follow_ups=cleaned_follow_ups)
    _audit(
        actor=actor,
        unit=unit,
        action="commission_type_create",
        obj=type_,
        changes={"name": name, "nodes": [n["name"] for n in cleaned_nodes]},
    )
    return type_


@transaction.atomic
def commission_type_update(
    *,
    actor: Membership,
    type_: CommissionType,
    name: str,
    description: str = "",
    strict_order: bool = True,
    is_active: bool = True,
    nodes: list[dict[str, Any]],
    follow_ups: list[dict[str, Any]] | None = None,
) -> CommissionType:
    ensure_can(actor, "engagements.manage_types", type_.organisation)
    type_ = CommissionType.objects.select_for_update().get(pk=type_.pk)
    name = _required(name, "name", _("the name"), 60)
    _check_type_name(unit=type_.organisation, name=name, exclude=type_.pk)
    cleaned_nodes, cleaned_follow_ups = _clean_nodes(nodes), _clean_follow_ups(follow_ups or [])
    type_.name, type_.description = name, description.strip()
    type_.strict_order, type_.is_active = strict_order, is_active
    type_.save()
    _write_templates(type_=type_, nodes=cleaned_nodes, follow_ups=cleaned_follow_ups)
    _audit(
        actor=actor,
        unit=type_.organisation,
        action="commission_type_update",
        obj=type_,
        changes={"name": name, "active": is_active, "nodes": [n["name"] for n in cleaned_nodes]},
    )
    return type_


def template_dicts(type_: CommissionType) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The type's nodes and follow-ups in the shape the update takes (to edit or copy them)."""
    fields = ("name", "offset_days", "standard", "owner", "push_text", "client_action", "aspects")
    nodes = [{f: getattr(n, f) for f in fields} for n in type_.nodes.all()]
    follow_ups = [
        {f: getattr(t, f) for f in ("kind", "days_after", "title", "instructions")} for t in type_.follow_ups.all()
    ]
    return nodes, follow_ups


# Commissions ----------------------------------------------------------------------------------------


def _next_number(now: datetime) -> str:
    return next_daily_number(CommissionSequence, prefix="WT", moment=now)


def _same_group(a: OrgUnit, b: OrgUnit) -> bool:
    return a.path.split(".")[0] == b.path.split(".")[0]


def _check_people(
    *, unit: OrgUnit, client: Customer, manager: Membership, members: list[Membership], contacts: list[Customer]
) -> None:
    if client.merged_into_id is not None:
        raise InvalidInput(_("This client was merged into another record; choose that one."), field="client")
    if not _same_group(client.organisation, unit):
        raise InvalidInput(_("The client belongs to another organisation."), field="client")
    for field, people in (("manager", [manager]), ("members", members)):
        for person in people:
            # Staff of the unit, of a unit below it, or of a unit above it (a group expert).
            if not (person.unit.path.startswith(unit.path) or unit.path.startswith(person.unit.path)):
                raise InvalidInput(_("%(name)s is not on the staff of this unit.") % {"name": person.name}, field=field)
    for contact in contacts:
        if contact.merged_into_id is not None or not _same_group(contact.organisation, unit):
            raise InvalidInput(
                _("%(name)s cannot be a contact of this commission.") % {"name": contact.name}, field="contacts"
            )


def _check_dates(*, starts_on: date, due_on: date | None) -> None:
    if due_on is not None and due_on < starts_on:
        raise InvalidInput(_("The due date cannot be before the start."), field="due_on")


def _check_fee(fee_amount: Decimal | None) -> None:
    if fee_amount is not None and fee_amount < 0:
        raise InvalidInput(_("The fee cannot be negative."), field="fee_amount")


@transaction.atomic
def commission_create(
    *,
    actor: Membership,
    unit: OrgUnit,
    type_: CommissionType,
    client: Customer,
    title: str,
    manager: Membership,
    starts_on: date,
    purpose: str = "",
    core_need: str = "",
    core_need_confirmed_on: date | None = None,
    members: list[Membership] | None = None,
    contacts: list[Customer] | None = None,
    due_on: date | None = None,
    fee_amount: Decimal | None = None,
    project: Project | None = None,
    client_key: str = "",
    now: datetime | None = None,
) -> Commission:
    """Open a commission and plan its nodes from the type's template. The same `client_key`
    again returns the first commission. Contacts default to the client when it is a person."""
    now = now or timezone.now()
    ensure_can(actor, "engagements.work", unit)
    client_key = client_key.strip()[:64]
    if client_key:
        found = Commission.objects.filter(organisation=unit, client_key=client_key).first()
        if found is not None:
            return found
    if not type_.is_active:
        raise TypeInactive(name=type_.name, field="type")
    if type_.organisation_id not in ancestor_ids(unit):
        raise InvalidInput(_("This commission type is not available in this unit."), field="type")
    title = _required(title, "title", _("the title"), 120)
    members = [m for m in (members or []) if m.pk != manager.pk]
    contacts = list(contacts or ([client] if client.kind == Customer.Kind.PERSON else []))
    _check_people(unit=unit, client=client, manager=manager, members=members, contacts=contacts)
    _check_dates(starts_on=starts_on, due_on=due_on)
    _check_fee(fee_amount)
    if core_need_confirmed_on is not None and core_need_confirmed_on < starts_on - timedelta(days=365):
        raise InvalidInput(
            _("The core need was confirmed long before the start; check the date."), field="core_need_confirmed_on"
        )
    templates = list(type_.nodes.all())
    last_offset = max((t.offset_days for t in templates), default=0)
    commission = Commission(
        organisation=unit,
        number=_next_number(now),
        type=type_,
        client=client,
        title=title,
        purpose=purpose.strip(),
        core_need=core_need.strip(),
        core_need_confirmed_on=core_need_confirmed_on,
        manager=manager,
        project=project,
        fee_amount=fee_amount,
        starts_on=starts_on,
        due_on=due_on or starts_on + timedelta(days=last_offset),
        client_key=client_key,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            commission.save()
    except IntegrityError:
        if client_key:
            return Commission.objects.get(organisation=unit, client_key=client_key)
        raise
    commission.members.set(members)
    commission.contacts.set(contacts)
    Node.objects.bulk_create(
        [
            Node(
                commission=commission,
                template=t,
                order=t.order,
                name=t.name,
                standard=t.standard,
                owner_kind=t.owner,
                owner=manager if t.owner == Owner.MANAGER else None,
                push_text=t.push_text,
                client_action=t.client_action,
                aspects=t.aspects,
                planned_on=starts_on + timedelta(days=t.offset_days),
            )
            for t in templates
        ]
    )
    _event(commission=commission, kind=Kind.CREATED, actor=actor, now=now, type=type_.name, nodes=len(templates))
    timeline_record(
        customer=client,
        kind=TIMELINE_PREFIX + "created",
        summary=stored_text(
            gettext_noop("Commission %(number)s opened: %(title)s"), number=commission.number, title=title
        ),
        actor=actor,
        target=commission,
        data={"type": type_.name, "manager": manager.name},
        occurred_at=now,
    )
    _audit(
        actor=actor,
        unit=unit,
        action="commission_create",
        obj=commission,
        changes={"number": commission.number, "client": client.name, "type": type_.name},
    )
    return commission


EDITABLE = (
    "title",
    "purpose",
    "core_need",
    "core_need_confirmed_on",
    "manager",
    "due_on",
    "fee_amount",
    "project",
)


def _locked(commission: Commission) -> Commission:
    return (
        Commission.objects.select_for_update(of=("self",))
        .select_related("organisation", "type", "client", "manager__unit")
        .get(pk=commission.pk)
    )


def works_on(actor: Membership, commission: Commission) -> bool:
    """Managers and members run their own commissions; supervisors and administrators any in
    their scope. Reads the members the caller prefetched, if it did."""
    if not can(actor, "engagements.work") or not in_scope(actor, commission.organisation):
        return False
    if can(actor, "engagements.supervise") or actor.pk == commission.manager_id:
        return True
    return any(member.pk == actor.pk for member in commission.members.all())


def _ensure_works_on(actor: Membership, commission: Commission) -> None:
    ensure_can(actor, "engagements.work", commission.organisation)
    if not works_on(actor, commission):
        raise Forbidden(_("Only the commission's team or a supervisor can change it."))


def _ensure_open(commission: Commission) -> None:
    if commission.status in (Commission.Status.CLOSED, Commission.Status.CANCELLED):
        raise CommissionClosed(number=commission.number)


@transaction.atomic
def commission_update(
    *,
    actor: Membership,
    commission: Commission,
    members: list[Membership] | None = None,
    contacts: list[Customer] | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Commission:
    now = now or timezone.now()
    commission = _locked(commission)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"commission_update does not change {sorted(unknown)}")
    if "title" in fields:
        fields["title"] = _required(fields["title"], "title", _("the title"), 120)
    _check_dates(starts_on=commission.starts_on, due_on=fields.get("due_on", commission.due_on))
    _check_fee(fields.get("fee_amount"))
    manager = fields.get("manager", commission.manager)
    new_members = [m for m in (members if members is not None else commission.members.all()) if m.pk != manager.pk]
    new_contacts = list(contacts if contacts is not None else commission.contacts.all())
    _check_people(
        unit=commission.organisation,
        client=commission.client,
        manager=manager,
        members=new_members,
        contacts=new_contacts,
    )
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(commission, name) != value:
            changes[name] = str(value) if value is not None else ""
            setattr(commission, name, value)
    commission.save()
    if members is not None:
        commission.members.set(new_members)
        changes["members"] = [m.name for m in new_members]
    if contacts is not None:
        commission.contacts.set(new_contacts)
        changes["contacts"] = [c.name for c in new_contacts]
    if "manager" in changes:
        # Nodes the manager owns follow the new manager.
        commission.nodes.filter(owner_kind=Owner.MANAGER, status__in=Node.OPEN_STATUSES).update(owner=manager)
    if changes:
        _event(commission=commission, kind=Kind.UPDATED, actor=actor, now=now, changes=changes)
        _audit(actor=actor, unit=commission.organisation, action="commission_update", obj=commission, changes=changes)
    return commission


# Nodes ----------------------------------------------------------------------------------------------


def _locked_node(node: Node) -> tuple[Node, Commission]:
    commission = _locked(node.commission)
    node = Node.objects.select_for_update().get(pk=node.pk)
    node.commission = commission
    return node, commission


def _check_order(*, node: Node, commission: Commission) -> None:
    if not commission.type.strict_order:
        return
    previous = commission.nodes.filter(order__lt=node.order, status__in=Node.OPEN_STATUSES).order_by("order").first()
    if previous is not None:
        raise NodeOutOfOrder(previous=previous.name, field="node")


@transaction.atomic
def node_start(*, actor: Membership, node: Node, now: datetime | None = None) -> Node:
    now = now or timezone.now()
    node, commission = _locked_node(node)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    if node.status != Node.Status.PENDING:
        return node
    _check_order(node=node, commission=commission)
    node.status = Node.Status.ACTIVE
    node.save(update_fields=["status", "updated_at"])
    _event(commission=commission, node=node, kind=Kind.NODE_STARTED, actor=actor, now=now, node_name=node.name)
    return node


@transaction.atomic
def node_complete(
    *, actor: Membership, node: Node, actual_on: date, note: str = "", now: datetime | None = None
) -> Node:
    """Mark a node done on `actual_on`. The client's contacts hear of it once (saving the node
    again sends nothing), the client is asked to rate the node's aspects, and when the last
    node is done the commission is delivered and its follow-ups are scheduled."""
    now = now or timezone.now()
    node, commission = _locked_node(node)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    if node.status == Node.Status.DONE:
        if node.actual_on == actual_on and (not note or note == node.note):
            return node
        raise NodeAlreadyDone(name=node.name)
    if actual_on < commission.starts_on:
        raise DateBeforeStart(starts_on=commission.starts_on.isoformat(), field="actual_on")
    if actual_on > local_today(commission.organisation, now):
        raise DateInFuture(field="actual_on")
    _check_order(node=node, commission=commission)
    node.status = Node.Status.DONE
    node.actual_on = actual_on
    node.delay_days = max((actual_on - node.planned_on).days, 0)
    if note:
        node.note = note.strip()
    if node.owner_id is None and node.owner_kind != Owner.CLIENT:
        node.owner = actor
    node.save()
    _event(
        commission=commission,
        node=node,
        kind=Kind.NODE_DONE,
        actor=actor,
        now=now,
        node_name=node.name,
        actual_on=actual_on.isoformat(),
        delay_days=node.delay_days,
    )
    timeline_record(
        customer=commission.client,
        kind=TIMELINE_PREFIX + "node_done",
        summary=stored_text(
            gettext_noop("Commission %(number)s: %(node)s done"), number=commission.number, node=node.name
        ),
        actor=actor,
        target=commission,
        data={"node": node.name, "actual_on": actual_on.isoformat(), "delay_days": node.delay_days},
        occurred_at=now,
    )
    pushes.push_node(node=node, commission=commission, kind=pushes.REACHED, now=now)
    if node.aspects:
        _evaluate(commission=commission, node=node, codes=node.aspects, actor=actor, now=now)
    if not commission.nodes.filter(status__in=Node.OPEN_STATUSES).exists():
        _deliver(commission=commission, delivered_on=actual_on, actor=actor, now=now)
    return node


@transaction.atomic
def node_skip(*, actor: Membership, node: Node, reason: str, now: datetime | None = None) -> Node:
    now = now or timezone.now()
    node, commission = _locked_node(node)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    reason = _required(reason, "reason", _("why the node is skipped"), 500)
    if node.status not in Node.OPEN_STATUSES:
        raise NodeAlreadyDone(name=node.name)
    node.status = Node.Status.SKIPPED
    node.note = (node.note + "\n" + reason).strip()
    node.save()
    _event(
        commission=commission,
        node=node,
        kind=Kind.NODE_SKIPPED,
        actor=actor,
        now=now,
        node_name=node.name,
        reason=reason,
    )
    if not commission.nodes.filter(status__in=Node.OPEN_STATUSES).exists():
        _deliver(commission=commission, delivered_on=local_today(commission.organisation, now), actor=actor, now=now)
    return node


@transaction.atomic
def node_note(*, actor: Membership, node: Node, note: str, owner: Membership | None = None) -> Node:
    node, commission = _locked_node(node)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    node.note = note.strip()
    if owner is not None:
        node.owner = owner
    node.save(update_fields=["note", "owner", "updated_at"])
    return node


@transaction.atomic
def plan_change(
    *, actor: Membership, commission: Commission, reason: str, dates: dict[int, date], now: datetime | None = None
) -> PlanChange:
    """Move open nodes to new planned dates when the market or policy moves (方案调整). The
    reason and every move are kept and shown to the client on the progress page."""
    now = now or timezone.now()
    commission = _locked(commission)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    reason = _required(reason, "reason", _("the reason for the change"), 2000)
    nodes = {n.pk: n for n in commission.nodes.select_for_update().filter(pk__in=list(dates))}
    changes = []
    for node_id, new_date in dates.items():
        node = nodes.get(node_id)
        if node is None:
            raise InvalidInput(_("That node is not part of this commission."), field=f"dates.{node_id}")
        if node.status not in Node.OPEN_STATUSES:
            raise InvalidInput(
                _("“%(name)s” is already done; only open nodes can be moved.") % {"name": node.name},
                field=f"dates.{node_id}",
            )
        if new_date < commission.starts_on:
            raise DateBeforeStart(starts_on=commission.starts_on.isoformat(), field=f"dates.{node_id}")
        if new_date != node.planned_on:
            changes.append(
                {"node": node.pk, "name": node.name, "from": node.planned_on.isoformat(), "to": new_date.isoformat()}
            )
            node.planned_on = new_date
            # A node moved past today is not late any more; it may be escalated again if it slips.
            node.late_at = None
            node.save(update_fields=["planned_on", "late_at", "updated_at"])
    if not changes:
        raise InvalidInput(_("Change at least one node's date."), field="dates")
    last = commission.nodes.aggregate(last=Max("planned_on"))["last"]
    if last is not None and commission.due_on is not None and last > commission.due_on:
        commission.due_on = last
        commission.save(update_fields=["due_on", "updated_at"])
    change = PlanChange.objects.create(commission=commission, reason=reason, changes=changes, actor=actor)
    _event(commission=commission, kind=Kind.PLAN_CHANGED, actor=actor, now=now, reason=reason, changes=changes)
    timeline_record(
        customer=commission.client,
        kind=TIMELINE_PREFIX + "plan_changed",
        summary=stored_text(
            gettext_noop("Commission %(number)s: plan changed (%(reason)s)"), number=commission.number, reason=reason
        ),
        actor=actor,
        target=commission,
        data={"changes": changes},
        occurred_at=now,
    )
    return change


# Deliverables and risks -----------------------------------------------------------------------------


@transaction.atomic
def deliverable_add(
    *,
    actor: Membership,
    commission: Commission,
    file: UploadedFile,
    name: str = "",
    node: Node | None = None,
    is_shared: bool = True,
    now: datetime | None = None,
) -> Deliverable:
    now = now or timezone.now()
    commission = _locked(commission)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    if file.size is None or file.size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    if file.size > MAX_FILE_BYTES:
        raise InvalidInput(_("A deliverable is at most 20 MB."), field="file")
    if node is not None and node.commission_id != commission.pk:
        raise InvalidInput(_("That node is not part of this commission."), field="node")
    name = (name or file.name or "").strip()[:120] or _("Deliverable")
    deliverable = Deliverable.objects.create(
        commission=commission, node=node, name=name, file=file, size=file.size, is_shared=is_shared, uploaded_by=actor
    )
    _event(
        commission=commission,
        node=node,
        kind=Kind.DELIVERABLE_ADDED,
        actor=actor,
        now=now,
        name=name,
        shared=is_shared,
    )
    return deliverable


@transaction.atomic
def risk_raise(
    *,
    actor: Membership,
    commission: Commission,
    description: str,
    level: str = Risk.Level.MEDIUM,
    mitigation: str = "",
    node: Node | None = None,
    now: datetime | None = None,
) -> Risk:
    now = now or timezone.now()
    commission = _locked(commission)
    _ensure_works_on(actor, commission)
    _ensure_open(commission)
    description = _required(description, "description", _("the risk"), 300)
    if level not in Risk.Level.values:
        raise InvalidInput(_("Choose the risk's level."), field="level")
    if node is not None and node.commission_id != commission.pk:
        raise InvalidInput(_("That node is not part of this commission."), field="node")
    risk = Risk.objects.create(
        commission=commission,
        node=node,
        description=description,
        level=level,
        mitigation=mitigation.strip(),
        raised_by=actor,
    )
    _event(commission=commission, node=node, kind=Kind.RISK_RAISED, actor=actor, now=now, risk=description, level=level)
    return risk


@transaction.atomic
def risk_close(*, actor: Membership, risk: Risk, now: datetime | None = None) -> Risk:
    now = now or timezone.now()
    commission = _locked(risk.commission)
    _ensure_works_on(actor, commission)
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    if risk.closed_at is None:
        risk.closed_at = now
        risk.save(update_fields=["closed_at", "updated_at"])
        _event(commission=commission, kind=Kind.RISK_CLOSED, actor=actor, now=now, risk=risk.description)
    return risk


# Evaluations ----------------------------------------------------------------------------------------


def _three_pro(unit: OrgUnit) -> SurveyTemplate:
    """The built-in 3-PRO survey nearest the unit (a group's is used by its consultancies)."""
    found = nearest(SurveyTemplate.objects.filter(kind=SurveyTemplate.Kind.THREE_PRO, is_builtin=True), unit)
    if found is not None:
        return found
    return next(t for t in ensure_builtin_templates(unit=unit) if t.kind == SurveyTemplate.Kind.THREE_PRO)


def _evaluate(
    *, commission: Commission, node: Node | None, codes: list[str], actor: Membership | None, now: datetime
) -> list[Evaluation]:
    """Ask each contact to rate `codes` (a node's aspects, or all nine at close). One invitation
    per contact and occasion, however often this runs."""
    template = _three_pro(commission.organisation)
    occasion = f"node:{node.pk}" if node is not None else "close"
    subject = (
        stored_text(gettext_noop("%(title)s: %(node)s"), title=commission.title, node=node.name)
        if node is not None
        else commission.title
    )
    evaluations = []
    for contact in commission.contacts.all():
        invitation = invite(
            template=template,
            customer=contact,
            source_key=f"commission:{commission.pk}:{occasion}",
            organisation=commission.organisation,
            subject=subject,
            evaluated=commission.manager,
            project=commission.project,
            codes=codes if len(codes) < len(ASPECT_CODES) else None,
            now=now,
        )
        evaluation, created = Evaluation.objects.get_or_create(
            invitation=invitation,
            defaults={"commission": commission, "node": node, "evaluated": commission.manager, "created_at": now},
        )
        evaluations.append(evaluation)
        if created:
            timeline_record(
                customer=commission.client,
                kind=TIMELINE_PREFIX + "evaluation_sent",
                summary=stored_text(
                    gettext_noop("Commission %(number)s: %(contact)s asked to evaluate %(subject)s"),
                    number=commission.number,
                    contact=contact.name,
                    subject=subject,
                ),
                actor=actor,
                target=invitation,
                data={"aspects": codes, "status": invitation.status, "reason": invitation.skip_reason},
                occurred_at=now,
            )
            _event(
                commission=commission,
                node=node,
                kind=Kind.EVALUATION_SENT,
                actor=actor,
                now=now,
                contact=contact.name,
                aspects=codes,
                status=invitation.status,
                reason=invitation.skip_reason,
            )
    return evaluations


@transaction.atomic
def evaluation_request(*, actor: Membership, node: Node, now: datetime | None = None) -> list[Evaluation]:
    """Ask the client again to rate a node (a contact added later, say). Only a done node can be rated."""
    now = now or timezone.now()
    node, commission = _locked_node(node)
    _ensure_works_on(actor, commission)
    if node.status != Node.Status.DONE:
        raise NodeNotReached(name=node.name, field="node")
    if not node.aspects:
        raise InvalidInput(_("This node asks the client to rate no aspects."), field="node")
    return _evaluate(commission=commission, node=node, codes=node.aspects, actor=actor, now=now)


# Delivery, close, follow-up -------------------------------------------------------------------------


def _deliver(*, commission: Commission, delivered_on: date, actor: Membership | None, now: datetime) -> None:
    commission.status = Commission.Status.DELIVERED
    commission.delivered_on = delivered_on
    commission.save(update_fields=["status", "delivered_on", "updated_at"])
    _event(commission=commission, kind=Kind.DELIVERED, actor=actor, now=now, delivered_on=delivered_on.isoformat())
    timeline_record(
        customer=commission.client,
        kind=TIMELINE_PREFIX + "delivered",
        summary=stored_text(gettext_noop("Commission %(number)s delivered"), number=commission.number),
        actor=actor,
        target=commission,
        occurred_at=now,
    )
    tasks = [
        FollowUpTask(
            commission=commission,
            template=t,
            kind=t.kind,
            title=t.title,
            instructions=t.instructions,
            due_on=delivered_on + timedelta(days=t.days_after),
            assignee=commission.manager,
        )
        for t in commission.type.follow_ups.all()
    ]
    FollowUpTask.objects.bulk_create(tasks, ignore_conflicts=True)


@transaction.atomic
def commission_close(*, actor: Membership, commission: Commission, now: datetime | None = None) -> Commission:
    """Close a delivered commission and ask the client for the full nine-aspect evaluation."""
    now = now or timezone.now()
    commission = _locked(commission)
    _ensure_works_on(actor, commission)
    if commission.status == Commission.Status.CLOSED:
        return commission
    _ensure_open(commission)
    if commission.status != Commission.Status.DELIVERED:
        raise InvalidInput(_("Finish or skip every node before closing the commission."), field="status")
    commission.status = Commission.Status.CLOSED
    commission.closed_at = now
    commission.save(update_fields=["status", "closed_at", "updated_at"])
    _event(commission=commission, kind=Kind.CLOSED, actor=actor, now=now)
    timeline_record(
        customer=commission.client,
        kind=TIMELINE_PREFIX + "closed",
        summary=stored_text(gettext_noop("Commission %(number)s closed"), number=commission.number),
        actor=actor,
        target=commission,
        occurred_at=now,
    )
    _evaluate(commission=commission, node=None, codes=list(ASPECT_CODES), actor=actor, now=now)
    return commission


@transaction.atomic
def commission_cancel(
    *, actor: Membership, commission: Commission, reason: str, now: datetime | None = None
) -> Commission:
    now = now or timezone.now()
    commission = _locked(commission)
    ensure_can(actor, "engagements.supervise", commission.organisation)
    _ensure_open(commission)
    reason = _required(reason, "reason", _("why the commission is cancelled"), 500)
    commission.status = Commission.Status.CANCELLED
    commission.closed_at = now
    commission.save(update_fields=["status", "closed_at", "updated_at"])
    _event(commission=commission, kind=Kind.CANCELLED, actor=actor, now=now, reason=reason)
    _audit(
        actor=actor,
        unit=commission.organisation,
        action="commission_cancel",
        obj=commission,
        changes={"reason": reason},
    )
    return commission


@transaction.atomic
def task_complete(*, actor: Membership, task: FollowUpTask, outcome: str, now: datetime | None = None) -> FollowUpTask:
    now = now or timezone.now()
    commission = _locked(task.commission)
    _ensure_works_on(actor, commission)
    task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    outcome = _required(outcome, "outcome", _("what came of it"), 2000)
    if task.done_at is not None:
        return task
    task.done_at, task.done_by, task.outcome = now, actor, outcome
    task.save(update_fields=["done_at", "done_by", "outcome", "updated_at"])
    _event(commission=commission, kind=Kind.TASK_DONE, actor=actor, now=now, task=task.title, outcome=outcome)
    timeline_record(
        customer=commission.client,
        kind=TIMELINE_PREFIX + "follow_up",
        summary=stored_text(gettext_noop("%(task)s: %(outcome)s"), task=task.title, outcome=outcome),
        actor=actor,
        target=commission,
        occurred_at=now,
    )
    return task


# Scorecard weights ----------------------------------------------------------------------------------


@transaction.atomic
def weights_save(
    *,
    actor: Membership,
    unit: OrgUnit,
    on_time_weight: int,
    evaluation_weight: int,
    response_weight: int,
    intervention_weight: int,
) -> ScorecardWeights:
    ensure_can(actor, "engagements.appraise", unit)
    values = {
        "on_time_weight": on_time_weight,
        "evaluation_weight": evaluation_weight,
        "response_weight": response_weight,
        "intervention_weight": intervention_weight,
    }
    for field, value in values.items():
        if not 0 <= value <= 100:
            raise InvalidInput(_("A weight is a percentage from 0 to 100."), field=field)
    if sum(values.values()) != 100:
        raise InvalidInput(
            _("The weights add up to %(total)s%%; they must add up to 100%%.") % {"total": sum(values.values())},
            field="on_time_weight",
        )
    weights, _created = ScorecardWeights.objects.update_or_create(
        organisation=unit, defaults={**values, "updated_by": actor}
    )
    _audit(actor=actor, unit=unit, action="weights_update", obj=weights, changes=values)
    return weights
