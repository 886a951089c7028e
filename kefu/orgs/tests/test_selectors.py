import pytest
from django.http import Http404

from kefu.accounts.models import User
from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.orgs.selectors import staff_get, staff_list, unit_choices, unit_get, unit_list
from kefu.orgs.tests.factories import OrgUnitFactory


def test_unit_list_shows_the_viewers_unit_and_its_descendants_only(admin, city, team, other_city):
    assert list(unit_list(viewer=admin)) == [city, team]


def test_unit_list_counts_active_staff_and_direct_sub_units(admin, city, team, make_staff):
    OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    make_staff(team, Role.AGENT)
    disabled = make_staff(team, Role.AGENT)
    User.objects.filter(pk=disabled.user_id).update(is_active=False)

    counted = {unit.pk: (unit.staff_count, unit.child_count) for unit in unit_list(viewer=admin)}

    assert counted[team.pk] == (1, 1)
    assert counted[city.pk] == (1, 1)  # the admin; the team's staff belong to the team


def test_unit_list_root_id_keeps_one_subtree(admin, city, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)

    assert list(unit_list(viewer=admin, root_id=team.pk)) == [team, phase]


def test_unit_list_root_id_of_another_unit_gives_nothing(admin, other_city):
    assert list(unit_list(viewer=admin, root_id=other_city.pk)) == []


def test_unit_get_hides_a_unit_of_another_branch(admin, other_city):
    with pytest.raises(Http404):
        unit_get(viewer=admin, unit_id=other_city.pk)


def test_unit_choices_leave_out_inactive_units_and_a_units_own_subtree(admin, city, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    closed = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.DEPARTMENT)
    OrgUnit.objects.filter(pk=closed.pk).update(is_active=False)

    choices = list(unit_choices(viewer=admin, exclude_subtree_of=team))

    assert choices == [city]
    assert phase not in choices


def test_unit_choices_keep_the_current_unit_even_if_inactive(admin, city, team):
    OrgUnit.objects.filter(pk=team.pk).update(is_active=False)

    assert list(unit_choices(viewer=admin, also_id=team.pk)) == [city, team]


def test_staff_list_unit_filter_includes_sub_units(admin, city, team, make_staff):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    in_team = make_staff(team, Role.AGENT)
    in_phase = make_staff(phase, Role.AGENT)

    assert set(staff_list(viewer=admin, unit_id=team.pk)) == {in_team, in_phase}


def test_staff_list_unit_filter_can_keep_direct_staff_only(admin, team, make_staff):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    in_team = make_staff(team, Role.AGENT)
    make_staff(phase, Role.AGENT)

    assert list(staff_list(viewer=admin, unit_id=team.pk, include_descendants=False)) == [in_team]


def test_staff_list_unit_filter_of_another_branch_gives_nothing(admin, outsider, other_city):
    assert list(staff_list(viewer=admin, unit_id=other_city.pk)) == []


def test_staff_list_filters_by_role(admin, agent, executive):
    assert list(staff_list(viewer=admin, role=Role.EXECUTIVE)) == [executive]


@pytest.mark.parametrize("query", ["wang", "王芳", "13900139000", "e-77"])
def test_staff_list_searches_name_username_mobile_and_employee_number(admin, city, make_staff, query):
    member = make_staff(city, Role.AGENT, username="wangfang", name="王芳", mobile="13900139000", employee_no="E-77")

    assert list(staff_list(viewer=admin, query=query)) == [member]


def test_staff_list_filters_by_account_status(admin, agent):
    User.objects.filter(pk=agent.user_id).update(is_active=False)

    assert list(staff_list(viewer=admin, is_active=False)) == [agent]


def test_staff_get_hides_staff_of_another_branch(admin, outsider):
    with pytest.raises(Http404):
        staff_get(viewer=admin, membership_id=outsider.pk)
