from collections.abc import Callable

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.accounts.models import SecurityEvent, User
from kefu.accounts.services import security_event_record
from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import TEST_PASSWORD, MembershipFactory, OrgUnitFactory

NEW_PASSWORD = "Lantern-Harbour-88"


def _levels(response: object) -> list[int]:
    return [m.level for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def _assert_constant_queries(
    client: Client, url: str, add_rows: Callable[[], None], django_assert_num_queries: Callable
) -> None:
    client.get(url)  # the first request of a session writes it; measure the ones after
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    add_rows()

    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


# Who may open what


OBJECT_PAGES = [
    ("orgs:unit_detail", "orgunit_id", "get"),
    ("orgs:unit_edit", "orgunit_id", "get"),
    ("orgs:unit_edit", "orgunit_id", "post"),
    ("orgs:unit_deactivate", "orgunit_id", "post"),
    ("orgs:unit_activate", "orgunit_id", "post"),
    ("orgs:staff_detail", "staff_id", "get"),
    ("orgs:staff_edit", "staff_id", "get"),
    ("orgs:staff_edit", "staff_id", "post"),
    ("orgs:staff_disable", "staff_id", "post"),
    ("orgs:staff_enable", "staff_id", "post"),
    ("orgs:staff_reset_password", "staff_id", "get"),
    ("orgs:staff_reset_password", "staff_id", "post"),
]


@pytest.mark.parametrize(("name", "kwarg", "method"), OBJECT_PAGES)
def test_object_page_answers_404_to_an_admin_of_another_branch(client_for, outsider, team, agent, name, kwarg, method):
    url = reverse(name, kwargs={kwarg: team.pk if kwarg == "orgunit_id" else agent.pk})

    response = getattr(client_for(outsider), method)(url)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "kwarg"),
    [
        ("orgs:unit_list", None),
        ("orgs:unit_create", None),
        ("orgs:unit_detail", "orgunit_id"),
        ("orgs:unit_edit", "orgunit_id"),
        ("orgs:staff_list", None),
        ("orgs:staff_create", None),
        ("orgs:staff_detail", "staff_id"),
        ("orgs:staff_edit", "staff_id"),
        ("orgs:staff_reset_password", "staff_id"),
    ],
)
def test_page_opens_for_an_admin_of_the_branch(client_for, admin, team, agent, name, kwarg):
    kwargs = {kwarg: team.pk if kwarg == "orgunit_id" else agent.pk} if kwarg else {}

    response = client_for(admin).get(reverse(name, kwargs=kwargs))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "kwarg", "method"),
    [
        ("orgs:unit_create", None, "get"),
        ("orgs:unit_edit", "orgunit_id", "get"),
        ("orgs:unit_deactivate", "orgunit_id", "post"),
        ("orgs:staff_create", None, "get"),
        ("orgs:staff_edit", "staff_id", "get"),
        ("orgs:staff_disable", "staff_id", "post"),
        ("orgs:staff_reset_password", "staff_id", "get"),
    ],
)
def test_admin_page_refuses_an_executive(client_for, executive, team, agent, name, kwarg, method):
    kwargs = {kwarg: team.pk if kwarg == "orgunit_id" else agent.pk} if kwarg else {}

    response = getattr(client_for(executive), method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["orgs:unit_list", "orgs:staff_list"])
def test_list_page_refuses_an_agent(client_for, agent, name):
    assert client_for(agent).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["orgs:unit_list", "orgs:staff_list"])
def test_list_page_opens_for_an_executive_without_actions(client_for, executive, name):
    response = client_for(executive).get(reverse(name))

    assert response.status_code == 200
    assert response.context["can_manage"] is False


# Unit list and detail


def test_unit_list_shows_the_tree_of_the_viewers_branch(client_for, admin, city, team, other_city):
    phase = OrgUnitFactory(parent=team, name="一期", kind=OrgUnit.Kind.DEPARTMENT)

    response = client_for(admin).get(reverse("orgs:unit_list"))

    assert [(row.unit, row.indent) for row in response.context["rows"]] == [(city, 0), (team, 1), (phase, 2)]
    assert b"kefu-tree-indent-2" in response.content
    assert other_city.name.encode() not in response.content


def test_unit_list_query_count_does_not_grow_with_units(
    client_for, admin, city, django_assert_num_queries, frozen_clock
):
    for _ in range(3):
        OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)

    def add_rows() -> None:
        for _ in range(3):
            team = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
            MembershipFactory(unit=team)

    _assert_constant_queries(client_for(admin), reverse("orgs:unit_list"), add_rows, django_assert_num_queries)


