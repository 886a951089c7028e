"""Write operations on tickets. Each runs in one transaction, re-reads the ticket under a row lock,
writes a TicketEvent (the ticket's history) and the customer's timeline entry."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.core.errors import InvalidInput
from kefu.core.numbering import next_daily_number
from kefu.core.permissions import can, ensure_can, in_scope
from kefu.core.texts import stored_text
from kefu.customers.models import Customer
from kefu.customers.services import timeline_record
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Unit
from kefu.standards.models import RequestCategory, RequestKind, Severity
from kefu.standards.selectors import categories_for_unit
from kefu.standards.sla import due_at
from kefu.tickets import clock, messages, routing
from kefu.tickets.errors import (
    AssigneeCannotHandle,
    AssigneeOutOfScope,
    DuplicateClientKey,
    InvalidAttachment,
    TicketClosed,
    TicketWrongState,
)
from kefu.tickets.models import Channel, Team, Ticket, TicketAttachment, TicketEvent, TicketPresence, TicketSequence

Kind = TicketEvent.Kind
Status = Ticket.Status

TIMELINE_PREFIX = "tickets."


class RevisitOutcome:
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"
    CHOICES = (SATISFIED, DISSATISFIED, UNREACHABLE)


# Inquiries, suggestions and praise need no revisit: answering them closes the loop.
NO_REVISIT_KINDS = (RequestKind.INQUIRY, RequestKind.SUGGESTION, RequestKind.PRAISE)


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "customer", "sla_policy", "category")
        .get(pk=ticket.pk)
    )


def _event(
    *,
    ticket: Ticket,
    kind: str,
    actor: Membership | None,
    summary: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    scan_key: str = "",
) -> TicketEvent:
    """History row plus timeline entry: one call, so neither is ever forgotten."""
    at = at or timezone.now()
    event = TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, body=body, data=data or {}, created_at=at, scan_key=scan_key
    )
    timeline_record(
        customer=ticket.customer,
        kind=TIMELINE_PREFIX + kind,
        summary=summary,
        actor=actor,
        target=ticket,
        data={"ticket": ticket.number, **(data or {})},
        occurred_at=at,
    )
    return event


def _claim_first_responder(ticket: Ticket, member: Membership | None) -> bool:
    """A request the customer submitted on the portal has no first responder: 首问负责 falls to the
    first staff member who takes it on (is assigned it, replies or resolves it), and stays with
    them. True when the caller must save the field."""
    if member is None or ticket.first_responder_id is not None:
        return False
    ticket.first_responder = member
    return True


def _ensure_not_done(ticket: Ticket) -> None:
    if ticket.status in Ticket.DONE_STATUSES:
        raise TicketClosed(number=ticket.number)


def _next_number(received_at: datetime) -> str:
    return next_daily_number(TicketSequence, prefix="KS", moment=received_at)


def ticket_organisation(*, customer: Customer, unit: Unit | None) -> OrgUnit:
    """A ticket belongs where its place is managed: the unit's project, else the customer's unit."""
    if unit is not None:
        return unit.organisation
    return customer.organisation


def _check_category(*, category: RequestCategory | None, kind: str, organisation: OrgUnit) -> None:
    if category is None:
        return
    if category.kind != kind:
        raise InvalidInput(_("This category belongs to another kind of voice."), field="category")
    if not categories_for_unit(organisation).filter(pk=category.pk).exists():
        raise InvalidInput(_("This category is not used by the ticket's unit."), field="category")


def _check_title(title: str) -> None:
    if not title.strip():
        raise InvalidInput(_("Give the ticket a subject."), field="title")


def _check_assignee(ticket: Ticket, assignee: Membership) -> None:
    if not in_scope(assignee, ticket.organisation):
        raise AssigneeOutOfScope(name=assignee.name, field="assignee")
    if not can(assignee, "tickets.receive") and not can(assignee, "tickets.handle"):
        raise AssigneeCannotHandle(name=assignee.name, field="assignee")
    if not assignee.user.is_active:
        raise AssigneeCannotHandle(name=assignee.name, field="assignee")


def _check_team(ticket: Ticket, team: Team) -> None:
    if not ticket.organisation.is_in_line_with(team.organisation):
        raise InvalidInput(_("This team works for another unit."), field="team")


@transaction.atomic
def ticket_create(
    *,
    actor: Membership,
    customer: Customer,
    kind: str,
    channel: str,
    title: str,
    description: str,
    unit: Unit | None = None,
    category: RequestCategory | None = None,
    severity: str = Severity.NORMAL,
    received_at: datetime | None = None,
    assignee: Membership | None = None,
    team: Team | None = None,
    client_key: str = "",
    attachments: list[UploadedFile] | None = None,
) -> Ticket:
    """Log a customer voice. The actor becomes its first responder (首问负责) for its whole life."""
    now = timezone.now()
    received_at = received_at or now
    organisation = ticket_organisation(customer=customer, unit=unit)
    ensure_can(actor, "tickets.create", organisation)
    if not in_scope(actor, customer.organisation) and not in_scope(actor, organisation):
        raise InvalidInput(_("This customer is not in your part of the organisation."), field="customer")
    if customer.merged_into_id or customer.is_anonymised:
        raise InvalidInput(_("This customer record is closed; use the record it was merged into."), field="customer")
    if kind not in RequestKind.values:
        raise InvalidInput(_("Choose what kind of voice this is."), field="kind")
    if channel not in Channel.values:
        raise InvalidInput(_("Choose the channel it came through."), field="channel")
    if severity not in Severity.values:
        raise InvalidInput(_("Choose a severity."), field="severity")
    if received_at > now + timedelta(minutes=5):
        raise InvalidInput(_("The time received cannot be in the future."), field="received_at")
    _check_category(category=category, kind=kind, organisation=organisation)
    _check_title(title)
    if not description.strip():
        raise InvalidInput(_("Write down what the customer said."), field="description")
    if client_key and Ticket.objects.filter(organisation=organisation, client_key=client_key).exists():
        raise DuplicateClientKey(field="client_key")

    ticket = Ticket(
        organisation=organisation,
        number=_next_number(received_at),
        kind=kind,
        channel=channel,
        category=category,
        severity=severity,
        customer=customer,
        unit=unit,
        project=unit.building.project if unit is not None else None,
        title=title.strip()[:120],
        description=description.strip(),
        received_at=received_at,
        first_responder=actor,
        client_key=client_key,
    )
    schedule = clock.schedule_of(organisation)
    clock.clocks_set(ticket=ticket, customer=customer, category=category, start=received_at, schedule=schedule)
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError as exc:
        raise DuplicateClientKey(field="client_key") from exc
    created_event = _event(
        ticket=ticket,
        kind=Kind.CREATED,
        actor=actor,
        summary=stored_text(
            gettext_noop("Logged %(kind)s %(number)s: %(title)s"),
            kind=RequestKind(ticket.kind).label,
            number=ticket.number,
            title=ticket.title,
        ),
        data={"channel": channel, "severity": severity, "policy": ticket.sla_policy_id},
        at=now,
    )
    messages.integration(ticket=ticket, event=created_event, action=stored_text(gettext_noop("Logged")))
    for upload in attachments or []:
        _attach(actor=actor, ticket=ticket, upload=upload)
    if assignee is not None or team is not None:
        _assign(
            actor=actor,
            ticket=ticket,
            assignee=assignee,
            team=team,
            reason="",
            kind=Kind.ASSIGNED,
            now=now,
            schedule=schedule,
        )
    else:
        # Without a rule the ticket waits in the supervisors' "unassigned" queue for dispatch.
        _route(ticket=ticket, now=now, schedule=schedule)
    return ticket


@transaction.atomic
def ticket_submit_by_customer(
    *,
    customer: Customer,
    unit: Unit,
    kind: str,
    title: str,
    description: str,
    attachments: list[UploadedFile] | None = None,
    client_key: str = "",
) -> Ticket:
    """A request the customer submitted on the portal: logged by the system (no staff actor,
    no first responder until staff take it), channel portal, routed by the assignment rules."""
    now = timezone.now()
    organisation = ticket_organisation(customer=customer, unit=unit)
    if customer.merged_into_id or customer.is_anonymised:
        raise InvalidInput(_("This customer record is closed; use the record it was merged into."), field="customer")
    if kind not in RequestKind.values:
        raise InvalidInput(_("Choose what kind of voice this is."), field="kind")
    _check_title(title)
    if not description.strip():
        raise InvalidInput(_("Write down what the customer said."), field="description")
    if client_key and Ticket.objects.filter(organisation=organisation, client_key=client_key).exists():
        raise DuplicateClientKey(field="client_key")
    ticket = Ticket(
        organisation=organisation,
        number=_next_number(now),
        kind=kind,
        channel=Channel.PORTAL,
        severity=Severity.NORMAL,
        customer=customer,
        unit=unit,
        project=unit.building.project,
        title=title.strip()[:120],
        description=description.strip(),
        received_at=now,
        first_responder=None,
        client_key=client_key,
    )
    schedule = clock.schedule_of(organisation)
    clock.clocks_set(ticket=ticket, customer=customer, category=None, start=now, schedule=schedule)
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError as exc:
        raise DuplicateClientKey(field="client_key") from exc
    created_event = _event(
        ticket=ticket,
        kind=Kind.CREATED,
        actor=None,
        summary=stored_text(
            gettext_noop("Logged %(kind)s %(number)s: %(title)s"),
            kind=RequestKind(ticket.kind).label,
            number=ticket.number,
            title=ticket.title,
        ),
        data={"channel": Channel.PORTAL, "severity": ticket.severity, "policy": ticket.sla_policy_id},
        at=now,
    )
    messages.integration(ticket=ticket, event=created_event, action=stored_text(gettext_noop("Logged")))
    for upload in attachments or []:
        _attach(actor=None, ticket=ticket, upload=upload)
    _route(ticket=ticket, now=now, schedule=schedule)
    return ticket


def _route(*, ticket: Ticket, now: datetime, schedule: Any) -> bool:
    """Assign by the most specific assignment rule; False when no rule applies."""
    rule = routing.rule_for(ticket)
    if rule is None:
        return False
    team = Team.objects.select_for_update().get(pk=rule.team_id)
    member = routing.pick_member(team=team, organisation=ticket.organisation, now=now, schedule=schedule)
    _assign(
        actor=None,
        ticket=ticket,
        assignee=member,
        team=team,
        reason=stored_text(gettext_noop("Assignment rule “%(rule)s”"), rule=rule.name),
        kind=Kind.ASSIGNED,
        now=now,
        schedule=schedule,
    )
    if member is not None:
        team.last_assignee = member
        team.save(update_fields=["last_assignee", "updated_at"])
    return True


def _assign(
    *,
    actor: Membership | None,
    ticket: Ticket,
    assignee: Membership | None,
    team: Team | None,
    reason: str,
    kind: str,
    now: datetime,
    schedule: Any,
) -> None:
    if assignee is not None:
        _check_assignee(ticket, assignee)
    if team is not None:
        _check_team(ticket, team)
    previous = ticket.assignee
    ticket.assignee = assignee
    ticket.team = team
    if ticket.status == Status.NEW and assignee is not None:
        ticket.status = Status.IN_PROGRESS
    claimed = _claim_first_responder(ticket, assignee)
    ticket.save(update_fields=["assignee", "team", "status", "updated_at"] + (["first_responder"] if claimed else []))
    if assignee is not None:
        target = assignee.name
    elif team is not None:
        target = stored_text(gettext_noop("team %(team)s (waiting for working hours)"), team=team.name)
    else:
        target = "—"
    summary = (
        stored_text(gettext_noop("%(number)s transferred to %(to)s"), number=ticket.number, to=target)
        if kind == Kind.TRANSFERRED
        else stored_text(gettext_noop("%(number)s assigned to %(to)s"), number=ticket.number, to=target)
    )
    event = _event(
        ticket=ticket,
        kind=kind,
        actor=actor,
        summary=summary,
        body=reason,
        data={
            "from": previous.pk if previous else None,
            "to": assignee.pk if assignee else None,
            "to_name": assignee.name if assignee else "",
            "team": team.pk if team else None,
            "team_name": team.name if team else "",
        },
        at=now,
    )
    messages.assigned(ticket=ticket, event=event, assignee=assignee, actor=actor)


@transaction.atomic
def ticket_assign(
    *, actor: Membership, ticket: Ticket, assignee: Membership | None = None, team: Team | None = None
) -> Ticket:
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if assignee is None and team is None:
        raise InvalidInput(_("Choose a person or a team."), field="assignee")
    now = timezone.now()
    schedule = clock.schedule_of(ticket.organisation)
    if assignee is None and team is not None:
        locked_team = Team.objects.select_for_update().get(pk=team.pk)
        assignee = routing.pick_member(team=locked_team, organisation=ticket.organisation, now=now, schedule=schedule)
        if assignee is not None:
            locked_team.last_assignee = assignee
            locked_team.save(update_fields=["last_assignee", "updated_at"])
    _assign(
        actor=actor,
        ticket=ticket,
        assignee=assignee,
        team=team,
        reason="",
        kind=Kind.ASSIGNED,
        now=now,
        schedule=schedule,
    )
    return ticket


@transaction.atomic
def ticket_transfer(
    *, actor: Membership, ticket: Ticket, reason: str, assignee: Membership | None = None, team: Team | None = None
) -> Ticket:
    """Hand the work to someone else. The first responder stays accountable."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if not reason.strip():
        raise InvalidInput(_("Say why the ticket is transferred."), field="reason")
    if assignee is None and team is None:
        raise InvalidInput(_("Choose a person or a team."), field="assignee")
    if assignee is not None and assignee.pk == ticket.assignee_id:
        raise InvalidInput(_("The ticket is already with %(name)s.") % {"name": assignee.name}, field="assignee")
    _assign(
        actor=actor,
        ticket=ticket,
        assignee=assignee,
        team=team if team is not None else (ticket.team if assignee is None else None),
        reason=reason.strip(),
        kind=Kind.TRANSFERRED,
        now=timezone.now(),
        schedule=clock.schedule_of(ticket.organisation),
    )
    return ticket


