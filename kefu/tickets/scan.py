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

from kefu.customers.services import timeline_record_many
from kefu.orgs.models import Membership
from kefu.standards.sla import ancestor_paths
from kefu.tickets import clock, routing
from kefu.tickets.models import Team, Ticket, TicketEvent
from kefu.tickets.services import TIMELINE_PREFIX, stored_text

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
    return Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, paused_at__isnull=True)


def _claim(candidates: QuerySet[Ticket], batch: int) -> list[int]:
    return list(
        candidates.select_for_update(skip_locked=True, of=("self",)).order_by("pk").values_list("pk", flat=True)[:batch]
    )


def _run_step(
    *,
    candidates: Callable[[], QuerySet[Ticket]],
    apply: Callable[[list[int], datetime], int],
    now: datetime,
    batch: int,
) -> int:
    done = 0
    while True:
        with transaction.atomic():
            ids = _claim(candidates(), batch)
            if not ids:
                return done
            done += apply(ids, now)
        if len(ids) < batch:
            return done


def _write_events(
    ids: list[int],
    *,
    kind: str,
    scan_key: Callable[[Ticket], str],
    at: Callable[[Ticket], datetime],
    summary: Callable[[Ticket], str],
    data: Callable[[Ticket], dict[str, Any]],
) -> int:
    tickets = list(Ticket.objects.filter(pk__in=ids).select_related("customer"))
    events = [TicketEvent(ticket=t, kind=kind, data=data(t), created_at=at(t), scan_key=scan_key(t)) for t in tickets]
    TicketEvent.objects.bulk_create(events, batch_size=BATCH, ignore_conflicts=True)
    timeline_record_many(
        {
            "customer": t.customer,
            "kind": TIMELINE_PREFIX + kind,
            "summary": summary(t),
            "target": t,
            "data": {"ticket": t.number, **data(t)},
            "occurred_at": at(t),
        }
        for t in tickets
    )
    return len(tickets)


def supervisors_for(ticket: Ticket) -> list[Membership]:
    """The supervisors of the ticket's unit, or of the nearest unit above it that has any."""
    members = list(
        Membership.objects.filter(
            unit__path__in=ancestor_paths(ticket.organisation.path),
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
        OrgUnit.objects.filter(path__in=ancestor_paths(ticket.organisation.path), head__isnull=False)
        .select_related("head")
        .order_by("-depth")
        .first()
    )
    return unit.head if unit else None


def _warn(ids: list[int], now: datetime) -> int:
    Ticket.objects.filter(pk__in=ids).update(warned_at=now)
    return _write_events(
        ids,
        kind=Kind.WARNED,
        scan_key=lambda t: f"warned:{t.reopen_count}",
        at=lambda t: now,
        summary=lambda t: stored_text("%(number)s is due soon", number=t.number),
        data=lambda t: {
            "due_at": t.resolution_due_at.isoformat() if t.resolution_due_at else None,
            "to": t.assignee_id or t.first_responder_id,
        },
    )


def _breach(which: str, result: ScanResult) -> Callable[[list[int], datetime], int]:
    due_field = f"{which}_due_at"
    breached_field = f"{which}_breached_at"

    def apply(ids: list[int], now: datetime) -> int:
        # The breach happened at the due time, not when the scan noticed it.
        Ticket.objects.filter(pk__in=ids).update(**{breached_field: F(due_field)})
        escalating = list(
            Ticket.objects.filter(pk__in=ids, escalation_level=0)
            .select_related("organisation")
            .only("pk", "organisation")
        )
        Ticket.objects.filter(pk__in=[t.pk for t in escalating]).update(escalation_level=1, escalated_at=now)
        label = stored_text("first response") if which == "first_response" else stored_text("resolution")
        count = _write_events(
            ids,
            kind=Kind.BREACHED,
            scan_key=lambda t: f"breached:{which}:{t.reopen_count}",
            at=lambda t: getattr(t, due_field),
            summary=lambda t: stored_text("%(number)s missed its %(which)s promise", number=t.number, which=label),
            data=lambda t: {"which": which, "due_at": getattr(t, due_field).isoformat()},
        )
        _escalate_events(escalating, level=1, now=now)
        result.escalated_to_supervisor += len(escalating)
        return count

    return apply


def _escalate_events(tickets: list[Ticket], *, level: int, now: datetime) -> None:
    recipients: dict[int, list[Membership]] = {}
    for ticket in tickets:
        if level == 1:
            recipients[ticket.pk] = supervisors_for(ticket)
        else:
            head = head_for(ticket)
            recipients[ticket.pk] = [head] if head else supervisors_for(ticket)
    _write_events(
        [t.pk for t in tickets],
        kind=Kind.ESCALATED,
        scan_key=lambda t: f"escalated:{level}:{t.reopen_count}",
        at=lambda t: now,
        summary=lambda t: (
            stored_text("%(number)s escalated to the supervisor", number=t.number)
            if level == 1
            else stored_text("%(number)s escalated to the unit head", number=t.number)
        ),
        data=lambda t: {
            "level": level,
            "to": [m.pk for m in recipients.get(t.pk, [])],
            "to_names": [m.name for m in recipients.get(t.pk, [])],
        },
    )


def _to_head(ids: list[int], now: datetime) -> int:
    Ticket.objects.filter(pk__in=ids).update(escalation_level=2, escalated_at=now)
    tickets = list(Ticket.objects.filter(pk__in=ids).select_related("organisation"))
    _escalate_events(tickets, level=2, now=now)
    return len(tickets)


def sla_scan(*, now: datetime | None = None, batch: int = BATCH) -> ScanResult:
    """One pass over the open tickets whose time has come. Returns what it did."""
    now = now or timezone.now()
    result = ScanResult()
    result.warned = _run_step(
        candidates=lambda: _open().filter(
            warned_at__isnull=True, resolution_warn_at__lte=now, resolution_due_at__gt=now
        ),
        apply=_warn,
        now=now,
        batch=batch,
    )
    result.first_response_breached = _run_step(
        candidates=lambda: _open().filter(
            first_responded_at__isnull=True, first_response_breached_at__isnull=True, first_response_due_at__lte=now
        ),
        apply=_breach("first_response", result),
        now=now,
        batch=batch,
    )
    result.resolution_breached = _run_step(
        candidates=lambda: _open().filter(resolution_breached_at__isnull=True, resolution_due_at__lte=now),
        apply=_breach("resolution", result),
        now=now,
        batch=batch,
    )
    result.escalated_to_head = _run_step(
        candidates=lambda: _open().filter(
            escalation_level=1, head_escalation_due_at__lte=now, resolution_breached_at__isnull=False
        ),
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
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, team__isnull=False, assignee__isnull=True)
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
                reason=stored_text("Handed out from the team queue"),
                kind=Kind.ASSIGNED,
                now=now,
                schedule=schedule,
            )
            team.last_assignee = member
            team.save(update_fields=["last_assignee", "updated_at"])
            assigned += 1
    return assigned