def test_unit_detail_shows_sub_units_and_direct_staff(client_for, admin, city, team, make_staff):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    member = make_staff(team, Role.AGENT)
    make_staff(phase, Role.AGENT)

    response = client_for(admin).get(reverse("orgs:unit_detail", kwargs={"orgunit_id": team.pk}))

    assert list(response.context["children"]) == [phase]
    assert list(response.context["staff"]) == [member]


# Unit create and edit


def _unit_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "福田项目组",
        "code": "futian",
        "kind": OrgUnit.Kind.PROJECT_TEAM,
        "timezone": "Asia/Shanghai",
    }
    data.update(overrides)
    return data


def test_unit_create_creates_the_unit_and_says_so(client_for, admin, team):
    response = client_for(admin).post(reverse("orgs:unit_create"), _unit_data(parent=team.pk))

    unit = OrgUnit.objects.get(code="futian")
    assert unit.parent == team
    assert response.status_code == 302
    assert response.url == reverse("orgs:unit_detail", kwargs={"orgunit_id": unit.pk})
    assert _levels(response) == [messages.SUCCESS]


def test_unit_create_preselects_the_parent_from_the_query_string(client_for, admin, team):
    response = client_for(admin).get(reverse("orgs:unit_create") + f"?parent={team.pk}")

    assert response.context["form"]["parent"].value() == team.pk


def test_unit_create_with_a_bad_form_shows_field_errors_and_writes_nothing(client_for, admin, city):
    response = client_for(admin).post(reverse("orgs:unit_create"), _unit_data(parent=city.pk, name="", code="a b"))

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "code"}
    assert b"is-invalid" in response.content
    assert not OrgUnit.objects.filter(parent=city).exists()


def test_unit_create_shows_a_taken_code_on_the_code_field(client_for, admin, city, other_city):
    response = client_for(admin).post(reverse("orgs:unit_create"), _unit_data(parent=city.pk, code=other_city.code))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert not OrgUnit.objects.filter(name="福田项目组").exists()


def test_unit_create_refuses_a_parent_outside_the_admins_branch(client_for, admin, other_city):
    response = client_for(admin).post(reverse("orgs:unit_create"), _unit_data(parent=other_city.pk))

    assert list(response.context["form"].errors) == ["parent"]
    assert not OrgUnit.objects.filter(code="futian").exists()


def test_unit_edit_moves_the_unit_under_another_parent(client_for, admin, city, team):
    target = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    url = reverse("orgs:unit_edit", kwargs={"orgunit_id": team.pk})

    response = client_for(admin).post(url, _unit_data(name=team.name, code=team.code, parent=target.pk))

    team.refresh_from_db()
    assert response.status_code == 302
    assert team.parent == target
    assert _levels(response) == [messages.SUCCESS]


def test_unit_edit_does_not_offer_the_units_own_subtree_as_parent(client_for, admin, city, team):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    url = reverse("orgs:unit_edit", kwargs={"orgunit_id": team.pk})

    response = client_for(admin).post(url, _unit_data(name=team.name, code=team.code, parent=phase.pk))

    team.refresh_from_db()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["parent"]
    assert team.parent == city


def test_unit_edit_of_the_admins_own_unit_has_no_parent_field(client_for, admin, city):
    response = client_for(admin).get(reverse("orgs:unit_edit", kwargs={"orgunit_id": city.pk}))

    assert "parent" not in response.context["form"].fields


# Unit activation


def test_unit_deactivate_deactivates_an_empty_unit(client_for, admin, team):
    response = client_for(admin).post(reverse("orgs:unit_deactivate", kwargs={"orgunit_id": team.pk}))

    team.refresh_from_db()
    assert team.is_active is False
    assert _levels(response) == [messages.SUCCESS]


def test_unit_deactivate_explains_why_a_unit_with_staff_stays_active(client_for, admin, team, make_staff):
    make_staff(team, Role.AGENT)

    response = client_for(admin).post(reverse("orgs:unit_deactivate", kwargs={"orgunit_id": team.pk}))

    team.refresh_from_db()
    assert team.is_active is True
    assert _levels(response) == [messages.ERROR]


def test_unit_activate_activates_an_inactive_unit(client_for, admin, team):
    OrgUnit.objects.filter(pk=team.pk).update(is_active=False)

    response = client_for(admin).post(reverse("orgs:unit_activate", kwargs={"orgunit_id": team.pk}))

    team.refresh_from_db()
    assert team.is_active is True
    assert _levels(response) == [messages.SUCCESS]


def test_unit_deactivate_refuses_get(client_for, admin, team):
    response = client_for(admin).get(reverse("orgs:unit_deactivate", kwargs={"orgunit_id": team.pk}))

    assert response.status_code == 405


# Staff list


def test_staff_list_shows_only_staff_of_the_viewers_branch(client_for, admin, agent, outsider):
    response = client_for(admin).get(reverse("orgs:staff_list"))

    assert set(response.context["page_obj"]) == {admin, agent}


