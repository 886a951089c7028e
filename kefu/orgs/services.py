"""Write operations on the organisation tree and staff."""

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from kefu.accounts.models import SecurityEvent, User
from kefu.accounts.services import security_event_record, user_revoke_tokens
from kefu.core.permissions import ensure_can
from kefu.core.roles import Role
from kefu.orgs.errors import (
    CannotDisableSelf,
    CannotRemoveOwnAdminRole,
    NoRoles,
    UnitCodeTaken,
    UnitHasActiveChildren,
    UnitHasStaff,
    UnitInactive,
    UnitMoveIntoOwnSubtree,
    UnitNameTaken,
    UnitParentInactive,
    UsernameTaken,
    WeakPassword,
)
from kefu.orgs.models import PATH_SEGMENT_WIDTH, Membership, OrgUnit, RoleGrant


def _segment(unit_id: int) -> str:
    return f"{unit_id:0{PATH_SEGMENT_WIDTH}d}."


def _check_unit_unique(*, code: str, name: str, parent: OrgUnit | None, exclude_pk: int | None = None) -> None:
    # The database enforces both; checking first turns an IntegrityError into a field error.
    others = OrgUnit.objects.exclude(pk=exclude_pk) if exclude_pk else OrgUnit.objects.all()
    if others.filter(code=code).exists():
        raise UnitCodeTaken(field="code", code=code)
    if parent is not None and others.filter(parent=parent, name=name).exists():
        raise UnitNameTaken(field="name", parent=parent.name, name=name)


def _insert_unit(*, parent: OrgUnit | None, name: str, code: str, kind: str, timezone: str) -> OrgUnit:
    # The path needs the primary key, which exists only after the insert.
    unit = OrgUnit.objects.create(
        parent=parent, name=name, code=code, kind=kind, timezone=timezone, path=f"pending-{code}"
    )
    unit.path = (parent.path if parent else "") + _segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def unit_create_root(
    *, name: str, code: str, kind: str = OrgUnit.Kind.GROUP, timezone: str = "Asia/Shanghai"
) -> OrgUnit:
    """A top-level organisation. Only set-up commands call this; staff create units below one."""
    return _insert_unit(parent=None, name=name, code=code, kind=kind, timezone=timezone)


@transaction.atomic
def unit_create(
    *, actor: Membership, parent: OrgUnit, name: str, code: str, kind: str, timezone: str = "Asia/Shanghai"
) -> OrgUnit:
    ensure_can(actor, "orgs.manage_units", parent)
    if not parent.is_active:
        raise UnitParentInactive(field="parent", name=parent.name)
    _check_unit_unique(code=code, name=name, parent=parent)
    return _insert_unit(parent=parent, name=name, code=code, kind=kind, timezone=timezone)


@transaction.atomic
def unit_update(
    *,
    actor: Membership,
    unit: OrgUnit,
    name: str,
    code: str,
    kind: str,
    timezone: str,
    parent: OrgUnit | None,
) -> OrgUnit:
    ensure_can(actor, "orgs.manage_units", unit)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    new_parent = parent if parent is not None and parent.pk != unit.parent_id else None
    if new_parent is not None:
        ensure_can(actor, "orgs.manage_units", new_parent)
        if new_parent.path.startswith(unit.path):
            raise UnitMoveIntoOwnSubtree(field="parent")
        if not new_parent.is_active:
            raise UnitParentInactive(field="parent", name=new_parent.name)
    _check_unit_unique(code=code, name=name, parent=new_parent or unit.parent, exclude_pk=unit.pk)
    unit.name, unit.code, unit.kind, unit.timezone = name, code, kind, timezone
    if new_parent is not None:
        _move_subtree(unit=unit, new_parent=new_parent)
    unit.save()
    return unit


def _move_subtree(*, unit: OrgUnit, new_parent: OrgUnit) -> None:
    old_prefix = unit.path
    new_prefix = new_parent.path + _segment(unit.pk)
    depth_shift = new_parent.depth + 1 - unit.depth
    descendants = list(OrgUnit.objects.select_for_update().filter(path__startswith=old_prefix).exclude(pk=unit.pk))
    unit.parent = new_parent
    unit.path = new_prefix
    unit.depth += depth_shift
    for child in descendants:
        child.path = new_prefix + child.path[len(old_prefix) :]
        child.depth += depth_shift
    # Paths are unique: park the subtree on temporary paths first so no two rows collide mid-update.
    for row in descendants:
        OrgUnit.objects.filter(pk=row.pk).update(path=f"moving-{row.pk}")
    OrgUnit.objects.bulk_update(descendants, ["path", "depth"])


