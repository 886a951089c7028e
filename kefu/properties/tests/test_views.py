from dataclasses import dataclass

import pytest
from django.contrib.messages import SUCCESS, get_messages
from django.urls import reverse

from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.properties.models import Building, CommonPart, Project, Unit
from kefu.properties.tests.factories import BuildingFactory, CommonPartFactory, ProjectFactory, UnitFactory


@dataclass(frozen=True)
class Estate:
    project: Project
    building: Building
    unit: Unit
    part: CommonPart


@pytest.fixture
def estate(city: OrgUnit) -> Estate:
    building = BuildingFactory(project__organisation=city, project__name="H小区", code="3", name="3栋", floors_above=26)
    unit = UnitFactory(building=building, entrance="1", floor=12, number="1202", layout="3室2厅2卫")
    part = CommonPartFactory(project=building.project, building=building, floor=1, name="一层大堂")
    return Estate(project=building.project, building=building, unit=unit, part=part)


def _url(name: str, estate: Estate) -> str:
    kwargs = {
        "properties:project_detail": {"project_id": estate.project.pk},
        "properties:project_edit": {"project_id": estate.project.pk},
        "properties:building_create": {"project_id": estate.project.pk},
        "properties:building_detail": {"building_id": estate.building.pk},
        "properties:building_edit": {"building_id": estate.building.pk},
        "properties:unit_detail": {"unit_id": estate.unit.pk},
        "properties:unit_edit": {"unit_id": estate.unit.pk},
        "properties:commonpart_edit": {"commonpart_id": estate.part.pk},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


def _success_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == SUCCESS]


OBJECT_PAGES = [
    "properties:project_detail",
    "properties:project_edit",
    "properties:building_create",
    "properties:building_detail",
    "properties:building_edit",
    "properties:unit_detail",
    "properties:unit_edit",
    "properties:commonpart_edit",
]
MANAGE_PAGES = [
    "properties:project_create",
    "properties:project_edit",
    "properties:building_create",
    "properties:building_edit",
    "properties:unit_create",
    "properties:unit_edit",
    "properties:commonpart_create",
    "properties:commonpart_edit",
]
LIST_PAGES = ["properties:project_list", "properties:unit_list", "properties:commonpart_list"]


# who may open what


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_object_page_hides_other_units_object(name, estate, outsider, client_for):
    response = client_for(outsider).get(_url(name, estate))

    assert response.status_code == 404


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_page_refuses_non_admin(name, estate, agent, client_for):
    response = client_for(agent).get(_url(name, estate))

    assert response.status_code == 403


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_page_opens_for_admin(name, estate, admin, client_for):
    response = client_for(admin).get(_url(name, estate))

    assert response.status_code == 200


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_page_refuses_contractor(name, city, make_staff, client_for):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = client_for(contractor).get(reverse(name))

    assert response.status_code == 403


# projects


def test_project_list_shows_projects_with_counts(estate, agent, client_for):
    response = client_for(agent).get(reverse("properties:project_list"))

    page = response.context["page_obj"]
    assert [(p.name, p.building_count, p.unit_count) for p in page] == [("H小区", 1, 1)]
    assert "H小区" in response.content.decode()


def test_project_list_hides_new_project_button_from_non_admin(estate, agent, client_for):
    response = client_for(agent).get(reverse("properties:project_list"))

    assert reverse("properties:project_create") not in response.content.decode()


def test_project_list_shows_new_project_button_to_admin(estate, admin, client_for):
    response = client_for(admin).get(reverse("properties:project_list"))

    assert reverse("properties:project_create") in response.content.decode()


def test_project_list_filters_by_search(estate, agent, city, client_for):
    ProjectFactory(organisation=city, name="前海湾花园")

    response = client_for(agent).get(reverse("properties:project_list"), {"q": "前海"})

    assert [p.name for p in response.context["page_obj"]] == ["前海湾花园"]


def test_project_list_hides_other_units_projects(estate, outsider, client_for):
    response = client_for(outsider).get(reverse("properties:project_list"))

    assert list(response.context["page_obj"]) == []
    assert "H小区" not in response.content.decode()


@pytest.mark.parametrize("rows", [3, 6])
def test_project_list_page_runs_constant_queries(rows, agent, city, client_for, django_assert_num_queries):
    for _ in range(rows):
        UnitFactory(building__project__organisation=city)
    client = client_for(agent)

    # 8 for the session, user, membership, security policy and session refresh; 2 for the page.
    with django_assert_num_queries(10):
        response = client.get(reverse("properties:project_list"))

    assert len(response.context["page_obj"]) == rows


def test_project_detail_shows_summary_and_buildings(estate, agent, client_for):
    response = client_for(agent).get(_url("properties:project_detail", estate))

    body = response.content.decode()
    assert response.context["summary"].units == 1
    assert reverse("properties:building_detail", kwargs={"building_id": estate.building.pk}) in body
    assert 'id="chart-delivery-standards"' in body