def test_staff_list_unit_filter_includes_sub_units(client_for, admin, agent, team, make_staff):
    phase = OrgUnitFactory(parent=team, kind=OrgUnit.Kind.DEPARTMENT)
    in_team, in_phase = make_staff(team), make_staff(phase)

    response = client_for(admin).get(reverse("orgs:staff_list"), {"unit": team.pk})

    assert set(response.context["page_obj"]) == {in_team, in_phase}


def test_staff_list_filters_by_role(client_for, admin, agent, executive):
    response = client_for(admin).get(reverse("orgs:staff_list"), {"role": Role.EXECUTIVE})

    assert list(response.context["page_obj"]) == [executive]


def test_staff_list_filters_disabled_accounts(client_for, admin, agent):
    User.objects.filter(pk=agent.user_id).update(is_active=False)

    response = client_for(admin).get(reverse("orgs:staff_list"), {"status": "disabled"})

    assert list(response.context["page_obj"]) == [agent]


def test_staff_list_searches_by_employee_number(client_for, admin, city, make_staff):
    member = make_staff(city, employee_no="SZ-0042")

    response = client_for(admin).get(reverse("orgs:staff_list"), {"q": "sz-0042"})

    assert list(response.context["page_obj"]) == [member]


def test_staff_list_ignores_a_unit_filter_outside_the_branch(client_for, admin, agent, other_city):
    response = client_for(admin).get(reverse("orgs:staff_list"), {"unit": other_city.pk})

    assert set(response.context["page_obj"]) == {admin, agent}


