"""Reads for the daily complaint report 投诉日报, the supervisors' queue 督办 and the workbench cards.

Every selector here runs a fixed number of SQL statements whatever the number of tickets: figures
are conditional aggregates, the first reply of each ticket is a correlated subquery on the
(ticket, kind, created_at) index, and rows are filtered on indexed columns (the organisation subtree
with received_at, status with a due time, events by created_at) so that a city company with a
million tickets reads only the day it asks for.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.core.permissions import ensure_can
from kefu.core.scoping import visible
from kefu.core.zones import day_bounds, local_today, zone_of
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.selectors import unit_choices
from kefu.standards.models import RequestKind
from kefu.tickets.models import Ticket, TicketEvent

REPORT = "tickets.report"
SUPERVISE = "tickets.supervise"
NEAR_BREACH = timedelta(hours=2)
CHART_DAYS = 14
OPEN = Ticket.OPEN_STATUSES
Status = Ticket.Status


# --- shared pieces -----------------------------------------------------------------------------


def default_report_day(*, unit: OrgUnit, now: datetime | None = None) -> date:
    """Yesterday, in the unit's zone: the report is read in the morning about the day before."""
    return local_today(unit, now) - timedelta(days=1)


def breached_q(now: datetime) -> Q:
    """A promise broken: recorded by the scan or a service, or its due time passed while the clock ran."""
    running = Q(paused_at__isnull=True)
    return (
        Q(resolution_breached_at__isnull=False)
        | Q(first_response_breached_at__isnull=False)
        | (running & Q(resolution_due_at__lte=now))
        | (running & Q(first_responded_at__isnull=True, first_response_due_at__lte=now))
    )


def near_breach_q(now: datetime) -> Q:
    """Not yet broken, but due within NEAR_BREACH, or already warned by the scan."""
    soon = now + NEAR_BREACH
    return ~breached_q(now) & (
        Q(paused_at__isnull=True, resolution_due_at__gt=now, resolution_due_at__lte=soon)
        | Q(
            paused_at__isnull=True,
            first_responded_at__isnull=True,
            first_response_due_at__gt=now,
            first_response_due_at__lte=soon,
        )
        | Q(warned_at__isnull=False)
    )


def _first_response_due_open() -> Case:
    return Case(When(first_responded_at__isnull=True, then=F("first_response_due_at")), default=None)


def with_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`next_due`: the nearer of the unanswered first-response and the resolution due times.

    LEAST returns NULL on SQLite when either side is NULL (PostgreSQL ignores NULLs): each side
    falls back on the other, so both databases give the same answer."""
    first = _first_response_due_open()
    return tickets.annotate(
        next_due=Least(
            Coalesce(first, F("resolution_due_at")),
            Coalesce(F("resolution_due_at"), first),
            output_field=DateTimeField(),
        )
    )


def with_late_since(tickets: QuerySet[Ticket], now: datetime) -> QuerySet[Ticket]:
    """`late_since`: when the earliest broken promise fell due (None while none is broken)."""
    running = Q(paused_at__isnull=True)
    resolution = Case(
        When(resolution_breached_at__isnull=False, then=F("resolution_breached_at")),
        When(running & Q(resolution_due_at__lte=now), then=F("resolution_due_at")),
        default=None,
        output_field=DateTimeField(),
    )
    first = Case(
        When(first_response_breached_at__isnull=False, then=F("first_response_breached_at")),
        When(
            running & Q(first_responded_at__isnull=True, first_response_due_at__lte=now),
            then=F("first_response_due_at"),
        ),
        default=None,
        output_field=DateTimeField(),
    )
    return tickets.annotate(
        late_since=Least(Coalesce(resolution, first), Coalesce(first, resolution), output_field=DateTimeField())
    )


class SlaState:
    """How a ticket stands against its promise, for the report and the queue."""

    BREACHED = "breached"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    PAUSED = "paused"
    MET = "met"
    NONE = "none"
    LABELS = {
        BREACHED: _("Breached"),
        DUE_SOON: _("Due soon"),
        ON_TRACK: _("On track"),
        PAUSED: _("Clock paused"),
        MET: _("Kept"),
        NONE: _("No standard"),
    }


def sla_state(ticket: Ticket, now: datetime) -> str:
    if ticket.resolution_breached_at or ticket.first_response_breached_at:
        return SlaState.BREACHED
    if ticket.resolution_due_at is None and ticket.first_response_due_at is None:
        return SlaState.NONE
    if not ticket.is_open:
        return SlaState.MET
    if ticket.is_paused:
        return SlaState.PAUSED
    dues = [ticket.resolution_due_at]
    if ticket.first_responded_at is None:
        dues.append(ticket.first_response_due_at)
    nearest = min(due for due in dues if due is not None)
    if nearest <= now:
        return SlaState.BREACHED
    if nearest <= now + NEAR_BREACH or ticket.warned_at:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def duration_text(value: timedelta | None) -> str:
    """A duration as people say it: 2 天 3 小时, 45 分钟."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)s min") % {"minutes": minutes}


