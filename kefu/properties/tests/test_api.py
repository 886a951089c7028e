"""The property API: scoped reads, writes through the services, one error shape."""

import pytest

from kefu.core.roles import Role
from kefu.properties.models import Unit
from kefu.properties.tests.factories import BuildingFactory, CommonPartFactory, ProjectFactory, UnitFactory


@pytest.fixture
def building(city):
    return BuildingFactory(project=ProjectFactory(organisation=city, name="H小区"), code="3", floors_above=26)


def test_unit_list_api_returns_own_units(api_client_for, agent, building):
    UnitFactory(building=building, number="1202")

    response = api_client_for(agent).get("/api/v1/units/")

    assert response.status_code == 200
    assert [u["label"] for u in response.json()["results"]] == ["3-1-1202"]


def test_unit_list_api_hides_another_units_rows(api_client_for, outsider, building):
    UnitFactory(building=building)

    response = api_client_for(outsider).get("/api/v1/units/")

    assert response.json()["results"] == []


def test_unit_list_api_runs_a_constant_number_of_queries(client_for, agent, building, django_assert_num_queries):
    client = client_for(agent)  # a real session: the count includes loading the user and roles
    UnitFactory(building=building)
    client.get("/api/v1/units/")  # warm the membership and session caches of this client
    for _ in range(5):
        UnitFactory(building=building)

    with django_assert_num_queries(5):
        response = client.get("/api/v1/units/")

    assert len(response.json()["results"]) == 6