def test_project_create_creates_project_and_redirects(admin, city, client_for):
    data = {"organisation": city.pk, "name": "H小区", "code": "h-xiaoqu", "city": "深圳"}

    response = client_for(admin).post(reverse("properties:project_create"), data)

    project = Project.objects.get(code="h-xiaoqu")
    assert response.status_code == 302
    assert response["Location"] == reverse("properties:project_detail", kwargs={"project_id": project.pk})
    assert len(_success_messages(response)) == 1


def test_project_create_shows_code_error_and_writes_nothing(estate, admin, city, client_for):
    data = {"organisation": city.pk, "name": "Another", "code": estate.project.code}

    response = client_for(admin).post(reverse("properties:project_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert not Project.objects.filter(name="Another").exists()


def test_project_create_offers_only_units_in_scope(admin, city, other_city, client_for):
    response = client_for(admin).get(reverse("properties:project_create"))

    assert list(response.context["form"].fields["organisation"].queryset) == [city]


def test_project_edit_saves_and_redirects(estate, admin, city, client_for):
    data = {"organisation": city.pk, "name": "H小区二期", "code": estate.project.code}

    response = client_for(admin).post(_url("properties:project_edit", estate), data)

    estate.project.refresh_from_db()
    assert response.status_code == 302
    assert estate.project.name == "H小区二期"
    assert len(_success_messages(response)) == 1


# buildings


def test_building_detail_shows_grid_and_common_parts(estate, agent, client_for):
    response = client_for(agent).get(_url("properties:building_detail", estate))

    body = response.content.decode()
    assert reverse("properties:unit_detail", kwargs={"unit_id": estate.unit.pk}) in body
    assert "kefu-cell-shell" in body
    assert "一层大堂" in body


def test_building_create_creates_building_and_redirects(estate, admin, client_for):
    data = {"code": "5", "name": "5栋", "floors_above": 25, "floors_below": 1}

    response = client_for(admin).post(_url("properties:building_create", estate), data)

    building = estate.project.buildings.get(code="5")
    assert response["Location"] == reverse("properties:building_detail", kwargs={"building_id": building.pk})
    assert len(_success_messages(response)) == 1


def test_building_edit_shows_floors_error_and_writes_nothing(estate, admin, client_for):
    data = {"code": "3", "name": "3栋", "floors_above": 10, "floors_below": 0}

    response = client_for(admin).post(_url("properties:building_edit", estate), data)

    estate.building.refresh_from_db()
    assert list(response.context["form"].errors) == ["floors_above"]
    assert estate.building.floors_above == 26


def test_building_edit_saves_and_redirects(estate, admin, client_for):
    data = {"code": "3", "name": "3号楼", "floors_above": 26, "floors_below": 1}

    response = client_for(admin).post(_url("properties:building_edit", estate), data)

    estate.building.refresh_from_db()
    assert response.status_code == 302
    assert (estate.building.name, estate.building.floors_below) == ("3号楼", 1)


# units


def test_unit_list_shows_units(estate, agent, client_for):
    response = client_for(agent).get(reverse("properties:unit_list"))

    assert list(response.context["page_obj"]) == [estate.unit]
    assert "3-1-1202" in response.content.decode()


def test_unit_list_searches_label(estate, agent, client_for):
    UnitFactory(building=estate.building, entrance="2", floor=12, number="1202")

    response = client_for(agent).get(reverse("properties:unit_list"), {"q": "3-1-1202"})

    assert list(response.context["page_obj"]) == [estate.unit]


def test_unit_list_ignores_building_of_another_project(estate, agent, city, client_for):
    other = BuildingFactory(project__organisation=city)

    response = client_for(agent).get(
        reverse("properties:unit_list"), {"project": estate.project.pk, "building": other.pk}
    )

    assert list(response.context["page_obj"]) == [estate.unit]


def test_unit_list_htmx_renders_rows_only(estate, agent, client_for):
    response = client_for(agent).get(reverse("properties:unit_list"), {"q": "1202"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "3-1-1202" in body
    assert "<html" not in body


def test_unit_list_hides_other_units_units(estate, outsider, client_for):
    response = client_for(outsider).get(reverse("properties:unit_list"))

    assert list(response.context["page_obj"]) == []
    assert reverse("properties:unit_detail", kwargs={"unit_id": estate.unit.pk}) not in response.content.decode()


@pytest.mark.parametrize("rows", [3, 7])
def test_unit_list_page_runs_constant_queries(rows, agent, city, client_for, django_assert_num_queries):
    building = BuildingFactory(project__organisation=city)
    UnitFactory.create_batch(rows, building=building)
    client = client_for(agent)

    # 8 for the session and membership; 5 for the page: filter choices (projects, buildings,
    # layouts), the paginator's COUNT and the rows with their project and building.
    with django_assert_num_queries(13):
        response = client.get(reverse("properties:unit_list"))

    assert len(response.context["page_obj"]) == rows


def test_unit_detail_shows_unit(estate, agent, client_for):
    response = client_for(agent).get(_url("properties:unit_detail", estate))

    body = response.content.decode()
    assert "3-1-1202" in body
    assert "3室2厅2卫" in body


def _unit_data(estate: Estate, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "project": estate.project.pk,
        "building": estate.building.pk,
        "entrance": "1",
        "floor": 8,
        "number": "801",
        "gross_area": "118.60",
        "usable_area": "95.20",
        "layout": "3室2厅2卫",
        "delivery_standard": "fitted",
    }
    data.update(overrides)
    return data


def test_unit_create_creates_unit_and_redirects(estate, admin, client_for):
    response = client_for(admin).post(reverse("properties:unit_create"), _unit_data(estate))

    unit = estate.building.units.get(number="801")
    assert response["Location"] == reverse("properties:unit_detail", kwargs={"unit_id": unit.pk})
    assert unit.label == "3-1-801"
    assert len(_success_messages(response)) == 1


def test_unit_create_shows_floor_error_and_writes_nothing(estate, admin, client_for):
    response = client_for(admin).post(reverse("properties:unit_create"), _unit_data(estate, floor=0))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["floor"]
    assert not estate.building.units.filter(number="801").exists()


def test_unit_create_shows_area_error_and_writes_nothing(estate, admin, client_for):
    data = _unit_data(estate, gross_area="80", usable_area="90")

    response = client_for(admin).post(reverse("properties:unit_create"), data)

    assert list(response.context["form"].errors) == ["usable_area"]
    assert not estate.building.units.filter(number="801").exists()


def test_unit_create_offers_buildings_of_chosen_project(estate, admin, city, client_for):
    BuildingFactory(project__organisation=city)

    response = client_for(admin).get(reverse("properties:unit_create"), {"project": estate.project.pk})

    assert list(response.context["form"].fields["building"].queryset) == [estate.building]


def test_unit_edit_saves_and_redirects(estate, admin, client_for):
    data = _unit_data(estate, floor=12, number="1202", layout="4室2厅2卫")
    del data["project"]

    response = client_for(admin).post(_url("properties:unit_edit", estate), data)

    estate.unit.refresh_from_db()
    assert response.status_code == 302
    assert estate.unit.layout == "4室2厅2卫"
    assert len(_success_messages(response)) == 1


# common parts


def test_commonpart_list_shows_parts(estate, agent, client_for):
    response = client_for(agent).get(reverse("properties:commonpart_list"), {"project": estate.project.pk})

    assert list(response.context["page_obj"]) == [estate.part]
    assert "一层大堂" in response.content.decode()


def test_commonpart_list_hides_other_units_parts(estate, outsider, client_for):
    response = client_for(outsider).get(reverse("properties:commonpart_list"))

    assert list(response.context["page_obj"]) == []


def test_commonpart_create_redirects_to_building(estate, admin, client_for):
    data = {
        "project": estate.project.pk,
        "building": estate.building.pk,
        "floor": 12,
        "kind": "lift_lobby",
        "name": "12层电梯厅",
    }

    response = client_for(admin).post(reverse("properties:commonpart_create"), data)

    assert estate.project.common_parts.filter(name="12层电梯厅", floor=12).exists()
    assert response["Location"] == _url("properties:building_detail", estate)
    assert len(_success_messages(response)) == 1


def test_commonpart_create_shows_floor_error_and_writes_nothing(estate, admin, client_for):
    data = {"project": estate.project.pk, "floor": 3, "kind": "corridor", "name": "走廊"}

    response = client_for(admin).post(reverse("properties:commonpart_create"), data)

    assert list(response.context["form"].errors) == ["floor"]
    assert not estate.project.common_parts.filter(name="走廊").exists()


def test_commonpart_edit_saves_and_redirects(estate, admin, client_for):
    data = {"building": estate.building.pk, "floor": 1, "kind": "lobby", "name": "首层大堂"}

    response = client_for(admin).post(_url("properties:commonpart_edit", estate), data)

    estate.part.refresh_from_db()
    assert response.status_code == 302
    assert estate.part.name == "首层大堂"


def test_commonpart_edit_shows_name_error_and_writes_nothing(estate, admin, client_for):
    CommonPartFactory(project=estate.project, building=estate.building, floor=1, name="电梯厅")
    data = {"building": estate.building.pk, "floor": 1, "kind": "lobby", "name": "电梯厅"}

    response = client_for(admin).post(_url("properties:commonpart_edit", estate), data)

    estate.part.refresh_from_db()
    assert list(response.context["form"].errors) == ["name"]
    assert estate.part.name == "一层大堂"