@transaction.atomic
def ticket_note(*, actor: Membership, ticket: Ticket, body: str) -> TicketEvent:
    """An internal note: staff only, never shown to the customer."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    if not body.strip():
        raise InvalidInput(_("Write the note."), field="body")
    return _event(
        ticket=ticket,
        kind=Kind.NOTE,
        actor=actor,
        summary=stored_text(gettext_noop("Internal note on %(number)s"), number=ticket.number),
        body=body.strip(),
    )


@transaction.atomic
def ticket_reply(*, actor: Membership, ticket: Ticket, body: str, channel: str = Channel.PHONE) -> TicketEvent:
    """A reply to the customer. The first one answers the first-response promise."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if not body.strip():
        raise InvalidInput(_("Write the reply."), field="body")
    if channel not in Channel.values:
        raise InvalidInput(_("Choose how the reply reaches the customer."), field="channel")
    now = timezone.now()
    fields = ["updated_at"]
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        fields.append("first_responded_at")
        if (
            ticket.first_response_due_at
            and ticket.first_response_due_at < now
            and not ticket.first_response_breached_at
        ):
            _record_breach(ticket=ticket, which="first_response", now=now)
            fields.append("first_response_breached_at")
    if ticket.status == Status.NEW:
        ticket.status = Status.IN_PROGRESS
        fields.append("status")
    if _claim_first_responder(ticket, actor):
        fields.append("first_responder")
    ticket.save(update_fields=fields)
    event = _event(
        ticket=ticket,
        kind=Kind.REPLY,
        actor=actor,
        summary=stored_text(
            gettext_noop("Reply on %(number)s: %(text)s"), number=ticket.number, text=body.strip()[:120]
        ),
        body=body.strip(),
        data={"channel": channel},
        at=now,
    )
    messages.reply_sent(ticket=ticket, event=event, channel=channel, actor=actor)
    return event


