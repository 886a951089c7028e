"""Read queries for the organisation tree and staff. All start from kefu.core.scoping."""

from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from kefu.core.roles import Role
from kefu.core.scoping import ancestor_ids, one_or_404, visible
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


def _with_counts(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    # Subqueries rather than two joined COUNTs: joining memberships and children multiplies rows.
    active_staff = (
        Membership.objects.filter(unit=OuterRef("pk"), user__is_active=True)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    children = OrgUnit.objects.filter(parent=OuterRef("pk")).order_by().values("parent").annotate(n=Count("pk"))
    return units.annotate(
        staff_count=Coalesce(Subquery(active_staff), 0),
        child_count=Coalesce(Subquery(children.values("n")), 0),
    )


def unit_list(
    *,
    viewer: Membership,
    include_inactive: bool = True,
    root_id: int | None = None,
    parent_id: int | None = None,
    query: str | None = None,
    is_active: bool | None = None,
) -> QuerySet[OrgUnit]:
    """Visible units with `staff_count` (active staff directly in the unit) and `child_count`.

    `root_id` keeps a unit and its descendants, `parent_id` only the unit's direct children.
    """
    units = _with_counts(visible(OrgUnit, viewer).select_related("parent"))
    if not include_inactive:
        units = units.filter(is_active=True)
    if is_active is not None:
        units = units.filter(is_active=is_active)
    if root_id:
        root = visible(OrgUnit, viewer).filter(pk=root_id).only("path").first()
        units = units.filter(path__startswith=root.path) if root else units.none()
    if parent_id:
        units = units.filter(parent_id=parent_id)
    if query:
        units = units.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return units.order_by("path")


def unit_get(*, viewer: Membership, unit_id: int) -> OrgUnit:
    return one_or_404(_with_counts(visible(OrgUnit, viewer).select_related("parent")), pk=unit_id)


def unit_choices(
    *, viewer: Membership, also_id: int | None = None, exclude_subtree_of: OrgUnit | None = None
) -> QuerySet[OrgUnit]:
    """Active units the viewer may put things in, in tree order.

    `also_id` keeps one more visible unit even if inactive: the one a record is in today, so an
    edit form can leave it where it is. `exclude_subtree_of` drops a unit and its descendants
    (a unit cannot move under itself).
    """
    wanted = Q(is_active=True) | Q(pk=also_id) if also_id else Q(is_active=True)
    units = visible(OrgUnit, viewer).filter(wanted)
    if exclude_subtree_of is not None:
        units = units.exclude(path__startswith=exclude_subtree_of.path)
    return units.order_by("path")


def staff_list(
    *,
    viewer: Membership,
    unit_id: int | None = None,
    role: str | None = None,
    query: str | None = None,
    is_active: bool | None = None,
    include_descendants: bool = True,
) -> QuerySet[Membership]:
    """Visible staff; `unit_id` keeps that unit's staff and, unless told otherwise, its sub-units'."""
    staff = visible(Membership, viewer).select_related("unit", "user").prefetch_related("role_grants")
    if unit_id and not include_descendants:
        staff = staff.filter(unit_id=unit_id)
    elif unit_id:
        unit = visible(OrgUnit, viewer).filter(pk=unit_id).only("path").first()
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


def supervisor_of(*, member: Membership | None, unit: OrgUnit) -> Membership | None:
    """Who a member answers to: a supervisor of the nearest unit at or above the member's (or
    `unit`, when there is no member) that has one, never the member themselves; else the
    nearest unit head. Interventions and late commission nodes go to them."""
    start = member.unit if member is not None else unit
    ids = ancestor_ids(start)
    members = list(
        Membership.objects.filter(unit_id__in=ids, role_grants__role=Role.SUPERVISOR, user__is_active=True)
        .exclude(pk=member.pk if member is not None else None)
        .select_related("unit")
        .distinct()
        .order_by("pk")
    )
    if members:
        deepest = max(m.unit.depth for m in members)
        return next(m for m in members if m.unit.depth == deepest)
    heads = (
        OrgUnit.objects.filter(pk__in=ids, head__isnull=False, head__user__is_active=True)
        .exclude(head=member.pk if member is not None else None)
        .select_related("head")
        .order_by("-depth")
    )
    first = heads.first()
    return first.head if first is not None else None
