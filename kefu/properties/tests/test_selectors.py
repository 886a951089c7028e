from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.http import Http404

from kefu.properties.models import Unit
from kefu.properties.selectors import (
    building_get,
    building_grid,
    building_list_for_project,
    commonpart_get,
    commonpart_list,
    project_get,
    project_list,
    project_summary,
    unit_get,
    unit_layouts,
    unit_list,
)
from kefu.properties.tests.factories import BuildingFactory, CommonPartFactory, ProjectFactory, UnitFactory

FITTED, BASIC, SHELL = Unit.DeliveryStandard.FITTED, Unit.DeliveryStandard.BASIC, Unit.DeliveryStandard.SHELL


# projects


def test_project_list_counts_buildings_and_units(agent, city):
    building = BuildingFactory(project__organisation=city)
    BuildingFactory(project=building.project)
    UnitFactory.create_batch(3, building=building)

    (project,) = project_list(viewer=agent)

    assert (project.building_count, project.unit_count) == (2, 3)


def test_project_list_counts_zero_for_empty_project(agent, city):
    ProjectFactory(organisation=city)

    (project,) = project_list(viewer=agent)

    assert (project.building_count, project.unit_count) == (0, 0)


def test_project_list_filters_by_name(agent, city):
    ProjectFactory(organisation=city, name="H小区")
    ProjectFactory(organisation=city, name="前海湾花园")

    names = [p.name for p in project_list(viewer=agent, q="前海")]

    assert names == ["前海湾花园"]


def test_project_list_includes_projects_of_units_below(group_admin, city):
    project = ProjectFactory(organisation=city)

    assert list(project_list(viewer=group_admin)) == [project]


def test_project_list_hides_other_units_projects(outsider, city):
    ProjectFactory(organisation=city)

    assert list(project_list(viewer=outsider)) == []


@pytest.mark.parametrize("rows", [3, 7])
def test_project_list_page_runs_constant_queries(agent, city, rows, django_assert_num_queries):
    for _ in range(rows):
        UnitFactory(building__project__organisation=city)

    with django_assert_num_queries(2):  # COUNT for the paginator, then the page with its counts
        page = Paginator(project_list(viewer=agent), 50).get_page(1)
        rendered = [(p.name, p.organisation.name, p.building_count, p.unit_count) for p in page]

    assert len(rendered) == rows


def test_project_get_returns_visible_project(agent, city):
    project = ProjectFactory(organisation=city)

    assert project_get(viewer=agent, project_id=project.pk) == project