def _record_breach(*, ticket: Ticket, which: str, now: datetime) -> None:
    """A promise was broken at its due time, whoever notices it first (a service or the scan)."""
    due = ticket.first_response_due_at if which == "first_response" else ticket.resolution_due_at
    assert due is not None
    if which == "first_response":
        ticket.first_response_breached_at = due
    else:
        ticket.resolution_breached_at = due
    _event(
        ticket=ticket,
        kind=Kind.BREACHED,
        actor=None,
        summary=stored_text(
            gettext_noop("%(number)s missed its %(which)s promise"),
            number=ticket.number,
            which=stored_text(gettext_noop("first response"))
            if which == "first_response"
            else stored_text(gettext_noop("resolution")),
        ),
        data={"which": which, "due_at": due.isoformat()},
        at=due,
        scan_key=f"breached:{which}:{ticket.reopen_count}",
    )


@transaction.atomic
def ticket_update(
    *,
    actor: Membership,
    ticket: Ticket,
    title: str,
    category: RequestCategory | None,
    severity: str,
    unit: Unit | None,
) -> Ticket:
    """Correct what the ticket is about; a new severity or category re-reads the service standard."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if severity not in Severity.values:
        raise InvalidInput(_("Choose a severity."), field="severity")
    _check_category(category=category, kind=ticket.kind, organisation=ticket.organisation)
    _check_title(title)
    if unit is not None and not in_scope(actor, unit.organisation):
        raise InvalidInput(_("This unit is not in your part of the organisation."), field="unit")
    changes: dict[str, Any] = {}
    for name, value in (
        ("title", title.strip()[:120]),
        ("category_id", category.pk if category else None),
        ("severity", severity),
        ("unit_id", unit.pk if unit else None),
    ):
        if getattr(ticket, name) != value:
            changes[name] = [getattr(ticket, name), value]
            setattr(ticket, name, value)
    if not changes:
        return ticket
    if unit is not None:
        ticket.project_id = unit.building.project_id
    if ("severity" in changes or "category_id" in changes) and not ticket.is_paused:
        ticket.category = category
        clock.clocks_set(
            ticket=ticket,
            customer=ticket.customer,
            category=category,
            start=ticket.received_at,
            schedule=clock.schedule_of(ticket.organisation),
        )
    ticket.save()
    _event(
        ticket=ticket,
        kind=Kind.UPDATED,
        actor=actor,
        summary=stored_text(gettext_noop("%(number)s details changed"), number=ticket.number),
        data={"changes": changes},
    )
    return ticket


@transaction.atomic
def ticket_pause(*, actor: Membership, ticket: Ticket, reason: str) -> Ticket:
    """Stop the clocks while the ball is in the customer's court (e.g. waiting to be let in)."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if ticket.status not in (Status.NEW, Status.IN_PROGRESS):
        raise TicketWrongState(number=ticket.number, status=ticket.get_status_display())
    if not reason.strip():
        raise InvalidInput(_("Say what the customer is to do."), field="reason")
    now = timezone.now()
    clock.clocks_pause(ticket=ticket, now=now, schedule=clock.schedule_of(ticket.organisation))
    ticket.status = Status.WAITING
    ticket.save()
    _event(
        ticket=ticket,
        kind=Kind.PAUSED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(number)s waits for the customer: %(reason)s"),
            number=ticket.number,
            reason=reason.strip()[:100],
        ),
        body=reason.strip(),
        at=now,
    )
    return ticket


