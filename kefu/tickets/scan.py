"""The SLA scan: warn before the due time, record breaches, escalate to the supervisor and then to the head.

Safe to run on many workers at once and twice in a row. Each step claims a batch of tickets with
`SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers anyway), changes only the
rows it claimed and whose condition still holds, and writes one event per ticket under a unique
scan key. A ticket closed while the scan runs is either locked by its closer (skipped) or no longer
open when it is claimed.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from kefu.core.scoping import ancestor_ids
from kefu.core.texts import stored_text
from kefu.customers.services import timeline_record_many
from kefu.orgs.models import Membership
from kefu.tickets import clock, messages, routing
from kefu.tickets.models import Team, Ticket, TicketEvent
from kefu.tickets.services import TIMELINE_PREFIX

logger = logging.getLogger(__name__)

Kind = TicketEvent.Kind
BATCH = 500


@dataclass
class ScanResult:
    warned: int = 0
    first_response_breached: int = 0
    resolution_breached: int = 0
    escalated_to_supervisor: int = 0
    escalated_to_head: int = 0
    assigned_from_queue: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _open() -> QuerySet[Ticket]:
    """Open tickets whose clocks run, in the terms of the scan's partial indexes (see Ticket.Meta)."""
    return Ticket.objects.filter(resolved_at__isnull=True, closed_at__isnull=True, paused_at__isnull=True)


def _claim(candidates: QuerySet[Ticket], order: str, batch: int) -> list[int]:
    # Ordered by the column of the step's partial index, so the claim reads the index in order
    # and stops after `batch` rows instead of sorting every candidate.
    locked = candidates.select_for_update(skip_locked=True, of=("self",))
    return list(locked.order_by(order, "pk").values_list("pk", flat=True)[:batch])


def _run_step(
    *,
    candidates: Callable[[], QuerySet[Ticket]],
    order: str,
    apply: Callable[[list[int], datetime], int],
    now: datetime,
    batch: int,
) -> int:
    done = 0
    while True:
        with transaction.atomic():
            ids = _claim(candidates(), order, batch)
            if not ids:
                return done
            done += apply(ids, now)
        if len(ids) < batch:
            return done


def _load(ids: list[int]) -> list[Ticket]:
    return list(
        Ticket.objects.filter(pk__in=ids).select_related(
            "customer", "organisation", "assignee__user", "first_responder__user", "unit"
        )
    )


def _record(events: list[TicketEvent], timeline: list[dict[str, Any]]) -> None:
    """History rows (unique per ticket and scan key) and the customers' timeline, in bulk."""
    TicketEvent.objects.bulk_create(events, batch_size=BATCH, ignore_conflicts=True)
    timeline_record_many(timeline)


def _timeline(ticket: Ticket, *, kind: str, summary: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": ticket.customer,
        "kind": TIMELINE_PREFIX + kind,
        "summary": summary,
        "target": ticket,
        "data": {"ticket": ticket.number, **data},
        "occurred_at": at,
    }


def supervisors_for(ticket: Ticket) -> list[Membership]:
    """The supervisors of the ticket's unit, or of the nearest unit above it that has any."""
    members = list(
        Membership.objects.filter(
            unit_id__in=ancestor_ids(ticket.organisation),
            role_grants__role="supervisor",
            user__is_active=True,
        )
        .select_related("unit")
        .distinct()
    )
    if not members:
        return []
    deepest = max(m.unit.depth for m in members)
    return [m for m in members if m.unit.depth == deepest]


def head_for(ticket: Ticket) -> Membership | None:
    from kefu.orgs.models import OrgUnit

    unit = (
        OrgUnit.objects.filter(pk__in=ancestor_ids(ticket.organisation), head__isnull=False)
        .select_related("head")
        .order_by("-depth")
        .first()
    )
    return unit.head if unit else None