def test_project_get_hides_other_units_project(outsider, city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(Http404):
        project_get(viewer=outsider, project_id=project.pk)


def test_project_summary_totals_units_area_and_standards(agent, city):
    building = BuildingFactory(project__organisation=city)
    UnitFactory(building=building, gross_area=Decimal("100.50"), delivery_standard=FITTED)
    UnitFactory(building=building, gross_area=Decimal("80.25"), delivery_standard=FITTED)
    UnitFactory(building=building, gross_area=None, usable_area=None, delivery_standard=BASIC)
    CommonPartFactory(project=building.project)

    summary = project_summary(viewer=agent, project=building.project)

    assert (summary.buildings, summary.units, summary.common_parts) == (1, 3, 1)
    assert summary.gross_area == Decimal("180.75")
    assert summary.by_standard == [(SHELL, 0), (BASIC, 1), (FITTED, 2)]


# buildings


def test_building_list_for_project_counts_units_and_parts(agent, city):
    building = BuildingFactory(project__organisation=city)
    UnitFactory.create_batch(2, building=building)
    CommonPartFactory(project=building.project, building=building)

    (row,) = building_list_for_project(viewer=agent, project_id=building.project_id)

    assert (row.unit_count, row.commonpart_count) == (2, 1)


def test_building_list_for_project_hides_other_units_buildings(outsider, city):
    building = BuildingFactory(project__organisation=city)

    assert list(building_list_for_project(viewer=outsider, project_id=building.project_id)) == []


def test_building_get_hides_other_units_building(outsider, city):
    building = BuildingFactory(project__organisation=city)

    with pytest.raises(Http404):
        building_get(viewer=outsider, building_id=building.pk)


def test_building_grid_lists_every_floor_top_first(agent, city):
    building = BuildingFactory(project__organisation=city, floors_above=3, floors_below=2)

    grid = building_grid(viewer=agent, building=building)

    assert [(row.floor, row.label) for row in grid.rows] == [(3, "3F"), (2, "2F"), (1, "1F"), (-1, "B1"), (-2, "B2")]


def test_building_grid_orders_columns_by_entrance_then_position(agent, city):
    building = BuildingFactory(project__organisation=city, floors_above=12)
    for entrance, number in [("2", "1201"), ("1", "1202"), ("1", "1201"), ("10", "1201")]:
        UnitFactory(building=building, entrance=entrance, floor=12, number=number)

    grid = building_grid(viewer=agent, building=building)

    assert [c.label for c in grid.columns] == ["1-01", "1-02", "2-01", "10-01"]


def test_building_grid_places_units_by_floor_and_position(agent, city):
    building = BuildingFactory(project__organisation=city, floors_above=12, floors_below=1)
    high = UnitFactory(building=building, entrance="1", floor=12, number="1202")
    low = UnitFactory(building=building, entrance="1", floor=9, number="902")
    basement = UnitFactory(building=building, entrance="1", floor=-1, number="B102")

    grid = building_grid(viewer=agent, building=building)

    cells = {row.floor: row.cells for row in grid.rows}
    assert [c.label for c in grid.columns] == ["1-02"]
    assert (cells[12], cells[9], cells[-1], cells[5]) == ([[high]], [[low]], [[basement]], [[]])


def test_building_grid_shows_outsider_no_units(outsider, city):
    unit = UnitFactory(building__project__organisation=city)

    grid = building_grid(viewer=outsider, building=unit.building)

    assert grid.is_empty


# units


def test_unit_list_filters_by_project(agent, city):
    unit = UnitFactory(building__project__organisation=city)
    UnitFactory(building__project__organisation=city)

    assert list(unit_list(viewer=agent, project_id=unit.project_id)) == [unit]


def test_unit_list_filters_by_building(agent, city):
    unit = UnitFactory(building__project__organisation=city)
    UnitFactory(building__project=unit.project)

    assert list(unit_list(viewer=agent, building_id=unit.building_id)) == [unit]


def test_unit_list_filters_by_floor(agent, city):
    building = BuildingFactory(project__organisation=city)
    unit = UnitFactory(building=building, floor=12)
    UnitFactory(building=building, floor=11)

    assert list(unit_list(viewer=agent, floor=12)) == [unit]


def test_unit_list_filters_by_layout(agent, city):
    building = BuildingFactory(project__organisation=city)
    unit = UnitFactory(building=building, layout="4室2厅2卫")
    UnitFactory(building=building, layout="3室2厅2卫")

    assert list(unit_list(viewer=agent, layout="4室2厅2卫")) == [unit]


def test_unit_list_filters_by_delivery_standard(agent, city):
    building = BuildingFactory(project__organisation=city)
    unit = UnitFactory(building=building, delivery_standard=FITTED)
    UnitFactory(building=building, delivery_standard=SHELL)

    assert list(unit_list(viewer=agent, delivery_standard=FITTED)) == [unit]


def test_unit_list_searches_label(agent, city):
    building = BuildingFactory(project__organisation=city, code="3")
    unit = UnitFactory(building=building, entrance="1", number="1202", floor=12)
    UnitFactory(building=building, entrance="2", number="1202", floor=12)

    assert list(unit_list(viewer=agent, q=" 3-1-1202 ")) == [unit]


def test_unit_list_hides_other_units_units(outsider, city):
    UnitFactory(building__project__organisation=city)

    assert list(unit_list(viewer=outsider)) == []


@pytest.mark.parametrize("rows", [3, 7])
def test_unit_list_page_runs_constant_queries(agent, city, rows, django_assert_num_queries):
    building = BuildingFactory(project__organisation=city)
    UnitFactory.create_batch(rows, building=building)
    UnitFactory(building__project__organisation=city)

    with django_assert_num_queries(2):  # COUNT for the paginator, then the page with project and building
        page = Paginator(unit_list(viewer=agent), 50).get_page(1)
        rendered = [(u.label, u.project.name, u.building.name) for u in page]

    assert len(rendered) == rows + 1


def test_unit_layouts_lists_distinct_layouts_of_project(agent, city):
    building = BuildingFactory(project__organisation=city)
    UnitFactory.create_batch(2, building=building, layout="3室2厅2卫")
    UnitFactory(building=building, layout="")
    UnitFactory(building__project__organisation=city, layout="5室")

    assert unit_layouts(viewer=agent, project_id=building.project_id) == ["3室2厅2卫"]


def test_unit_get_hides_other_units_unit(outsider, city):
    unit = UnitFactory(building__project__organisation=city)

    with pytest.raises(Http404):
        unit_get(viewer=outsider, unit_id=unit.pk)


def test_unit_get_returns_visible_unit(agent, city):
    unit = UnitFactory(building__project__organisation=city)

    assert unit_get(viewer=agent, unit_id=unit.pk) == unit


# common parts


def test_commonpart_list_filters_by_building(agent, city):
    building = BuildingFactory(project__organisation=city)
    part = CommonPartFactory(project=building.project, building=building)
    CommonPartFactory(project=building.project)

    assert list(commonpart_list(viewer=agent, building_id=building.pk)) == [part]


def test_commonpart_list_filters_by_kind(agent, city):
    project = ProjectFactory(organisation=city)
    part = CommonPartFactory(project=project, kind="roof")
    CommonPartFactory(project=project, kind="lobby")

    assert list(commonpart_list(viewer=agent, project_id=project.pk, kind="roof")) == [part]


def test_commonpart_list_puts_project_wide_parts_first(agent, city):
    building = BuildingFactory(project__organisation=city)
    in_building = CommonPartFactory(project=building.project, building=building, floor=1, name="A")
    project_wide = CommonPartFactory(project=building.project, name="Z")

    assert list(commonpart_list(viewer=agent)) == [project_wide, in_building]


def test_commonpart_list_hides_other_units_parts(outsider, city):
    CommonPartFactory(project__organisation=city)

    assert list(commonpart_list(viewer=outsider)) == []


@pytest.mark.parametrize("rows", [3, 7])
def test_commonpart_list_page_runs_constant_queries(agent, city, rows, django_assert_num_queries):
    building = BuildingFactory(project__organisation=city)
    for _ in range(rows):
        CommonPartFactory(project=building.project, building=building)

    with django_assert_num_queries(2):
        page = Paginator(commonpart_list(viewer=agent), 50).get_page(1)
        rendered = [(p.name, p.project.name, p.building.name) for p in page]

    assert len(rendered) == rows


def test_commonpart_get_hides_other_units_part(outsider, city):
    part = CommonPartFactory(project__organisation=city)

    with pytest.raises(Http404):
        commonpart_get(viewer=outsider, commonpart_id=part.pk)