@transaction.atomic
def unit_set_active(*, actor: Membership, unit: OrgUnit, is_active: bool) -> OrgUnit:
    ensure_can(actor, "orgs.manage_units", unit)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if is_active and unit.parent is not None and not unit.parent.is_active:
        raise UnitParentInactive(name=unit.parent.name)
    if not is_active:
        if unit.children.filter(is_active=True).exists():
            raise UnitHasActiveChildren(name=unit.name)
        staff = unit.memberships.filter(user__is_active=True).count()
        if staff:
            raise UnitHasStaff(name=unit.name, count=staff)
    unit.is_active = is_active
    unit.save(update_fields=["is_active", "updated_at"])
    return unit


def _validate_password(*, password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), field="password") from exc


def _set_roles(*, membership: Membership, roles: Iterable[str]) -> None:
    wanted = {Role(role).value for role in roles}
    if not wanted:
        raise NoRoles(field="roles")
    current = set(membership.role_grants.values_list("role", flat=True))
    membership.role_grants.filter(role__in=current - wanted).delete()
    RoleGrant.objects.bulk_create([RoleGrant(membership=membership, role=role) for role in wanted - current])


@transaction.atomic
def staff_create(
    *,
    actor: Membership | None,
    unit: OrgUnit,
    username: str,
    name: str,
    password: str,
    roles: Iterable[str],
    title: str = "",
    mobile: str = "",
    employee_no: str = "",
    wecom_userid: str = "",
) -> Membership:
    """A new staff account. `actor=None` only from set-up commands (demo data, bootstrap)."""
    if actor is not None:
        ensure_can(actor, "orgs.manage_staff", unit)
    if not unit.is_active:
        raise UnitInactive(field="unit", name=unit.name)
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(field="username", username=username)
    user = User(username=username)
    _validate_password(password=password, user=user)
    user.set_password(password)
    user.save()
    membership = Membership.objects.create(
        user=user,
        unit=unit,
        name=name,
        title=title,
        mobile=mobile,
        employee_no=employee_no,
        wecom_userid=wecom_userid.strip(),
    )
    _set_roles(membership=membership, roles=roles)
    return membership


@transaction.atomic
def staff_update(
    *,
    actor: Membership,
    membership: Membership,
    unit: OrgUnit,
    name: str,
    roles: Iterable[str],
    title: str = "",
    mobile: str = "",
    employee_no: str = "",
    wecom_userid: str = "",
) -> Membership:
    ensure_can(actor, "orgs.manage_staff", membership.unit)
    ensure_can(actor, "orgs.manage_staff", unit)
    roles = list(roles)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if unit.pk != membership.unit_id and not unit.is_active:
        raise UnitInactive(field="unit", name=unit.name)
    # An administrator who drops their own admin role can no longer undo it.
    if membership.pk == actor.pk and Role.ADMIN not in set(roles):
        raise CannotRemoveOwnAdminRole(field="roles")
    membership.unit, membership.name, membership.title = unit, name, title
    membership.mobile, membership.employee_no = mobile, employee_no
    membership.wecom_userid = wecom_userid.strip()
    membership.save()
    _set_roles(membership=membership, roles=roles)
    return membership


@transaction.atomic
def staff_set_active(*, actor: Membership, membership: Membership, is_active: bool) -> Membership:
    """Disable or re-enable an account. A disabled user's sessions and tokens stop at once."""
    ensure_can(actor, "orgs.manage_staff", membership.unit)
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if not is_active and user.pk == actor.user_id:
        raise CannotDisableSelf()
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        user_revoke_tokens(user=user)
    security_event_record(
        kind=SecurityEvent.Kind.USER_ENABLED if is_active else SecurityEvent.Kind.USER_DISABLED,
        username=user.username,
        user=user,
        actor=actor.user,
    )
    membership.user = user
    return membership


@transaction.atomic
def staff_reset_password(*, actor: Membership, membership: Membership, password: str) -> Membership:
    """Set a new password. The user's existing sessions end (their auth hash no longer matches)."""
    ensure_can(actor, "orgs.manage_staff", membership.unit)
    user = User.objects.select_for_update().get(pk=membership.user_id)
    _validate_password(password=password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    user_revoke_tokens(user=user)
    security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET, username=user.username, user=user, actor=actor.user)
    membership.user = user
    return membership