def _recipients(tickets: list[Ticket], *, level: int) -> dict[int, list[Membership]]:
    # A batch holds many tickets of few units: look each unit's people up once.
    by_unit: dict[int, list[Membership]] = {}
    for ticket in tickets:
        if ticket.organisation_id not in by_unit:
            head = head_for(ticket) if level == 2 else None
            by_unit[ticket.organisation_id] = [head] if head else supervisors_for(ticket)
    return {t.pk: by_unit[t.organisation_id] for t in tickets}


def _escalation_event(ticket: Ticket, *, level: int, to: list[Membership], now: datetime) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=Kind.ESCALATED,
        data={"level": level, "to": [m.pk for m in to], "to_names": [m.name for m in to]},
        created_at=now,
        scan_key=f"escalated:{level}:{ticket.reopen_count}",
    )


def _warn(ids: list[int], now: datetime) -> int:
    tickets = _load(ids)
    Ticket.objects.filter(pk__in=ids).update(warned_at=now)
    events, timeline = [], []
    for t in tickets:
        data = {"due_at": t.resolution_due_at.isoformat() if t.resolution_due_at else None}
        data["to"] = t.assignee_id or t.first_responder_id
        events.append(
            TicketEvent(ticket=t, kind=Kind.WARNED, data=data, created_at=now, scan_key=f"warned:{t.reopen_count}")
        )
        summary = stored_text(gettext_noop("%(number)s is due soon"), number=t.number)
        timeline.append(_timeline(t, kind=Kind.WARNED, summary=summary, at=now, data=data))
    _record(events, timeline)
    for t in tickets:
        # A portal request nobody has taken on yet warns the unit's supervisors instead.
        person = t.assignee or t.first_responder
        messages.warned(ticket=t, scan_key=f"warned:{t.reopen_count}", to=[person] if person else supervisors_for(t))
    return len(tickets)


def _breach(which: str, result: ScanResult) -> Callable[[list[int], datetime], int]:
    due_field = f"{which}_due_at"
    breached_field = f"{which}_breached_at"

    def apply(ids: list[int], now: datetime) -> int:
        tickets = _load(ids)
        # The breach happened at the due time, not when the scan noticed it.
        Ticket.objects.filter(pk__in=ids).update(**{breached_field: F(due_field)})
        escalating = [t for t in tickets if t.escalation_level == 0]
        Ticket.objects.filter(pk__in=[t.pk for t in escalating]).update(escalation_level=1, escalated_at=now)
        recipients = _recipients(escalating, level=1)
        label = (
            stored_text(gettext_noop("first response"))
            if which == "first_response"
            else stored_text(gettext_noop("resolution"))
        )
        events, timeline = [], []
        for t in tickets:
            due = getattr(t, due_field)
            data: dict[str, Any] = {"which": which, "due_at": due.isoformat()}
            events.append(
                TicketEvent(
                    ticket=t,
                    kind=Kind.BREACHED,
                    data=data,
                    created_at=due,
                    scan_key=f"breached:{which}:{t.reopen_count}",
                )
            )
            summary = stored_text(gettext_noop("%(number)s missed its %(which)s promise"), number=t.number, which=label)
            if t.pk in recipients:
                to = recipients[t.pk]
                events.append(_escalation_event(t, level=1, to=to, now=now))
                names = "、".join(m.name for m in to) or stored_text(gettext_noop("the supervisor"))
                summary = stored_text(
                    gettext_noop("%(number)s missed its %(which)s promise; escalated to %(names)s"),
                    number=t.number,
                    which=label,
                    names=names,
                )
                data = {**data, "escalated_to": [m.pk for m in to]}
            timeline.append(_timeline(t, kind=Kind.BREACHED, summary=summary, at=due, data=data))
        _record(events, timeline)
        for t in escalating:
            messages.escalated(
                ticket=t,
                scan_key=f"escalated:1:{t.reopen_count}",
                level=1,
                which=which,
                due=getattr(t, due_field),
                to=recipients[t.pk],
            )
        result.escalated_to_supervisor += len(escalating)
        return len(tickets)

    return apply