@transaction.atomic
def ticket_resume(*, actor: Membership | None, ticket: Ticket) -> Ticket:
    ticket = _locked(ticket)
    if actor is not None:
        ensure_can(actor, "tickets.handle", ticket.organisation)
    if ticket.status != Status.WAITING:
        raise TicketWrongState(number=ticket.number, status=ticket.get_status_display())
    now = timezone.now()
    clock.clocks_resume(ticket=ticket, now=now, schedule=clock.schedule_of(ticket.organisation))
    ticket.status = Status.IN_PROGRESS
    ticket.save()
    _event(
        ticket=ticket,
        kind=Kind.RESUMED,
        actor=actor,
        summary=stored_text(gettext_noop("%(number)s: the clock runs again"), number=ticket.number),
        at=now,
    )
    return ticket


@transaction.atomic
def ticket_resolve(*, actor: Membership, ticket: Ticket, resolution: str) -> Ticket:
    """The work is done; a revisit falls due (complaints and repairs) or the ticket closes (the rest)."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if ticket.status == Status.RESOLVED:
        raise TicketWrongState(number=ticket.number, status=ticket.get_status_display())
    if not resolution.strip():
        raise InvalidInput(_("Record the measures taken."), field="resolution")
    now = timezone.now()
    if ticket.is_paused:
        clock.clocks_resume(ticket=ticket, now=now, schedule=clock.schedule_of(ticket.organisation))
    if ticket.resolution_due_at and ticket.resolution_due_at < now and not ticket.resolution_breached_at:
        _record_breach(ticket=ticket, which="resolution", now=now)
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        if (
            ticket.first_response_due_at
            and ticket.first_response_due_at < now
            and not ticket.first_response_breached_at
        ):
            _record_breach(ticket=ticket, which="first_response", now=now)
    ticket.resolved_at = now
    ticket.resolution = resolution.strip()
    _claim_first_responder(ticket, actor)
    if ticket.kind in NO_REVISIT_KINDS:
        ticket.status = Status.CLOSED
        ticket.closed_at = now
    else:
        ticket.status = Status.RESOLVED
        schedule = clock.schedule_of(ticket.organisation)
        within = ticket.sla_policy.revisit_within if ticket.sla_policy else timedelta(hours=24)
        ticket.revisit_due_at = due_at(schedule=schedule, basis=ticket.time_basis, start=now, duration=within)
    ticket.save()
    resolved_event = _event(
        ticket=ticket,
        kind=Kind.RESOLVED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(number)s resolved: %(text)s"), number=ticket.number, text=resolution.strip()[:120]
        ),
        body=resolution.strip(),
        at=now,
    )
    if ticket.status == Status.CLOSED:
        _event(
            ticket=ticket,
            kind=Kind.CLOSED,
            actor=actor,
            summary=stored_text(gettext_noop("%(number)s closed"), number=ticket.number),
            at=now,
        )
    messages.resolved(ticket=ticket, event=resolved_event)
    return ticket


@transaction.atomic
def ticket_revisit(
    *,
    actor: Membership,
    ticket: Ticket,
    method: str,
    outcome: str,
    satisfaction: int | None = None,
    note: str = "",
) -> Ticket:
    """回访: satisfied closes the ticket; not satisfied reopens it; unreachable tries again next working day."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    return _revisit(actor=actor, ticket=ticket, method=method, outcome=outcome, satisfaction=satisfaction, note=note)


