"""Read queries for the organisation tree and staff. All start from kefu.core.scoping."""

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from kefu.core.scoping import one_or_404, visible
from kefu.orgs.models import Membership, OrgUnit

if TYPE_CHECKING:
    from kefu.accounts.models import User


def membership_for_user(*, user: "User") -> Membership | None:
    """The user's membership with unit and roles loaded, or None for a user without one."""
    if not user.is_authenticated or not user.is_active:
        return None
    return (
        Membership.objects.select_related("unit")
        .prefetch_related("role_grants")
        .filter(user=user, unit__is_active=True)
        .first()
    )


def unit_list(*, viewer: Membership, include_inactive: bool = True) -> QuerySet[OrgUnit]:
    units = (
        visible(OrgUnit, viewer)
        .select_related("parent")
        .annotate(
            staff_count=Count("memberships", filter=Q(memberships__user__is_active=True), distinct=True),
            child_count=Count("children", distinct=True),
        )
    )
    if not include_inactive:
        units = units.filter(is_active=True)
    return units.order_by("path")


def unit_get(*, viewer: Membership, unit_id: int) -> OrgUnit:
    return one_or_404(visible(OrgUnit, viewer).select_related("parent"), pk=unit_id)


def unit_choices(*, viewer: Membership) -> QuerySet[OrgUnit]:
    """Active units the viewer may put things in, in tree order."""
    return visible(OrgUnit, viewer).filter(is_active=True).order_by("path")


def staff_list(
    *,
    viewer: Membership,
    unit_id: int | None = None,
    role: str | None = None,
    query: str | None = None,
    is_active: bool | None = None,
) -> QuerySet[Membership]:
    staff = visible(Membership, viewer).select_related("unit", "user").prefetch_related("role_grants")
    if unit_id:
        unit = visible(OrgUnit, viewer).filter(pk=unit_id).first()
        staff = staff.filter(unit__path__startswith=unit.path) if unit else staff.none()
    if role:
        staff = staff.filter(role_grants__role=role)
    if query:
        staff = staff.filter(
            Q(name__icontains=query)
            | Q(user__username__icontains=query)
            | Q(mobile__contains=query)
            | Q(employee_no__icontains=query)
        )
    if is_active is not None:
        staff = staff.filter(user__is_active=is_active)
    return staff.order_by("unit__path", "name", "id")


def staff_get(*, viewer: Membership, membership_id: int) -> Membership:
    return one_or_404(
        visible(Membership, viewer).select_related("unit", "user").prefetch_related("role_grants"),
        pk=membership_id,
    )