def report_units(*, viewer: Membership) -> QuerySet[OrgUnit]:
    """The units a report may be asked for: the viewer's own and every active unit below it."""
    return unit_choices(viewer=viewer)


def _subtree(viewer: Membership, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return visible(OrgUnit, viewer).filter(path__startswith=unit.path).values("pk")


def _in_unit(viewer: Membership, unit: OrgUnit) -> QuerySet[Ticket]:
    """The viewer's tickets owned by `unit` or below it; refuses a unit outside the viewer's scope."""
    ensure_can(viewer, REPORT, unit)
    return visible(Ticket, viewer).filter(organisation__in=_subtree(viewer, unit))


def _kind_q(kind: str) -> Q:
    return Q(kind=kind) if kind else Q(pk__isnull=False)


# --- the daily report --------------------------------------------------------------------------


@dataclass
class DailySummary:
    unit: OrgUnit
    day: date
    kind: str  # "" for every kind
    made_at: datetime
    received_by_kind: list[tuple[str, str, int]]  # (kind, label, count), every kind
    voices: int  # received, every kind
    received: int  # received, of `kind`
    replied: int
    resolved: int
    still_open: int
    breached_today: int
    open_breached: int
    average_first_response: timedelta | None
    longest_open: Ticket | None
    longest_open_age: timedelta | None = field(default=None)


def daily_summary(
    *, viewer: Membership, unit: OrgUnit, day: date, kind: str = RequestKind.COMPLAINT, now: datetime | None = None
) -> DailySummary:
    """The figures of the day in four queries: the day's aggregates, the day's breaches, the open
    backlog's (breached, oldest), the longest open ticket. Replied, resolved and open are as they
    stand now."""
    now = now or timezone.now()
    tickets = _in_unit(viewer, unit)
    start, end = day_bounds(unit, day)
    of_kind = _kind_q(kind)
    figures = tickets.filter(received_at__gte=start, received_at__lt=end).aggregate(
        **{f"kind_{value}": Count("pk", filter=Q(kind=value)) for value in RequestKind.values},
        voices=Count("pk"),
        received=Count("pk", filter=of_kind),
        replied=Count("pk", filter=of_kind & Q(first_responded_at__isnull=False)),
        resolved=Count("pk", filter=of_kind & Q(resolved_at__isnull=False)),
        still_open=Count("pk", filter=of_kind & Q(status__in=OPEN)),
        average_first_response=Avg(
            ExpressionWrapper(F("first_responded_at") - F("received_at"), output_field=DurationField()),
            filter=of_kind & Q(first_responded_at__isnull=False),
        ),
    )
    # Breaches are events written at the moment the promise broke; created_at is indexed.
    broke_today = TicketEvent.objects.filter(
        kind=TicketEvent.Kind.BREACHED, created_at__gte=start, created_at__lt=end
    ).values("ticket_id")
    breached_today = tickets.filter(of_kind, pk__in=broke_today).count()
    # One pass over the open backlog gives both the breached count and the oldest receipt; the
    # oldest ticket itself is then one indexed lookup (organisation, status, received_at).
    still_open = tickets.filter(of_kind, status__in=OPEN)
    backlog = still_open.aggregate(breached=Count("pk", filter=breached_q(now)), oldest=Min("received_at"))
    longest = None
    if backlog["oldest"] is not None:
        longest = (
            still_open.filter(received_at=backlog["oldest"])
            .select_related("assignee", "first_responder", "customer", "organisation")
            .order_by("id")
            .first()
        )
    average = figures["average_first_response"]
    if average is not None and not isinstance(average, timedelta):
        # SQLite hands back the average of a duration as microseconds.
        average = timedelta(microseconds=float(average))
    return DailySummary(
        unit=unit,
        day=day,
        kind=kind,
        made_at=now,
        received_by_kind=[(value, str(label), figures[f"kind_{value}"]) for value, label in RequestKind.choices],
        voices=figures["voices"],
        received=figures["received"],
        replied=figures["replied"],
        resolved=figures["resolved"],
        still_open=figures["still_open"],
        breached_today=breached_today,
        open_breached=backlog["breached"],
        average_first_response=average,
        longest_open=longest,
        longest_open_age=now - longest.received_at if longest else None,
    )


def daily_rows(*, viewer: Membership, unit: OrgUnit, day: date, kind: str = RequestKind.COMPLAINT) -> QuerySet[Ticket]:
    """The day's tickets in the order received, each with `first_reply_body` and `first_reply_at`."""
    start, end = day_bounds(unit, day)
    first_reply = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.REPLY).order_by(
        "created_at", "id"
    )
    return (
        _in_unit(viewer, unit)
        .filter(_kind_q(kind), received_at__gte=start, received_at__lt=end)
        .select_related("customer", "unit", "project", "organisation", "assignee", "first_responder", "category")
        .annotate(
            first_reply_body=Subquery(first_reply.values("body")[:1]),
            first_reply_at=Subquery(first_reply.values("created_at")[:1]),
        )
        .order_by("received_at", "id")
    )


