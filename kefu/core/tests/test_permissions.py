import pytest

from kefu.core.errors import Forbidden
from kefu.core.permissions import ACTIONS, can, ensure_can
from kefu.core.roles import ALL_ROLES, Role


def test_every_action_names_only_known_roles():
    unknown = {action: roles - ALL_ROLES for action, roles in ACTIONS.items() if roles - ALL_ROLES}

    assert unknown == {}


def test_can_refuses_an_unknown_action(admin):
    with pytest.raises(KeyError):
        can(admin, "no.such_action")


def test_ensure_can_allows_admin_in_own_unit(admin, city):
    ensure_can(admin, "orgs.manage_staff", city)


def test_ensure_can_refuses_admin_on_another_unit(admin, other_city):
    with pytest.raises(Forbidden):
        ensure_can(admin, "orgs.manage_staff", other_city)


def test_ensure_can_refuses_admin_on_parent_unit(admin, group):
    with pytest.raises(Forbidden):
        ensure_can(admin, "orgs.manage_staff", group)


def test_ensure_can_refuses_a_role_without_the_action(agent, city):
    with pytest.raises(Forbidden):
        ensure_can(agent, "orgs.manage_staff", city)


def test_contractor_may_not_view_properties(city, make_staff):
    contractor = make_staff(city, Role.CONTRACTOR)

    assert can(contractor, "properties.view") is False
