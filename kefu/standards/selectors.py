"""Read queries of the service standards."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from kefu.core.scoping import ancestor_ids, ancestor_paths, nearest, visible
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, SlaPolicy
from kefu.standards.sla import PolicyMatch, due_at, explain, rank, schedule_for


def calendar_list(*, viewer: Membership, holidays_in: int | None = None) -> QuerySet[BusinessCalendar]:
    """Calendars of the viewer's subtree and of the units above, which the viewer's unit may inherit.

    `holidays_in` annotates `holiday_count`, the calendar's public holidays in that year.
    """
    calendars = (
        BusinessCalendar.objects.filter(
            Q(organisation_id__in=ancestor_ids(viewer.unit)) | Q(organisation__in=visible(OrgUnit, viewer))
        )
        .select_related("organisation")
        .prefetch_related("periods")
        .order_by("organisation__path")
    )
    if holidays_in is not None:
        in_year = Q(days__kind=CalendarDay.Kind.HOLIDAY, days__date__year=holidays_in)
        calendars = calendars.annotate(holiday_count=Count("days", filter=in_year))
    return calendars


def calendar_get(*, viewer: Membership, calendar_id: int) -> BusinessCalendar:
    from kefu.core.scoping import one_or_404

    return one_or_404(calendar_list(viewer=viewer), pk=calendar_id)


def calendar_days(*, calendar: BusinessCalendar, year: int | None = None) -> QuerySet[CalendarDay]:
    days = calendar.days.all()
    return days.filter(date__year=year) if year else days


def calendar_for(unit: OrgUnit) -> BusinessCalendar | None:
    """The calendar of `unit` or of its nearest ancestor; units inherit down the tree."""
    return nearest(BusinessCalendar.objects.prefetch_related("periods", "days"), unit)


def category_list(
    *, viewer: Membership, kind: str = "", active_only: bool = False, also_id: int | None = None
) -> QuerySet[RequestCategory]:
    """Categories the viewer may use: their own subtree's and their ancestors' (a group's shared list).

    `also_id` keeps one more category even if inactive: the one a policy names today.
    """
    categories = RequestCategory.objects.filter(
        Q(organisation_id__in=ancestor_ids(viewer.unit)) | Q(organisation__in=visible(OrgUnit, viewer))
    ).select_related("organisation")
    if kind:
        categories = categories.filter(kind=kind)
    if active_only:
        categories = (
            categories.filter(Q(is_active=True) | Q(pk=also_id)) if also_id else categories.filter(is_active=True)
        )
    return categories


def categories_for_unit(unit: OrgUnit) -> QuerySet[RequestCategory]:
    """Categories a ticket of `unit` may carry: those of the unit and its ancestors."""
    return RequestCategory.objects.filter(organisation_id__in=ancestor_ids(unit), is_active=True)


def policy_list(
    *,
    viewer: Membership,
    kind: str = "",
    grade: str = "",
    severity: str = "",
    category_id: int | None = None,
    is_active: bool | None = None,
) -> QuerySet[SlaPolicy]:
    """Policies that apply to the viewer's unit (inherited) and those defined below it.

    The filters keep policies that name that value exactly; a catch-all ("any") is not kept.
    """
    policies = (
        SlaPolicy.objects.filter(
            Q(organisation_id__in=ancestor_ids(viewer.unit)) | Q(organisation__in=visible(OrgUnit, viewer))
        )
        .select_related("organisation", "category")
        .order_by("organisation__path", "name")
    )
    if kind:
        policies = policies.filter(kind=kind)
    if grade:
        policies = policies.filter(grade=grade)
    if severity:
        policies = policies.filter(severity=severity)
    if category_id:
        policies = policies.filter(category_id=category_id)
    if is_active is not None:
        policies = policies.filter(is_active=is_active)
    return policies


def policy_get(*, viewer: Membership, policy_id: int) -> SlaPolicy:
    from kefu.core.scoping import one_or_404

    return one_or_404(policy_list(viewer=viewer), pk=policy_id)


def policy_match(
    *, organisation: OrgUnit, grade: str, kind: str, category: RequestCategory | None, severity: str
) -> PolicyMatch:
    """The most specific active policy for a request of `organisation`, and why it was chosen."""
    candidates = list(
        SlaPolicy.objects.filter(
            organisation_id__in=ancestor_ids(organisation),
            is_active=True,
        )
        .filter(Q(grade="") | Q(grade=grade))
        .filter(Q(kind="") | Q(kind=kind))
        .filter(Q(category__isnull=True) | Q(category=category))
        .filter(Q(severity="") | Q(severity=severity))
        .select_related("organisation", "category")
    )
    ranked = rank(candidates)
    return explain(
        policy=ranked[0] if ranked else None,
        candidates=len(ranked),
        grade=grade,
        kind=kind,
        category_name=category.name if category else "",
        severity=severity,
    )


def calendar_inheritors(*, viewer: Membership, calendars: list[BusinessCalendar]) -> dict[int, list[OrgUnit]]:
    """For each calendar, the units in the viewer's scope without their own calendar that use it."""
    by_path = {calendar.organisation.path: calendar for calendar in calendars}
    users: dict[int, list[OrgUnit]] = {calendar.pk: [] for calendar in calendars}
    for unit in visible(OrgUnit, viewer).filter(is_active=True).order_by("path"):
        if unit.path in by_path:
            continue
        nearest = next((by_path[p] for p in reversed(ancestor_paths(unit.path)) if p in by_path), None)
        if nearest is not None:
            users[nearest.pk].append(unit)
    return users


def calendar_due_at(*, calendar: BusinessCalendar, start: datetime, duration: timedelta, basis: str) -> datetime:
    """When `duration` runs out after `start` on this calendar: what a ticket's clock would say."""
    return due_at(schedule=schedule_for(calendar), basis=basis, start=start, duration=duration)


def category_get(*, viewer: Membership, category_id: int) -> RequestCategory:
    from kefu.core.scoping import one_or_404

    return one_or_404(category_list(viewer=viewer), pk=category_id)


@dataclass(frozen=True)
class MatchPreview:
    """The policy a request would get, and its due times if it were logged at `logged_at`."""

    match: PolicyMatch
    calendar: BusinessCalendar | None
    logged_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


def policy_match_preview(
    *,
    viewer: Membership,
    unit: OrgUnit,
    grade: str,
    kind: str,
    category: RequestCategory | None,
    severity: str,
    logged_at: datetime,
) -> MatchPreview:
    """What policy_match chooses for a request of `unit` (already scoped by the caller) and when it falls due."""
    match = policy_match(organisation=unit, grade=grade, kind=kind, category=category, severity=severity)
    calendar = calendar_for(unit)
    policy = match.policy
    if policy is None:
        return MatchPreview(match, calendar, logged_at, None, None)
    schedule = schedule_for(calendar)
    return MatchPreview(
        match=match,
        calendar=calendar,
        logged_at=logged_at,
        first_response_due_at=due_at(
            schedule=schedule, basis=policy.time_basis, start=logged_at, duration=policy.first_response_time
        ),
        resolution_due_at=due_at(
            schedule=schedule, basis=policy.time_basis, start=logged_at, duration=policy.resolution_time
        ),
    )