@dataclass
class DailySeries:
    days: list[date]
    received: list[int]
    resolved: list[int]


def daily_series(
    *, viewer: Membership, unit: OrgUnit, day: date, kind: str = RequestKind.COMPLAINT, days: int = CHART_DAYS
) -> DailySeries:
    """Received and resolved per day over the `days` days ending on `day`: two grouped queries."""
    zone = zone_of(unit)
    first_day = day - timedelta(days=days - 1)
    start, _first_end = day_bounds(unit, first_day)
    _last_start, end = day_bounds(unit, day)
    tickets = _in_unit(viewer, unit).filter(_kind_q(kind))
    received = dict(
        tickets.filter(received_at__gte=start, received_at__lt=end)
        .annotate(on=TruncDate("received_at", tzinfo=zone))
        .order_by()
        .values("on")
        .annotate(n=Count("pk"))
        .values_list("on", "n")
    )
    # Resolutions are counted from their events, found by created_at (indexed) and joined to
    # their ticket to check its unit; a ticket resolved, reopened and resolved again counts twice.
    # (ticket__in=<the scoped tickets> would walk every ticket of the unit instead.)
    resolved_events = TicketEvent.objects.filter(
        kind=TicketEvent.Kind.RESOLVED,
        created_at__gte=start,
        created_at__lt=end,
        ticket__organisation__in=_subtree(viewer, unit),
    )
    if kind:
        resolved_events = resolved_events.filter(ticket__kind=kind)
    resolved = dict(
        resolved_events.annotate(on=TruncDate("created_at", tzinfo=zone))
        .order_by()
        .values("on")
        .annotate(n=Count("pk"))
        .values_list("on", "n")
    )
    axis = [first_day + timedelta(days=offset) for offset in range(days)]
    return DailySeries(
        days=axis,
        received=[received.get(d, 0) for d in axis],
        resolved=[resolved.get(d, 0) for d in axis],
    )


# --- the supervisors' queue --------------------------------------------------------------------


class Section:
    BREACHED = "breached"
    NEAR = "near"
    ESCALATED = "escalated"
    UNASSIGNED = "unassigned"
    REVISITS = "revisits"
    ALL = (BREACHED, NEAR, ESCALATED, UNASSIGNED, REVISITS)
    LABELS = {
        BREACHED: _("Breached"),
        NEAR: _("Near breach"),
        ESCALATED: _("Escalated to me"),
        UNASSIGNED: _("Unassigned"),
        REVISITS: _("Revisits due"),
    }


