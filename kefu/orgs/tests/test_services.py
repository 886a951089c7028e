from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token

from kefu.accounts.models import SecurityEvent, User
from kefu.core.errors import Forbidden
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
from kefu.orgs.models import PATH_SEGMENT_WIDTH, Membership, OrgUnit
from kefu.orgs.selectors import staff_list
from kefu.orgs.services import (
    staff_create,
    staff_reset_password,
    staff_set_active,
    staff_update,
    unit_create,
    unit_set_active,
    unit_update,
)
from kefu.orgs.tests.factories import TEST_PASSWORD, OrgUnitFactory

NEW_PASSWORD = "Lantern-Harbour-88"


def _segment(unit: OrgUnit) -> str:
    return f"{unit.pk:0{PATH_SEGMENT_WIDTH}d}."


def _update(actor: Membership, unit: OrgUnit, **changes: object) -> OrgUnit:
    fields: dict[str, object] = {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "timezone": unit.timezone,
        "parent": None,
    }
    fields.update(changes)
    return unit_update(actor=actor, unit=unit, **fields)  # type: ignore[arg-type]


# unit_create


def test_unit_create_places_the_unit_under_its_parent(admin, city):
    unit = unit_create(actor=admin, parent=city, name="福田项目组", code="futian", kind=OrgUnit.Kind.PROJECT_TEAM)

    unit.refresh_from_db()
    assert unit.parent == city
    assert unit.path == city.path + _segment(unit)
    assert unit.depth == city.depth + 1


def test_unit_create_rejects_a_parent_outside_the_actors_scope(admin, other_city):
    with pytest.raises(Forbidden):
        unit_create(actor=admin, parent=other_city, name="武侯项目组", code="wuhou", kind=OrgUnit.Kind.PROJECT_TEAM)

    assert not OrgUnit.objects.filter(code="wuhou").exists()


def test_unit_create_rejects_a_non_admin(executive, city):
    with pytest.raises(Forbidden):
        unit_create(actor=executive, parent=city, name="福田项目组", code="futian", kind=OrgUnit.Kind.PROJECT_TEAM)

    assert not OrgUnit.objects.filter(code="futian").exists()


def test_unit_create_rejects_a_code_in_use(admin, city, other_city):
    with pytest.raises(UnitCodeTaken) as caught:
        unit_create(actor=admin, parent=city, name="新单位", code=other_city.code, kind=OrgUnit.Kind.DEPARTMENT)

    assert caught.value.field == "code"
    assert not OrgUnit.objects.filter(name="新单位").exists()


def test_unit_create_rejects_a_name_already_used_under_the_same_parent(admin, team):
    with pytest.raises(UnitNameTaken) as caught:
        unit_create(actor=admin, parent=team.parent, name=team.name, code="dup", kind=OrgUnit.Kind.PROJECT_TEAM)

    assert caught.value.field == "name"


def test_unit_create_rejects_an_inactive_parent(admin, team):
    OrgUnit.objects.filter(pk=team.pk).update(is_active=False)
    team.refresh_from_db()

    with pytest.raises(UnitParentInactive) as caught:
        unit_create(actor=admin, parent=team, name="一期", code="phase-1", kind=OrgUnit.Kind.DEPARTMENT)

    assert caught.value.field == "parent"


# unit_update


def test_unit_update_changes_name_kind_and_time_zone(admin, team):
    _update(admin, team, name="南山一组", kind=OrgUnit.Kind.DEPARTMENT, timezone="Asia/Urumqi")

    team.refresh_from_db()
    assert (team.name, team.kind, team.timezone) == ("南山一组", OrgUnit.Kind.DEPARTMENT, "Asia/Urumqi")


def test_unit_update_move_carries_the_whole_subtree(admin, city, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    block = OrgUnitFactory(parent=phase, kind=OrgUnit.Kind.DEPARTMENT)
    target = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)

    _update(admin, team, parent=target)

    for unit in (team, phase, block):
        unit.refresh_from_db()
    assert team.parent == target
    assert team.path == target.path + _segment(team)
    assert phase.path == team.path + _segment(phase)
    assert block.path == phase.path + _segment(block)
    assert (team.depth, phase.depth, block.depth) == (target.depth + 1, target.depth + 2, target.depth + 3)


def test_unit_update_move_brings_the_subtrees_staff_into_the_new_parents_scope(admin, city, team, make_staff):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    member = make_staff(phase, Role.AGENT)
    target = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    target_admin = make_staff(target, Role.ADMIN)

    _update(admin, team, parent=target)

    assert set(staff_list(viewer=target_admin)) == {target_admin, member}