def _to_head(ids: list[int], now: datetime) -> int:
    tickets = _load(ids)
    Ticket.objects.filter(pk__in=ids).update(escalation_level=2, escalated_at=now)
    recipients = _recipients(tickets, level=2)
    events, timeline = [], []
    for t in tickets:
        to = recipients[t.pk]
        events.append(_escalation_event(t, level=2, to=to, now=now))
        summary = stored_text(
            gettext_noop("%(number)s escalated to the unit head: %(names)s"),
            number=t.number,
            names="、".join(m.name for m in to) or "—",
        )
        timeline.append(_timeline(t, kind=Kind.ESCALATED, summary=summary, at=now, data={"level": 2}))
    _record(events, timeline)
    for t in tickets:
        messages.escalated(
            ticket=t,
            scan_key=f"escalated:2:{t.reopen_count}",
            level=2,
            which="resolution" if t.resolution_breached_at else "first_response",
            due=t.resolution_due_at if t.resolution_breached_at else t.first_response_due_at,
            to=recipients[t.pk],
        )
    return len(tickets)


def sla_scan(*, now: datetime | None = None, batch: int = BATCH) -> ScanResult:
    """One pass over the open tickets whose time has come. Returns what it did."""
    now = now or timezone.now()
    result = ScanResult()
    result.warned = _run_step(
        candidates=lambda: _open().filter(
            warned_at__isnull=True, resolution_warn_at__lte=now, resolution_due_at__gt=now
        ),
        order="resolution_warn_at",
        apply=_warn,
        now=now,
        batch=batch,
    )
    result.first_response_breached = _run_step(
        candidates=lambda: _open().filter(
            first_responded_at__isnull=True, first_response_breached_at__isnull=True, first_response_due_at__lte=now
        ),
        order="first_response_due_at",
        apply=_breach("first_response", result),
        now=now,
        batch=batch,
    )
    result.resolution_breached = _run_step(
        candidates=lambda: _open().filter(resolution_breached_at__isnull=True, resolution_due_at__lte=now),
        order="resolution_due_at",
        apply=_breach("resolution", result),
        now=now,
        batch=batch,
    )
    result.escalated_to_head = _run_step(
        candidates=lambda: _open().filter(
            escalation_level=1, head_escalation_due_at__lte=now, resolution_breached_at__isnull=False
        ),
        order="head_escalation_due_at",
        apply=_to_head,
        now=now,
        batch=batch,
    )
    result.assigned_from_queue = queued_assign(now=now)
    logger.info("sla scan done", extra={"result": result.as_dict()})
    return result


def queued_assign(*, now: datetime | None = None) -> int:
    """Hand out tickets that wait in a team's queue, once their unit's working hours have begun."""
    from kefu.tickets.services import _assign

    now = now or timezone.now()
    assigned = 0
    waiting = list(
        Ticket.objects.filter(
            resolved_at__isnull=True, closed_at__isnull=True, team__isnull=False, assignee__isnull=True
        )
        .order_by("received_at")
        .values_list("pk", "team_id")[:BATCH]
    )
    for ticket_id, team_id in waiting:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("organisation", "customer")
                .filter(pk=ticket_id, assignee__isnull=True, status__in=Ticket.OPEN_STATUSES)
                .first()
            )
            if ticket is None:
                continue
            team = Team.objects.select_for_update().get(pk=team_id)
            schedule = clock.schedule_of(ticket.organisation)
            member = routing.pick_member(team=team, organisation=ticket.organisation, now=now, schedule=schedule)
            if member is None:
                continue
            _assign(
                actor=None,
                ticket=ticket,
                assignee=member,
                team=team,
                reason=stored_text(gettext_noop("Handed out from the team queue")),
                kind=Kind.ASSIGNED,
                now=now,
                schedule=schedule,
            )
            team.last_assignee = member
            team.save(update_fields=["last_assignee", "updated_at"])
            assigned += 1
    return assigned