@transaction.atomic
def ticket_revisit_by_customer(
    *, customer: Customer, ticket: Ticket, outcome: str, satisfaction: int | None, note: str = ""
) -> Ticket:
    """The customer answers the revisit on the portal: satisfied closes, not satisfied reopens.
    Recorded as the system (no staff actor), through the portal channel."""
    ticket = _locked(ticket)
    if ticket.customer_id != customer.pk:
        raise InvalidInput(_("This request is not yours."))
    if outcome == RevisitOutcome.UNREACHABLE:
        raise InvalidInput(_("Choose the outcome of the revisit."), field="outcome")
    return _revisit(
        actor=None, ticket=ticket, method=Channel.PORTAL, outcome=outcome, satisfaction=satisfaction, note=note
    )


def _revisit(
    *, actor: Membership | None, ticket: Ticket, method: str, outcome: str, satisfaction: int | None, note: str
) -> Ticket:
    _ensure_not_done(ticket)
    if ticket.status != Status.RESOLVED:
        raise TicketWrongState(number=ticket.number, status=ticket.get_status_display())
    if outcome not in RevisitOutcome.CHOICES:
        raise InvalidInput(_("Choose the outcome of the revisit."), field="outcome")
    if method not in Channel.values:
        raise InvalidInput(_("Choose how the customer was revisited."), field="method")
    if outcome != RevisitOutcome.UNREACHABLE:
        if satisfaction not in Ticket.Satisfaction.values:
            raise InvalidInput(_("Record the customer's satisfaction from 1 to 5."), field="satisfaction")
        if outcome == RevisitOutcome.SATISFIED and satisfaction is not None and satisfaction < 3:
            raise InvalidInput(
                _("A satisfied customer does not rate below 3; choose not satisfied."), field="satisfaction"
            )
    now = timezone.now()
    data = {"method": method, "outcome": outcome, "satisfaction": satisfaction}
    if outcome == RevisitOutcome.UNREACHABLE:
        schedule = clock.schedule_of(ticket.organisation)
        ticket.revisit_due_at = due_at(schedule=schedule, basis="business", start=now, duration=timedelta(hours=8))
        ticket.save(update_fields=["revisit_due_at", "updated_at"])
        _event(
            ticket=ticket,
            kind=Kind.REVISITED,
            actor=actor,
            summary=stored_text(gettext_noop("Revisit of %(number)s: customer not reached"), number=ticket.number),
            body=note.strip(),
            data=data,
            at=now,
        )
        return ticket
    ticket.revisited_at = now
    ticket.satisfaction = satisfaction
    satisfied = outcome == RevisitOutcome.SATISFIED
    if satisfied:
        ticket.status = Status.CLOSED
        ticket.closed_at = now
    ticket.save()
    message = (
        gettext_noop("Revisit of %(number)s: satisfied (%(score)s/5)")
        if satisfied
        else gettext_noop("Revisit of %(number)s: not satisfied (%(score)s/5)")
    )
    _event(
        ticket=ticket,
        kind=Kind.REVISITED,
        actor=actor,
        summary=stored_text(message, number=ticket.number, score=satisfaction),
        body=note.strip(),
        data=data,
        at=now,
    )
    if satisfied:
        _event(
            ticket=ticket,
            kind=Kind.CLOSED,
            actor=actor,
            summary=stored_text(gettext_noop("%(number)s closed"), number=ticket.number),
            at=now,
        )
    else:
        reason = note.strip() or stored_text(gettext_noop("Customer not satisfied at the revisit"))
        _reopen(actor=actor, ticket=ticket, reason=reason, now=now)
    return ticket


