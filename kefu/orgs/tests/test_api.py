from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kefu.accounts.models import User
from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory


def _assert_constant_queries(
    client: APIClient, url: str, add_rows: Callable[[], None], django_assert_num_queries: Callable
) -> None:
    client.get(url)  # loads the caller's membership, which the forced user then keeps
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    add_rows()

    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


# Units


def test_orgunit_list_returns_the_callers_branch(api_client_for, admin, city, team, other_city):
    response = api_client_for(admin).get(reverse("api:orgunit_list"))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [city.pk, team.pk]


def test_orgunit_list_reports_counts_and_parent(api_client_for, admin, city, team, make_staff):
    make_staff(team, Role.AGENT)

    response = api_client_for(admin).get(reverse("api:orgunit_list"), {"unit": team.pk})

    row = response.json()["results"][0]
    assert (row["id"], row["parent_id"], row["staff_count"], row["child_count"]) == (team.pk, city.pk, 1, 0)


def test_orgunit_list_searches_name_and_code(api_client_for, admin, team):
    response = api_client_for(admin).get(reverse("api:orgunit_list"), {"q": "NANSHAN"})

    assert [row["id"] for row in response.json()["results"]] == [team.pk]


def test_orgunit_list_filters_by_status(api_client_for, admin, city, team):
    OrgUnit.objects.filter(pk=team.pk).update(is_active=False)

    response = api_client_for(admin).get(reverse("api:orgunit_list"), {"is_active": "false"})

    assert [row["id"] for row in response.json()["results"]] == [team.pk]


def test_orgunit_list_requires_authentication():
    response = APIClient().get(reverse("api:orgunit_list"))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_orgunit_list_refuses_an_agent(api_client_for, agent):
    assert api_client_for(agent).get(reverse("api:orgunit_list")).status_code == 403


def test_orgunit_list_query_count_does_not_grow_with_units(api_client_for, admin, city, django_assert_num_queries):
    for _ in range(3):
        OrgUnitFactory(parent=city)

    def add_rows() -> None:
        for _ in range(3):
            OrgUnitFactory(parent=city)

    _assert_constant_queries(api_client_for(admin), reverse("api:orgunit_list"), add_rows, django_assert_num_queries)


def test_orgunit_detail_returns_a_unit_of_the_branch(api_client_for, admin, team):
    response = api_client_for(admin).get(reverse("api:orgunit_detail", kwargs={"orgunit_id": team.pk}))

    assert response.status_code == 200
    assert (response.json()["code"], response.json()["kind"]) == ("nanshan", OrgUnit.Kind.PROJECT_TEAM)


def test_orgunit_detail_answers_404_for_a_unit_of_another_branch(api_client_for, outsider, team):
    response = api_client_for(outsider).get(reverse("api:orgunit_detail", kwargs={"orgunit_id": team.pk}))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": response.json()["message"], "fields": {}}


def test_orgunit_detail_requires_authentication(team):
    response = APIClient().get(reverse("api:orgunit_detail", kwargs={"orgunit_id": team.pk}))

    assert response.status_code == 401


# Staff


def test_staff_list_returns_staff_of_the_callers_branch(api_client_for, admin, agent, outsider):
    response = api_client_for(admin).get(reverse("api:staff_list"))

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {admin.pk, agent.pk}


def test_staff_list_serialises_unit_roles_and_account(api_client_for, admin, city, make_staff):
    member = make_staff(city, Role.SUPERVISOR, Role.AGENT, username="wangfang", mobile="13800138000")

    response = api_client_for(admin).get(reverse("api:staff_list"), {"q": "wangfang"})

    [row] = response.json()["results"]
    assert row["id"] == member.pk
    assert row["unit"] == {"id": city.pk, "name": city.name, "kind": city.kind}
    assert row["roles"] == [Role.AGENT, Role.SUPERVISOR]
    assert (row["username"], row["mobile"], row["is_active"]) == ("wangfang", "13800138000", True)


def test_staff_list_filters_by_role(api_client_for, admin, agent):
    response = api_client_for(admin).get(reverse("api:staff_list"), {"role": Role.AGENT})

    assert [row["id"] for row in response.json()["results"]] == [agent.pk]


def test_staff_list_filters_by_unit_with_sub_units(api_client_for, admin, team, make_staff):
    phase = OrgUnitFactory(parent=team)
    in_team, in_phase = make_staff(team), make_staff(phase)

    response = api_client_for(admin).get(reverse("api:staff_list"), {"unit": team.pk})

    assert {row["id"] for row in response.json()["results"]} == {in_team.pk, in_phase.pk}


def test_staff_list_filters_by_account_status(api_client_for, admin, agent):
    User.objects.filter(pk=agent.user_id).update(is_active=False)

    response = api_client_for(admin).get(reverse("api:staff_list"), {"is_active": "false"})

    assert [row["id"] for row in response.json()["results"]] == [agent.pk]


def test_staff_list_rejects_an_unknown_role_with_a_field_error(api_client_for, admin):
    response = api_client_for(admin).get(reverse("api:staff_list"), {"role": "mayor"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["role"]


def test_staff_list_requires_authentication():
    assert APIClient().get(reverse("api:staff_list")).status_code == 401


def test_staff_list_query_count_does_not_grow_with_staff(
    api_client_for, admin, city, make_staff, django_assert_num_queries
):
    for _ in range(3):
        make_staff(city, Role.AGENT, Role.INSPECTOR)

    def add_rows() -> None:
        for _ in range(3):
            make_staff(OrgUnitFactory(parent=city), Role.SUPERVISOR)

    _assert_constant_queries(api_client_for(admin), reverse("api:staff_list"), add_rows, django_assert_num_queries)


def test_staff_detail_returns_a_member_of_the_branch(api_client_for, admin, agent):
    response = api_client_for(admin).get(reverse("api:staff_detail", kwargs={"staff_id": agent.pk}))

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["roles"]) == ("张三", [Role.AGENT])


def test_staff_detail_answers_404_for_a_member_of_another_branch(api_client_for, outsider, agent):
    response = api_client_for(outsider).get(reverse("api:staff_detail", kwargs={"staff_id": agent.pk}))

    assert response.status_code == 404


def test_staff_detail_requires_authentication(agent):
    assert APIClient().get(reverse("api:staff_detail", kwargs={"staff_id": agent.pk})).status_code == 401


@pytest.mark.parametrize("name", ["api:orgunit_list", "api:staff_list"])
def test_list_endpoint_works_with_a_bearer_token(admin, name):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=admin.user).key}")

    assert client.get(reverse(name)).status_code == 200