def _escalated_to(member: Membership) -> Exists:
    # data["to"] is a JSON list of membership ids. JSON containment is PostgreSQL-only in Django,
    # so the list's text is matched with the id between non-digits, which both databases run.
    return Exists(
        TicketEvent.objects.filter(
            ticket=OuterRef("pk"),
            kind=TicketEvent.Kind.ESCALATED,
            data__to__regex=rf"(^|[^0-9]){member.pk}([^0-9]|$)",
        )
    )


def _end_of_today(viewer: Membership, now: datetime) -> datetime:
    return day_bounds(viewer.unit, timezone.localdate(now, zone_of(viewer.unit)))[1]


def _section_q(section: str, viewer: Membership, now: datetime) -> Q:
    if section == Section.BREACHED:
        return Q(status__in=OPEN) & breached_q(now)
    if section == Section.NEAR:
        return Q(status__in=OPEN) & near_breach_q(now)
    if section == Section.ESCALATED:
        return Q(status__in=OPEN) & Q(_escalated_to(viewer))
    if section == Section.UNASSIGNED:
        return Q(status__in=OPEN, assignee__isnull=True)
    if section == Section.REVISITS:
        # Due today or overdue: the day's revisit calls, and the ones already late.
        return Q(status=Status.RESOLVED, revisit_due_at__lt=_end_of_today(viewer, now))
    raise ValueError(section)


def _queue_base(viewer: Membership) -> QuerySet[Ticket]:
    ensure_can(viewer, SUPERVISE)
    return visible(Ticket, viewer).filter(status__in=[*OPEN, Status.RESOLVED])


def queue_counts(*, viewer: Membership, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each section of the queue holds: one query."""
    now = now or timezone.now()
    return _queue_base(viewer).aggregate(
        **{section: Count("pk", filter=_section_q(section, viewer, now)) for section in Section.ALL}
    )


def queue_tickets(*, viewer: Membership, section: str, now: datetime | None = None) -> QuerySet[Ticket]:
    """One section's tickets, the most urgent first, with `next_due` and `late_since`."""
    now = now or timezone.now()
    # Related rows are prefetched for the page rather than joined: joined, SQLite starts from the
    # staff or customer table and walks every ticket of each before it can sort.
    tickets = with_late_since(
        with_due(_queue_base(viewer).filter(_section_q(section, viewer, now))), now
    ).prefetch_related("customer", "unit", "organisation", "assignee", "first_responder", "team")
    if section == Section.BREACHED:
        return tickets.order_by(F("late_since").asc(nulls_last=True), "id")
    if section == Section.UNASSIGNED:
        return tickets.order_by("received_at", "id")
    if section == Section.REVISITS:
        return tickets.order_by("revisit_due_at", "id")
    return tickets.order_by(F("next_due").asc(nulls_last=True), "id")


# --- workbench cards ---------------------------------------------------------------------------


def _mine(viewer: Membership) -> QuerySet[Ticket]:
    return visible(Ticket, viewer).filter(Q(assignee=viewer) | Q(first_responder=viewer), status__in=OPEN)


def my_open_tickets(*, viewer: Membership, limit: int = 8, now: datetime | None = None) -> list[Ticket]:
    """The viewer's open tickets, as handler or first responder, the nearest due first; each with
    `next_due` and its `sla` state."""
    now = now or timezone.now()
    tickets = with_due(_mine(viewer)).prefetch_related("customer", "assignee", "first_responder")
    found = list(tickets.order_by(F("next_due").asc(nulls_last=True), "received_at", "id")[:limit])
    for ticket in found:
        ticket.sla = sla_state(ticket, now)  # type: ignore[attr-defined]
        ticket.sla_label = SlaState.LABELS[ticket.sla]  # type: ignore[attr-defined]
    return found


def my_ticket_counts(*, viewer: Membership, now: datetime | None = None) -> dict[str, int]:
    """Open, due soon and breached among the viewer's own tickets: one query."""
    now = now or timezone.now()
    return _mine(viewer).aggregate(
        open=Count("pk"),
        due_soon=Count("pk", filter=near_breach_q(now)),
        breached=Count("pk", filter=breached_q(now)),
    )