def test_unit_list_api_pages_by_cursor(api_client_for, agent, building):
    for n in range(5):
        UnitFactory(building=building, number=f"{n + 1}01")
    client = api_client_for(agent)

    first = client.get("/api/v1/units/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert {u["id"] for u in first["results"]}.isdisjoint({u["id"] for u in second["results"]})


def test_unit_list_api_filters_by_label(api_client_for, agent, building):
    UnitFactory(building=building, number="1202")
    UnitFactory(building=building, number="1301")

    response = api_client_for(agent).get("/api/v1/units/?q=1202")

    assert [u["number"] for u in response.json()["results"]] == ["1202"]


def test_unit_list_api_rejects_a_bad_filter_naming_it(api_client_for, agent):
    response = api_client_for(agent).get("/api/v1/units/?floor=high")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["floor"]


def test_unit_detail_api_returns_own_unit(api_client_for, agent, building):
    unit = UnitFactory(building=building, number="1202")

    response = api_client_for(agent).get(f"/api/v1/units/{unit.pk}/")

    assert response.status_code == 200
    assert response.json()["label"] == "3-1-1202"


def test_unit_detail_api_is_404_for_another_unit(api_client_for, outsider, building):
    unit = UnitFactory(building=building)

    response = api_client_for(outsider).get(f"/api/v1/units/{unit.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unit_create_api_creates_a_unit(api_client_for, admin, building):
    body = {"building": building.pk, "entrance": "2", "floor": 12, "number": "1201", "gross_area": "118.60"}

    response = api_client_for(admin).post("/api/v1/units/", body, format="json")

    assert response.status_code == 201
    assert Unit.objects.get(pk=response.json()["id"]).label == "3-2-1201"


def test_unit_create_api_is_403_for_an_agent(api_client_for, agent, building):
    response = api_client_for(agent).post(
        "/api/v1/units/", {"building": building.pk, "floor": 1, "number": "101"}, format="json"
    )

    assert response.status_code == 403
    assert not Unit.objects.exists()


def test_unit_create_api_names_the_field_of_a_service_error(api_client_for, admin, building):
    body = {"building": building.pk, "floor": 30, "number": "3001"}

    response = api_client_for(admin).post("/api/v1/units/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["floor"]


def test_unit_create_api_rejects_another_units_building_as_a_field_error(api_client_for, outsider, building):
    response = api_client_for(outsider).post(
        "/api/v1/units/", {"building": building.pk, "floor": 1, "number": "101"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["building"]


def test_unit_create_api_answers_409_for_a_duplicate_number(api_client_for, admin, building):
    UnitFactory(building=building, entrance="1", number="101", floor=1)
    body = {"building": building.pk, "entrance": "1", "floor": 1, "number": "101"}

    response = api_client_for(admin).post("/api/v1/units/", body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "unit_number_taken"


def test_unit_update_api_changes_the_layout(api_client_for, admin, building):
    unit = UnitFactory(building=building, number="101", floor=1)
    body = {"building": building.pk, "entrance": "1", "floor": 1, "number": "101", "layout": "4室2厅2卫"}

    response = api_client_for(admin).put(f"/api/v1/units/{unit.pk}/", body, format="json")

    assert response.status_code == 200
    unit.refresh_from_db()
    assert unit.layout == "4室2厅2卫"


def test_unit_update_api_is_404_for_another_unit(api_client_for, outsider, building):
    unit = UnitFactory(building=building, number="101", floor=1)
    body = {"building": building.pk, "floor": 1, "number": "999"}

    response = api_client_for(outsider).put(f"/api/v1/units/{unit.pk}/", body, format="json")

    assert response.status_code == 404
    unit.refresh_from_db()
    assert unit.number == "101"


def test_project_list_api_counts_units(api_client_for, agent, building):
    UnitFactory(building=building)
    UnitFactory(building=building)

    response = api_client_for(agent).get("/api/v1/projects/")

    assert [(p["name"], p["unit_count"]) for p in response.json()["results"]] == [("H小区", 2)]


def test_project_list_api_runs_a_constant_number_of_queries(client_for, agent, city, django_assert_num_queries):
    client = client_for(agent)
    client.get("/api/v1/projects/")
    for _ in range(3):
        BuildingFactory(project=ProjectFactory(organisation=city))

    with django_assert_num_queries(5):
        response = client.get("/api/v1/projects/")

    assert len(response.json()["results"]) == 3


def test_project_create_api_refuses_an_organisation_outside_scope(api_client_for, admin, other_city):
    body = {"organisation": other_city.pk, "name": "越界项目", "code": "outside"}

    response = api_client_for(admin).post("/api/v1/projects/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["organisation"]


def test_project_create_api_creates_in_scope(api_client_for, admin, city):
    body = {"organisation": city.pk, "name": "前海湾花园", "code": "qianhai"}

    response = api_client_for(admin).post("/api/v1/projects/", body, format="json")

    assert response.status_code == 201
    assert response.json()["organisation"] == city.pk


def test_project_detail_api_is_404_for_another_unit(api_client_for, outsider, building):
    response = api_client_for(outsider).get(f"/api/v1/projects/{building.project_id}/")

    assert response.status_code == 404


def test_building_detail_api_is_404_for_another_unit(api_client_for, outsider, building):
    response = api_client_for(outsider).get(f"/api/v1/buildings/{building.pk}/")

    assert response.status_code == 404


def test_building_list_api_filters_by_project(api_client_for, agent, building, city):
    BuildingFactory(project=ProjectFactory(organisation=city))

    response = api_client_for(agent).get(f"/api/v1/buildings/?project={building.project_id}")

    assert [b["id"] for b in response.json()["results"]] == [building.pk]


def test_commonpart_detail_api_is_404_for_another_unit(api_client_for, outsider, building):
    part = CommonPartFactory(project=building.project)

    response = api_client_for(outsider).get(f"/api/v1/common-parts/{part.pk}/")

    assert response.status_code == 404


def test_commonpart_list_api_returns_own_parts(api_client_for, agent, building):
    part = CommonPartFactory(project=building.project, name="地下车库")

    response = api_client_for(agent).get("/api/v1/common-parts/")

    assert [p["id"] for p in response.json()["results"]] == [part.pk]


def test_property_api_is_403_for_a_contractor(api_client_for, city, make_staff):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = api_client_for(contractor).get("/api/v1/units/")

    assert response.status_code == 403


def test_property_api_accepts_a_bearer_token(client, agent, building):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=agent.user)

    response = client.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {token.key}")

    assert response.status_code == 200
