"""Read queries of the service standards."""

from django.db.models import Q, QuerySet

from kefu.core.scoping import visible
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, SlaPolicy
from kefu.standards.sla import PolicyMatch, ancestor_paths, explain, rank


def calendar_list(*, viewer: Membership) -> QuerySet[BusinessCalendar]:
    return visible(BusinessCalendar, viewer).select_related("organisation").order_by("organisation__path")


def calendar_get(*, viewer: Membership, calendar_id: int) -> BusinessCalendar:
    from kefu.core.scoping import one_or_404

    return one_or_404(calendar_list(viewer=viewer).prefetch_related("periods"), pk=calendar_id)


def calendar_days(*, calendar: BusinessCalendar, year: int | None = None) -> QuerySet[CalendarDay]:
    days = calendar.days.all()
    return days.filter(date__year=year) if year else days


def calendar_for(unit: OrgUnit) -> BusinessCalendar | None:
    """The calendar of `unit` or of its nearest ancestor; units inherit down the tree."""
    return (
        BusinessCalendar.objects.filter(organisation__path__in=ancestor_paths(unit.path))
        .prefetch_related("periods", "days")
        .order_by("-organisation__depth")
        .first()
    )


def category_list(*, viewer: Membership, kind: str = "", active_only: bool = False) -> QuerySet[RequestCategory]:
    """Categories the viewer may use: their own subtree's and their ancestors' (a group's shared list)."""
    categories = RequestCategory.objects.filter(
        Q(organisation__path__in=ancestor_paths(viewer.unit.path)) | Q(organisation__in=visible(OrgUnit, viewer))
    ).select_related("organisation")
    if kind:
        categories = categories.filter(kind=kind)
    if active_only:
        categories = categories.filter(is_active=True)
    return categories


def categories_for_unit(unit: OrgUnit) -> QuerySet[RequestCategory]:
    """Categories a ticket of `unit` may carry: those of the unit and its ancestors."""
    return RequestCategory.objects.filter(organisation__path__in=ancestor_paths(unit.path), is_active=True)


def policy_list(*, viewer: Membership) -> QuerySet[SlaPolicy]:
    """Policies that apply to the viewer's unit (inherited) and those defined below it."""
    return (
        SlaPolicy.objects.filter(
            Q(organisation__path__in=ancestor_paths(viewer.unit.path)) | Q(organisation__in=visible(OrgUnit, viewer))
        )
        .select_related("organisation", "category")
        .order_by("organisation__path", "name")
    )


def policy_get(*, viewer: Membership, policy_id: int) -> SlaPolicy:
    from kefu.core.scoping import one_or_404

    return one_or_404(policy_list(viewer=viewer), pk=policy_id)


def policy_match(
    *, organisation: OrgUnit, grade: str, kind: str, category: RequestCategory | None, severity: str
) -> PolicyMatch:
    """The most specific active policy for a request of `organisation`, and why it was chosen."""
    candidates = list(
        SlaPolicy.objects.filter(
            organisation__path__in=ancestor_paths(organisation.path),
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