def test_unit_update_rejects_a_move_into_its_own_subtree(admin, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    old_path = team.path

    with pytest.raises(UnitMoveIntoOwnSubtree) as caught:
        _update(admin, team, parent=phase)

    team.refresh_from_db()
    assert caught.value.field == "parent"
    assert team.path == old_path


def test_unit_update_rejects_a_move_under_itself(admin, team):
    with pytest.raises(UnitMoveIntoOwnSubtree):
        _update(admin, team, parent=team)


def test_unit_update_rejects_a_new_parent_outside_the_actors_scope(admin, city, team, other_city):
    with pytest.raises(Forbidden):
        _update(admin, team, parent=other_city)

    team.refresh_from_db()
    assert team.parent_id == city.pk


def test_unit_update_rejects_a_unit_outside_the_actors_scope(outsider, team):
    with pytest.raises(Forbidden):
        _update(outsider, team, name="改名")

    team.refresh_from_db()
    assert team.name == "南山项目组"


def test_unit_update_rejects_a_code_used_by_another_unit(admin, team, other_city):
    with pytest.raises(UnitCodeTaken):
        _update(admin, team, code=other_city.code)


def test_unit_update_keeps_its_own_code(admin, team):
    _update(admin, team, name="南山项目二组")

    team.refresh_from_db()
    assert team.code == "nanshan"


# unit_set_active


def test_unit_set_active_deactivates_an_empty_unit(admin, team):
    unit_set_active(actor=admin, unit=team, is_active=False)

    team.refresh_from_db()
    assert team.is_active is False


def test_unit_set_active_refuses_a_unit_with_active_sub_units(admin, team):
    OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)

    with pytest.raises(UnitHasActiveChildren):
        unit_set_active(actor=admin, unit=team, is_active=False)

    team.refresh_from_db()
    assert team.is_active is True


def test_unit_set_active_refuses_a_unit_with_active_staff(admin, team, make_staff):
    make_staff(team, Role.AGENT)

    with pytest.raises(UnitHasStaff):
        unit_set_active(actor=admin, unit=team, is_active=False)

    team.refresh_from_db()
    assert team.is_active is True


def test_unit_set_active_ignores_disabled_staff(admin, team, make_staff):
    member = make_staff(team, Role.AGENT)
    User.objects.filter(pk=member.user_id).update(is_active=False)

    unit_set_active(actor=admin, unit=team, is_active=False)

    team.refresh_from_db()
    assert team.is_active is False


def test_unit_set_active_refuses_to_activate_under_an_inactive_parent(admin, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    OrgUnit.objects.filter(pk__in=[team.pk, phase.pk]).update(is_active=False)

    with pytest.raises(UnitParentInactive):
        unit_set_active(actor=admin, unit=phase, is_active=True)

    phase.refresh_from_db()
    assert phase.is_active is False


def test_unit_set_active_refuses_a_non_admin(executive, team):
    with pytest.raises(Forbidden):
        unit_set_active(actor=executive, unit=team, is_active=False)

    team.refresh_from_db()
    assert team.is_active is True


def test_unit_set_active_refuses_a_unit_outside_the_actors_scope(outsider, team):
    with pytest.raises(Forbidden):
        unit_set_active(actor=outsider, unit=team, is_active=False)


# staff_create


def _create(actor: Membership | None, unit: OrgUnit, **overrides: object) -> Membership:
    fields: dict[str, object] = {
        "username": "wangfang",
        "name": "王芳",
        "password": NEW_PASSWORD,
        "roles": [Role.AGENT, Role.SUPERVISOR],
        "mobile": "13800138000",
        "employee_no": "E-1001",
    }
    fields.update(overrides)
    return staff_create(actor=actor, unit=unit, **fields)  # type: ignore[arg-type]


def test_staff_create_makes_an_account_that_can_sign_in(admin, team):
    member = _create(admin, team)

    user = User.objects.get(username="wangfang")
    assert user.check_password(NEW_PASSWORD)
    assert user.membership == member
    assert member.unit == team
    assert member.role_set == {Role.AGENT, Role.SUPERVISOR}


def test_staff_create_rejects_a_username_in_use_whatever_the_case(admin, city, agent):
    with pytest.raises(UsernameTaken) as caught:
        _create(admin, city, username=agent.user.username.upper())

    assert caught.value.field == "username"
    assert not Membership.objects.filter(name="王芳").exists()


def test_staff_create_rejects_a_weak_password_on_the_password_field(admin, city):
    with pytest.raises(WeakPassword) as caught:
        _create(admin, city, password="password123")

    assert caught.value.field == "password"
    assert not User.objects.filter(username="wangfang").exists()


def test_staff_create_rejects_an_account_without_roles(admin, city):
    with pytest.raises(NoRoles) as caught:
        _create(admin, city, roles=[])

    assert caught.value.field == "roles"
    assert not User.objects.filter(username="wangfang").exists()


def test_staff_create_rejects_an_inactive_unit(admin, team):
    OrgUnit.objects.filter(pk=team.pk).update(is_active=False)
    team.refresh_from_db()

    with pytest.raises(UnitInactive) as caught:
        _create(admin, team)

    assert caught.value.field == "unit"


def test_staff_create_rejects_a_unit_outside_the_actors_scope(admin, other_city):
    with pytest.raises(Forbidden):
        _create(admin, other_city)

    assert not User.objects.filter(username="wangfang").exists()


def test_staff_create_rejects_a_non_admin(executive, city):
    with pytest.raises(Forbidden):
        _create(executive, city)

    assert not User.objects.filter(username="wangfang").exists()


# staff_update


def _staff_update(actor: Membership, member: Membership, **changes: object) -> Membership:
    fields: dict[str, object] = {
        "unit": member.unit,
        "name": member.name,
        "roles": sorted(member.role_set),
        "title": member.title,
        "mobile": member.mobile,
        "employee_no": member.employee_no,
    }
    fields.update(changes)
    return staff_update(actor=actor, membership=member, **fields)  # type: ignore[arg-type]


def test_staff_update_changes_profile_unit_and_roles(admin, agent, team):
    _staff_update(admin, agent, name="张三丰", unit=team, roles=[Role.INSPECTOR], title="验房工程师")

    member = Membership.objects.get(pk=agent.pk)
    assert (member.name, member.unit, member.title) == ("张三丰", team, "验房工程师")
    assert member.role_set == {Role.INSPECTOR}


def test_staff_update_rejects_removing_every_role(admin, agent):
    with pytest.raises(NoRoles):
        _staff_update(admin, agent, roles=[])

    assert Membership.objects.get(pk=agent.pk).role_set == {Role.AGENT}


def test_staff_update_rejects_a_member_outside_the_actors_scope(outsider, agent):
    with pytest.raises(Forbidden):
        _staff_update(outsider, agent, name="改名")

    assert Membership.objects.get(pk=agent.pk).name == "张三"


def test_staff_update_rejects_a_move_to_a_unit_outside_the_actors_scope(admin, agent, other_city):
    with pytest.raises(Forbidden):
        _staff_update(admin, agent, unit=other_city)

    assert Membership.objects.get(pk=agent.pk).unit_id == agent.unit_id


def test_staff_update_rejects_dropping_the_actors_own_admin_role(admin):
    with pytest.raises(CannotRemoveOwnAdminRole) as caught:
        _staff_update(admin, admin, roles=[Role.EXECUTIVE])

    assert caught.value.field == "roles"
    assert Membership.objects.get(pk=admin.pk).role_set == {Role.ADMIN}


def test_staff_update_rejects_a_non_admin(executive, agent):
    with pytest.raises(Forbidden):
        _staff_update(executive, agent, name="改名")


# staff_set_active


def test_staff_set_active_disables_the_account_and_records_it(admin, agent):
    staff_set_active(actor=admin, membership=agent, is_active=False)

    agent.user.refresh_from_db()
    assert agent.user.is_active is False
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.USER_DISABLED)
    assert (event.user, event.actor) == (agent.user, admin.user)