def test_staff_list_answers_htmx_with_the_rows_only(client_for, admin, agent):
    response = client_for(admin).get(reverse("orgs:staff_list"), {"role": Role.AGENT}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert agent.name.encode() in response.content


def test_staff_list_filter_form_pushes_the_url(client_for, admin):
    response = client_for(admin).get(reverse("orgs:staff_list"))

    assert b'hx-push-url="true"' in response.content


def test_staff_list_query_count_does_not_grow_with_staff(
    client_for, admin, city, team, make_staff, django_assert_num_queries, frozen_clock
):
    for _ in range(3):
        make_staff(team, Role.AGENT, Role.SUPERVISOR)

    def add_rows() -> None:
        for _ in range(3):
            make_staff(OrgUnitFactory(parent=city), Role.INSPECTOR)

    url = reverse("orgs:staff_list") + f"?unit={city.pk}&q=staff"
    _assert_constant_queries(client_for(admin), url, add_rows, django_assert_num_queries)


def test_staff_list_htmx_query_count_does_not_grow_with_staff(
    client_for, admin, city, make_staff, django_assert_num_queries, frozen_clock
):
    for _ in range(3):
        make_staff(city, Role.AGENT)
    client = client_for(admin)
    client.defaults["HTTP_HX_REQUEST"] = "true"

    def add_rows() -> None:
        for _ in range(3):
            make_staff(city, Role.AGENT)

    _assert_constant_queries(client, reverse("orgs:staff_list"), add_rows, django_assert_num_queries)


# Staff detail


def test_staff_detail_shows_the_accounts_security_events_to_an_admin(client_for, admin, agent, outsider):
    own = security_event_record(kind=SecurityEvent.Kind.LOGIN, username=agent.user.username, user=agent.user)
    security_event_record(kind=SecurityEvent.Kind.LOGIN, username=outsider.user.username, user=outsider.user)

    response = client_for(admin).get(reverse("orgs:staff_detail", kwargs={"staff_id": agent.pk}))

    assert list(response.context["events"]) == [own]


def test_staff_detail_hides_security_events_from_an_executive(client_for, executive, agent):
    security_event_record(kind=SecurityEvent.Kind.LOGIN, username=agent.user.username, user=agent.user)

    response = client_for(executive).get(reverse("orgs:staff_detail", kwargs={"staff_id": agent.pk}))

    assert response.context["events"] is None


def test_staff_detail_disable_form_asks_for_confirmation(client_for, admin, agent):
    response = client_for(admin).get(reverse("orgs:staff_detail", kwargs={"staff_id": agent.pk}))

    action = reverse("orgs:staff_disable", kwargs={"staff_id": agent.pk})
    assert f'action="{action}" data-confirm="'.encode() in response.content


# Staff create and edit


def _staff_data(unit: OrgUnit, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "wangfang",
        "name": "王芳",
        "unit": unit.pk,
        "roles": [Role.AGENT, Role.SUPERVISOR],
        "title": "客服主管",
        "mobile": "13800138000",
        "employee_no": "E-1001",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def test_staff_create_creates_the_account_and_says_so(client_for, admin, team):
    response = client_for(admin).post(reverse("orgs:staff_create"), _staff_data(team))

    member = Membership.objects.get(user__username="wangfang")
    assert (member.unit, member.role_set) == (team, {Role.AGENT, Role.SUPERVISOR})
    assert member.user.check_password(NEW_PASSWORD)
    assert response.url == reverse("orgs:staff_detail", kwargs={"staff_id": member.pk})
    assert _levels(response) == [messages.SUCCESS]


def test_staff_create_shows_a_weak_password_on_the_password_field(client_for, admin, city):
    data = _staff_data(city, password="password123", password_confirm="password123")

    response = client_for(admin).post(reverse("orgs:staff_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["password"]
    assert not User.objects.filter(username="wangfang").exists()


def test_staff_create_without_roles_shows_the_error_on_roles(client_for, admin, city):
    data = _staff_data(city)
    del data["roles"]

    response = client_for(admin).post(reverse("orgs:staff_create"), data)

    assert list(response.context["form"].errors) == ["roles"]
    assert not User.objects.filter(username="wangfang").exists()


def test_staff_create_shows_a_taken_username_on_the_username_field(client_for, admin, city, agent):
    response = client_for(admin).post(reverse("orgs:staff_create"), _staff_data(city, username=agent.user.username))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["username"]
    assert not Membership.objects.filter(name="王芳").exists()


def test_staff_create_with_mismatched_passwords_writes_nothing(client_for, admin, city):
    response = client_for(admin).post(reverse("orgs:staff_create"), _staff_data(city, password_confirm="Other-Pass-99"))

    assert list(response.context["form"].errors) == ["password_confirm"]
    assert not User.objects.filter(username="wangfang").exists()


def test_staff_edit_saves_profile_unit_and_roles(client_for, admin, agent, team):
    data = _staff_data(team, name="张三丰", roles=[Role.INSPECTOR])

    response = client_for(admin).post(reverse("orgs:staff_edit", kwargs={"staff_id": agent.pk}), data)

    member = Membership.objects.get(pk=agent.pk)
    assert (member.name, member.unit, member.role_set) == ("张三丰", team, {Role.INSPECTOR})
    assert member.user.username == agent.user.username
    assert _levels(response) == [messages.SUCCESS]


def test_staff_edit_with_a_bad_form_writes_nothing(client_for, admin, agent, city):
    data = _staff_data(city, name="", mobile="call me")

    response = client_for(admin).post(reverse("orgs:staff_edit", kwargs={"staff_id": agent.pk}), data)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "mobile"}
    assert Membership.objects.get(pk=agent.pk).name == "张三"


def test_staff_edit_refuses_dropping_the_admins_own_admin_role(client_for, admin, city):
    data = _staff_data(city, name=admin.name, roles=[Role.EXECUTIVE])

    response = client_for(admin).post(reverse("orgs:staff_edit", kwargs={"staff_id": admin.pk}), data)

    assert list(response.context["form"].errors) == ["roles"]
    assert Membership.objects.get(pk=admin.pk).role_set == {Role.ADMIN}


# Disable, enable, reset password


def test_staff_disable_disables_the_account_and_says_so(client_for, admin, agent):
    response = client_for(admin).post(reverse("orgs:staff_disable", kwargs={"staff_id": agent.pk}))

    agent.user.refresh_from_db()
    assert agent.user.is_active is False
    assert _levels(response) == [messages.SUCCESS]


def test_staff_disable_of_oneself_is_refused_with_a_message(client_for, admin):
    response = client_for(admin).post(reverse("orgs:staff_disable", kwargs={"staff_id": admin.pk}))

    admin.user.refresh_from_db()
    assert admin.user.is_active is True
    assert _levels(response) == [messages.ERROR]


def test_staff_enable_enables_the_account_and_says_so(client_for, admin, agent):
    User.objects.filter(pk=agent.user_id).update(is_active=False)

    response = client_for(admin).post(reverse("orgs:staff_enable", kwargs={"staff_id": agent.pk}))

    agent.user.refresh_from_db()
    assert agent.user.is_active is True
    assert _levels(response) == [messages.SUCCESS]


def test_staff_reset_password_sets_the_password_and_says_so(client_for, admin, agent):
    url = reverse("orgs:staff_reset_password", kwargs={"staff_id": agent.pk})

    response = client_for(admin).post(url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    agent.user.refresh_from_db()
    assert agent.user.check_password(NEW_PASSWORD)
    assert _levels(response) == [messages.SUCCESS]


def test_staff_reset_password_shows_a_weak_password_on_the_field(client_for, admin, agent):
    url = reverse("orgs:staff_reset_password", kwargs={"staff_id": agent.pk})

    response = client_for(admin).post(url, {"password": "12345678", "password_confirm": "12345678"})

    agent.user.refresh_from_db()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["password"]
    assert agent.user.check_password(TEST_PASSWORD)