@transaction.atomic
def ticket_close(*, actor: Membership, ticket: Ticket, reason: str) -> Ticket:
    """Close without a revisit: answered inquiries, or a supervisor's decision (with the reason)."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    if not reason.strip():
        raise InvalidInput(_("Say why the ticket is closed."), field="reason")
    needs_revisit = ticket.kind not in NO_REVISIT_KINDS
    if needs_revisit and not can(actor, "tickets.supervise"):
        raise InvalidInput(
            _("Complaints and repairs close through a revisit; ask a supervisor to close it otherwise."), field="reason"
        )
    now = timezone.now()
    ticket.status = Status.CLOSED
    ticket.closed_at = now
    ticket.paused_at = None
    ticket.save()
    _event(
        ticket=ticket,
        kind=Kind.CLOSED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(number)s closed: %(reason)s"), number=ticket.number, reason=reason.strip()[:120]
        ),
        body=reason.strip(),
        at=now,
    )
    return ticket


def _reopen(*, actor: Membership | None, ticket: Ticket, reason: str, now: datetime) -> None:
    ticket.reopen_count += 1
    ticket.status = Status.IN_PROGRESS if ticket.assignee_id else Status.NEW
    ticket.resolved_at = ticket.closed_at = ticket.revisit_due_at = None
    clock.clocks_restart(ticket=ticket, now=now, schedule=clock.schedule_of(ticket.organisation))
    ticket.save()
    _event(
        ticket=ticket,
        kind=Kind.REOPENED,
        actor=actor,
        summary=stored_text(gettext_noop("%(number)s reopened: %(reason)s"), number=ticket.number, reason=reason[:120]),
        body=reason,
        data={"count": ticket.reopen_count},
        at=now,
    )


@transaction.atomic
def ticket_reopen(*, actor: Membership, ticket: Ticket, reason: str) -> Ticket:
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.reopen", ticket.organisation)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketWrongState(number=ticket.number, status=ticket.get_status_display())
    if not reason.strip():
        raise InvalidInput(_("Say why the ticket is reopened."), field="reason")
    _reopen(actor=actor, ticket=ticket, reason=reason.strip(), now=timezone.now())
    return ticket


@transaction.atomic
def ticket_merge(*, actor: Membership, source: Ticket, target: Ticket) -> Ticket:
    """File a duplicate under the ticket that carries the work; the duplicate stops its clocks."""
    if source.pk == target.pk:
        raise InvalidInput(_("A ticket cannot be merged into itself."), field="target")
    first, second = sorted([source, target], key=lambda t: t.pk)
    locked = {t.pk: _locked(t) for t in (first, second)}
    source, target = locked[source.pk], locked[target.pk]
    ensure_can(actor, "tickets.merge", source.organisation)
    ensure_can(actor, "tickets.merge", target.organisation)
    _ensure_not_done(source)
    _ensure_not_done(target)
    now = timezone.now()
    source.status = Status.MERGED
    source.merged_into = target
    source.closed_at = now
    source.paused_at = None
    source.save()
    _event(
        ticket=source,
        kind=Kind.MERGED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(number)s merged into %(target)s"), number=source.number, target=target.number
        ),
        data={"into": target.pk, "into_number": target.number},
        at=now,
    )
    _event(
        ticket=target,
        kind=Kind.MERGED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(source)s merged into %(number)s"), source=source.number, number=target.number
        ),
        data={"from": source.pk, "from_number": source.number},
        at=now,
    )
    return target


@transaction.atomic
def ticket_split(
    *,
    actor: Membership,
    ticket: Ticket,
    title: str,
    description: str,
    kind: str | None = None,
    category: RequestCategory | None = None,
) -> Ticket:
    """Take one matter out of a ticket into its own, with the same customer, place and received time."""
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.merge", ticket.organisation)
    _ensure_not_done(ticket)
    child = ticket_create(
        actor=actor,
        customer=ticket.customer,
        kind=kind or ticket.kind,
        channel=ticket.channel,
        title=title,
        description=description,
        unit=ticket.unit,
        category=category,
        severity=ticket.severity,
        received_at=ticket.received_at,
    )
    # The customer spoke to the original first responder; that accountability carries over.
    # Split off a portal request nobody has taken on yet: whoever split it logged the new ticket.
    child.first_responder_id = ticket.first_responder_id or actor.pk
    child.split_from = ticket
    child.save(update_fields=["first_responder", "split_from", "updated_at"])
    _event(
        ticket=ticket,
        kind=Kind.SPLIT,
        actor=actor,
        summary=stored_text(gettext_noop("%(child)s split from %(number)s"), child=child.number, number=ticket.number),
        data={"child": child.pk, "child_number": child.number},
    )
    return child


ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def _attach(*, actor: Membership | None, ticket: Ticket, upload: UploadedFile) -> TicketAttachment:
    from PIL import Image, UnidentifiedImageError

    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    name = upload.name or "photo"
    if upload.size is None or upload.size > limit:
        raise InvalidAttachment(
            _("%(name)s is larger than %(limit)s MB.") % {"name": name, "limit": limit // (1024 * 1024)},
            field="attachments",
        )
    if ticket.attachments.count() >= settings.KEFU_ATTACHMENTS_PER_TICKET:
        raise InvalidAttachment(
            _("A ticket holds at most %(count)s photos.") % {"count": settings.KEFU_ATTACHMENTS_PER_TICKET},
            field="attachments",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            image_format, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidAttachment(
            _("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name}, field="attachments"
        ) from exc
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise InvalidAttachment(
            _("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name}, field="attachments"
        )
    upload.seek(0)
    extension = {"JPEG": "jpg"}.get(image_format, image_format.lower())
    upload.name = f"{uuid.uuid4().hex}.{extension}"
    attachment = TicketAttachment.objects.create(
        ticket=ticket,
        file=upload,
        original_name=name[:255],
        content_type=ALLOWED_IMAGE_FORMATS[image_format],
        size=upload.size,
        width=width,
        height=height,
        uploaded_by=actor.user if actor is not None else None,
    )
    _event(
        ticket=ticket,
        kind=Kind.ATTACHMENT,
        actor=actor,
        summary=stored_text(gettext_noop("Photo added to %(number)s"), number=ticket.number),
        data={"attachment": attachment.pk, "name": name[:100]},
    )
    return attachment


@transaction.atomic
def attachment_add(*, actor: Membership, ticket: Ticket, upload: UploadedFile) -> TicketAttachment:
    ticket = _locked(ticket)
    ensure_can(actor, "tickets.handle", ticket.organisation)
    _ensure_not_done(ticket)
    return _attach(actor=actor, ticket=ticket, upload=upload)


def presence_touch(*, actor: Membership, ticket: Ticket, is_replying: bool = False) -> None:
    """Say "I have this ticket open" (and whether I am typing); the page calls it every few seconds."""
    TicketPresence.objects.update_or_create(
        ticket=ticket, member=actor, defaults={"is_replying": is_replying, "seen_at": timezone.now()}
    )