def test_staff_set_active_revokes_api_tokens_of_a_disabled_account(admin, agent):
    Token.objects.create(user=agent.user)

    staff_set_active(actor=admin, membership=agent, is_active=False)

    assert not Token.objects.filter(user=agent.user).exists()


def test_staff_set_active_enables_a_disabled_account(admin, agent):
    User.objects.filter(pk=agent.user_id).update(is_active=False)

    staff_set_active(actor=admin, membership=agent, is_active=True)

    agent.user.refresh_from_db()
    assert agent.user.is_active is True
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.USER_ENABLED, user=agent.user).exists()


def test_staff_set_active_refuses_to_disable_the_actor_themselves(admin):
    with pytest.raises(CannotDisableSelf):
        staff_set_active(actor=admin, membership=admin, is_active=False)

    admin.user.refresh_from_db()
    assert admin.user.is_active is True


def test_staff_set_active_refuses_a_member_outside_the_actors_scope(outsider, agent):
    with pytest.raises(Forbidden):
        staff_set_active(actor=outsider, membership=agent, is_active=False)

    agent.user.refresh_from_db()
    assert agent.user.is_active is True


def test_staff_set_active_refuses_a_non_admin(make_staff: Callable[..., Membership], city, agent):
    supervisor = make_staff(city, Role.SUPERVISOR)

    with pytest.raises(Forbidden):
        staff_set_active(actor=supervisor, membership=agent, is_active=False)


# staff_reset_password


def test_staff_reset_password_sets_the_new_password(admin, agent):
    staff_reset_password(actor=admin, membership=agent, password=NEW_PASSWORD)

    agent.user.refresh_from_db()
    assert agent.user.check_password(NEW_PASSWORD)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_RESET, actor=admin.user).exists()


def test_staff_reset_password_rejects_a_weak_password_on_the_password_field(admin, agent):
    with pytest.raises(WeakPassword) as caught:
        staff_reset_password(actor=admin, membership=agent, password="12345678")

    agent.user.refresh_from_db()
    assert caught.value.field == "password"
    assert agent.user.check_password(TEST_PASSWORD)


def test_staff_reset_password_refuses_a_member_outside_the_actors_scope(outsider, agent):
    with pytest.raises(Forbidden):
        staff_reset_password(actor=outsider, membership=agent, password=NEW_PASSWORD)

    agent.user.refresh_from_db()
    assert agent.user.check_password(TEST_PASSWORD)


def test_staff_reset_password_refuses_a_non_admin(executive, agent):
    with pytest.raises(Forbidden):
        staff_reset_password(actor=executive, membership=agent, password=NEW_PASSWORD)
