from decimal import Decimal

import pytest

from kefu.core.errors import Forbidden
from kefu.properties.errors import (
    BuildingCodeTaken,
    BuildingFloorsBelowUnits,
    BuildingHasNoFloors,
    BuildingNotInProject,
    CommonPartNameTaken,
    FloorOutOfRange,
    FloorWithoutBuilding,
    FloorZero,
    ProjectCodeTaken,
    UnitNumberTaken,
    UsableAreaAboveGross,
)
from kefu.properties.models import Building, CommonPart, Project, Unit
from kefu.properties.services import (
    building_create,
    building_update,
    commonpart_create,
    commonpart_update,
    project_create,
    project_update,
    unit_create,
    unit_update,
)
from kefu.properties.tests.factories import BuildingFactory, CommonPartFactory, ProjectFactory, UnitFactory


def _project_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {"name": "H小区", "code": "h-xiaoqu", "city": "深圳", "district": "南山区"}
    fields.update(overrides)
    return fields


def _unit_fields(on: Building, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "project": on.project,
        "building": on,
        "entrance": "1",
        "floor": 12,
        "number": "1202",
        "gross_area": Decimal("118.60"),
        "usable_area": Decimal("95.20"),
        "layout": "3室2厅2卫",
        "delivery_standard": Unit.DeliveryStandard.FITTED,
    }
    fields.update(overrides)
    return fields


# project_create


def test_project_create_creates_project_in_chosen_unit(admin, city):
    project = project_create(actor=admin, organisation=city, **_project_fields(name=" H小区 "))

    project.refresh_from_db()
    assert (project.organisation, project.name, project.code, project.city) == (city, "H小区", "h-xiaoqu", "深圳")


def test_project_create_accepts_unit_below_actor(group_admin, city):
    project = project_create(actor=group_admin, organisation=city, **_project_fields())

    assert project.organisation == city


def test_project_create_rejects_code_taken_in_unit(admin, city):
    ProjectFactory(organisation=city, code="h-xiaoqu")

    with pytest.raises(ProjectCodeTaken) as caught:
        project_create(actor=admin, organisation=city, **_project_fields())

    assert caught.value.field == "code"
    assert Project.objects.filter(organisation=city).count() == 1


def test_project_create_allows_same_code_in_another_unit(group_admin, city, other_city):
    ProjectFactory(organisation=other_city, code="h-xiaoqu")

    project = project_create(actor=group_admin, organisation=city, **_project_fields())

    assert project.code == "h-xiaoqu"


def test_project_create_denies_non_admin(agent, city):
    with pytest.raises(Forbidden):
        project_create(actor=agent, organisation=city, **_project_fields())

    assert not Project.objects.exists()


def test_project_create_denies_unit_outside_scope(admin, other_city):
    with pytest.raises(Forbidden):
        project_create(actor=admin, organisation=other_city, **_project_fields())

    assert not Project.objects.exists()


# project_update


def test_project_update_saves_fields(admin, city):
    project = ProjectFactory(organisation=city)

    project_update(actor=admin, project=project, organisation=city, **_project_fields(address="沙河西路 88 号"))

    project.refresh_from_db()
    assert (project.name, project.code, project.address) == ("H小区", "h-xiaoqu", "沙河西路 88 号")


def test_project_update_moves_buildings_units_and_parts_with_project(group_admin, city, other_city):
    unit = UnitFactory(building__project__organisation=city)
    part = CommonPartFactory(project=unit.project)

    project_update(actor=group_admin, project=unit.project, organisation=other_city, **_project_fields())

    unit.refresh_from_db()
    unit.building.refresh_from_db()
    part.refresh_from_db()
    assert (unit.organisation, unit.building.organisation, part.organisation) == (other_city, other_city, other_city)


def test_project_update_rejects_code_taken_in_unit(admin, city):
    ProjectFactory(organisation=city, code="h-xiaoqu")
    project = ProjectFactory(organisation=city, code="other")

    with pytest.raises(ProjectCodeTaken):
        project_update(actor=admin, project=project, organisation=city, **_project_fields())

    project.refresh_from_db()
    assert project.code == "other"


def test_project_update_keeps_own_code(admin, city):
    project = ProjectFactory(organisation=city, code="h-xiaoqu")

    project_update(actor=admin, project=project, organisation=city, **_project_fields(name="H小区二期"))

    project.refresh_from_db()
    assert project.name == "H小区二期"


def test_project_update_denies_non_admin(agent, city):
    project = ProjectFactory(organisation=city, name="Old")

    with pytest.raises(Forbidden):
        project_update(actor=agent, project=project, organisation=city, **_project_fields())

    project.refresh_from_db()
    assert project.name == "Old"


def test_project_update_denies_another_units_project(admin, other_city):
    project = ProjectFactory(organisation=other_city, name="Old")

    with pytest.raises(Forbidden):
        project_update(actor=admin, project=project, organisation=other_city, **_project_fields())

    project.refresh_from_db()
    assert project.name == "Old"


def test_project_update_denies_move_outside_scope(admin, city, other_city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(Forbidden):
        project_update(actor=admin, project=project, organisation=other_city, **_project_fields())

    project.refresh_from_db()
    assert project.organisation == city


# building_create / building_update


def test_building_create_copies_organisation_from_project(admin, city):
    project = ProjectFactory(organisation=city)

    building = building_create(actor=admin, project=project, code="3", name="3栋", floors_above=26, floors_below=1)

    building.refresh_from_db()
    assert (building.organisation, building.project, building.floors_above) == (city, project, 26)


def test_building_create_rejects_code_taken_in_project(admin, city):
    project = ProjectFactory(organisation=city)
    BuildingFactory(project=project, code="3")

    with pytest.raises(BuildingCodeTaken) as caught:
        building_create(actor=admin, project=project, code="3", name="3栋", floors_above=26)

    assert caught.value.field == "code"
    assert project.buildings.count() == 1


def test_building_create_rejects_building_without_floors(admin, city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(BuildingHasNoFloors):
        building_create(actor=admin, project=project, code="3", name="3栋", floors_above=0, floors_below=0)

    assert not project.buildings.exists()


def test_building_create_denies_non_admin(agent, city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(Forbidden):
        building_create(actor=agent, project=project, code="3", name="3栋", floors_above=26)

    assert not project.buildings.exists()


def test_building_create_denies_another_units_project(admin, other_city):
    project = ProjectFactory(organisation=other_city)

    with pytest.raises(Forbidden):
        building_create(actor=admin, project=project, code="3", name="3栋", floors_above=26)

    assert not project.buildings.exists()


def test_building_update_relabels_units_when_number_changes(admin, city):
    unit = UnitFactory(building__project__organisation=city, building__code="3", entrance="1", number="1202", floor=12)

    building_update(actor=admin, building=unit.building, code="5", name="5栋", floors_above=26, floors_below=0)

    unit.refresh_from_db()
    assert unit.label == "5-1-1202"


def test_building_update_rejects_fewer_floors_than_units_use(admin, city):
    unit = UnitFactory(building__project__organisation=city, building__floors_above=26, floor=20)

    with pytest.raises(BuildingFloorsBelowUnits) as caught:
        building_update(actor=admin, building=unit.building, code="1", name="1栋", floors_above=18, floors_below=0)

    assert caught.value.field == "floors_above"
    unit.building.refresh_from_db()
    assert unit.building.floors_above == 26


def test_building_update_rejects_fewer_basement_levels_than_parts_use(admin, city):
    building = BuildingFactory(project__organisation=city, floors_below=2)
    CommonPartFactory(project=building.project, building=building, floor=-2)

    with pytest.raises(BuildingFloorsBelowUnits) as caught:
        building_update(actor=admin, building=building, code=building.code, name="1栋", floors_above=18, floors_below=1)

    assert caught.value.field == "floors_below"


def test_building_update_rejects_code_taken_in_project(admin, city):
    building = BuildingFactory(project__organisation=city, code="1")
    BuildingFactory(project=building.project, code="2")

    with pytest.raises(BuildingCodeTaken):
        building_update(actor=admin, building=building, code="2", name="2栋", floors_above=18, floors_below=0)

    building.refresh_from_db()
    assert building.code == "1"


def test_building_update_denies_another_units_building(admin, other_city):
    building = BuildingFactory(project__organisation=other_city, name="1栋")

    with pytest.raises(Forbidden):
        building_update(actor=admin, building=building, code="9", name="9栋", floors_above=18, floors_below=0)

    building.refresh_from_db()
    assert building.name == "1栋"


# unit_create


def test_unit_create_computes_label_and_copies_organisation(admin, city):
    building = BuildingFactory(project__organisation=city, code="3", floors_above=26)

    unit = unit_create(actor=admin, **_unit_fields(building))

    unit.refresh_from_db()
    assert (unit.label, unit.organisation, unit.project) == ("3-1-1202", city, building.project)


def test_unit_create_labels_unit_without_entrance(admin, city):
    building = BuildingFactory(project__organisation=city, code="3", floors_above=26)

    unit = unit_create(actor=admin, **_unit_fields(building, entrance=""))

    assert unit.label == "3-1202"


def test_unit_create_accepts_basement_floor(admin, city):
    building = BuildingFactory(project__organisation=city, floors_below=2)

    unit = unit_create(actor=admin, **_unit_fields(building, floor=-2, number="B201"))

    assert unit.floor == -2


def test_unit_create_rejects_building_of_another_project(admin, city):
    building = BuildingFactory(project__organisation=city)
    other_project = ProjectFactory(organisation=city)

    with pytest.raises(BuildingNotInProject) as caught:
        unit_create(actor=admin, **_unit_fields(building, project=other_project))

    assert caught.value.field == "building"
    assert not Unit.objects.exists()


def test_unit_create_rejects_floor_zero(admin, city):
    building = BuildingFactory(project__organisation=city, floors_below=1)

    with pytest.raises(FloorZero) as caught:
        unit_create(actor=admin, **_unit_fields(building, floor=0))

    assert caught.value.field == "floor"
    assert not Unit.objects.exists()


def test_unit_create_rejects_floor_above_building(admin, city):
    building = BuildingFactory(project__organisation=city, floors_above=18)

    with pytest.raises(FloorOutOfRange) as caught:
        unit_create(actor=admin, **_unit_fields(building, floor=19))

    assert caught.value.field == "floor"
    assert not Unit.objects.exists()


def test_unit_create_rejects_floor_below_basement(admin, city):
    building = BuildingFactory(project__organisation=city, floors_below=1)

    with pytest.raises(FloorOutOfRange):
        unit_create(actor=admin, **_unit_fields(building, floor=-2))

    assert not Unit.objects.exists()


def test_unit_create_rejects_usable_area_above_gross(admin, city):
    building = BuildingFactory(project__organisation=city)

    with pytest.raises(UsableAreaAboveGross) as caught:
        unit_create(actor=admin, **_unit_fields(building, gross_area=Decimal("90"), usable_area=Decimal("90.01")))

    assert caught.value.field == "usable_area"
    assert not Unit.objects.exists()


def test_unit_create_rejects_number_taken_in_building(admin, city):
    building = BuildingFactory(project__organisation=city)
    UnitFactory(building=building, entrance="1", number="1202", floor=12)

    with pytest.raises(UnitNumberTaken) as caught:
        unit_create(actor=admin, **_unit_fields(building))

    assert caught.value.field == "number"
    assert building.units.count() == 1


def test_unit_create_denies_non_admin(agent, city):
    building = BuildingFactory(project__organisation=city)

    with pytest.raises(Forbidden):
        unit_create(actor=agent, **_unit_fields(building))

    assert not Unit.objects.exists()


def test_unit_create_denies_another_units_project(admin, other_city):
    building = BuildingFactory(project__organisation=other_city)

    with pytest.raises(Forbidden):
        unit_create(actor=admin, **_unit_fields(building))

    assert not Unit.objects.exists()


# unit_update


def _update_fields(unit: Unit, **overrides: object) -> dict[str, object]:
    fields = _unit_fields(unit.building, **overrides)
    del fields["project"]
    return fields


def test_unit_update_moves_unit_to_another_building_of_project(admin, city):
    unit = UnitFactory(building__project__organisation=city)
    other = BuildingFactory(project=unit.project, code="7A")

    unit_update(actor=admin, unit=unit, **_update_fields(unit, building=other, entrance="2", number="901", floor=9))

    unit.refresh_from_db()
    assert (unit.building, unit.label, unit.floor) == (other, "7A-2-901", 9)


def test_unit_update_keeps_own_number(admin, city):
    unit = UnitFactory(building__project__organisation=city, entrance="1", number="1202", floor=12)

    unit_update(actor=admin, unit=unit, **_update_fields(unit, layout="4室2厅2卫"))

    unit.refresh_from_db()
    assert unit.layout == "4室2厅2卫"


def test_unit_update_rejects_building_of_another_project(admin, city):
    unit = UnitFactory(building__project__organisation=city)
    foreign = BuildingFactory(project__organisation=city)

    with pytest.raises(BuildingNotInProject):
        unit_update(actor=admin, unit=unit, **_update_fields(unit, building=foreign))

    unit.refresh_from_db()
    assert unit.building != foreign


def test_unit_update_rejects_number_of_another_unit(admin, city):
    unit = UnitFactory(building__project__organisation=city, entrance="1", number="1201", floor=12)
    UnitFactory(building=unit.building, entrance="1", number="1202", floor=12)

    with pytest.raises(UnitNumberTaken):
        unit_update(actor=admin, unit=unit, **_update_fields(unit, number="1202"))

    unit.refresh_from_db()
    assert unit.number == "1201"


def test_unit_update_rejects_usable_area_above_gross(admin, city):
    unit = UnitFactory(building__project__organisation=city, floor=12)

    with pytest.raises(UsableAreaAboveGross):
        unit_update(actor=admin, unit=unit, **_update_fields(unit, gross_area=Decimal("80"), usable_area=Decimal("81")))

    unit.refresh_from_db()
    assert unit.gross_area == Decimal("98.50")


def test_unit_update_denies_non_admin(agent, city):
    unit = UnitFactory(building__project__organisation=city, layout="A")

    with pytest.raises(Forbidden):
        unit_update(actor=agent, unit=unit, **_update_fields(unit))

    unit.refresh_from_db()
    assert unit.layout == "A"


def test_unit_update_denies_another_units_unit(admin, other_city):
    unit = UnitFactory(building__project__organisation=other_city, layout="A")

    with pytest.raises(Forbidden):
        unit_update(actor=admin, unit=unit, **_update_fields(unit))

    unit.refresh_from_db()
    assert unit.layout == "A"


# commonpart_create / commonpart_update


def test_commonpart_create_places_part_on_building_floor(admin, city):
    building = BuildingFactory(project__organisation=city)

    part = commonpart_create(
        actor=admin,
        project=building.project,
        building=building,
        floor=12,
        kind=CommonPart.Kind.LIFT_LOBBY,
        name="12层电梯厅",
    )

    part.refresh_from_db()
    assert (part.organisation, part.building, part.floor, part.kind) == (city, building, 12, "lift_lobby")


def test_commonpart_create_accepts_part_of_whole_project(admin, city):
    project = ProjectFactory(organisation=city)

    part = commonpart_create(actor=admin, project=project, kind=CommonPart.Kind.GROUNDS, name="中心园林")

    assert (part.building, part.floor) == (None, None)


def test_commonpart_create_rejects_building_of_another_project(admin, city):
    building = BuildingFactory(project__organisation=city)
    other_project = ProjectFactory(organisation=city)

    with pytest.raises(BuildingNotInProject):
        commonpart_create(actor=admin, project=other_project, building=building, kind="roof", name="屋面")

    assert not CommonPart.objects.exists()


def test_commonpart_create_rejects_floor_without_building(admin, city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(FloorWithoutBuilding) as caught:
        commonpart_create(actor=admin, project=project, floor=3, kind="corridor", name="走廊")

    assert caught.value.field == "floor"
    assert not CommonPart.objects.exists()


def test_commonpart_create_rejects_floor_outside_building(admin, city):
    building = BuildingFactory(project__organisation=city, floors_above=18)

    with pytest.raises(FloorOutOfRange):
        commonpart_create(actor=admin, project=building.project, building=building, floor=30, kind="roof", name="屋面")

    assert not CommonPart.objects.exists()


def test_commonpart_create_rejects_name_taken_in_same_place(admin, city):
    project = ProjectFactory(organisation=city)
    CommonPartFactory(project=project, name="地下车库")

    with pytest.raises(CommonPartNameTaken) as caught:
        commonpart_create(actor=admin, project=project, kind="basement", name="地下车库")

    assert caught.value.field == "name"
    assert project.common_parts.count() == 1


def test_commonpart_create_denies_non_admin(agent, city):
    project = ProjectFactory(organisation=city)

    with pytest.raises(Forbidden):
        commonpart_create(actor=agent, project=project, kind="grounds", name="中心园林")

    assert not CommonPart.objects.exists()


def test_commonpart_create_denies_another_units_project(admin, other_city):
    project = ProjectFactory(organisation=other_city)

    with pytest.raises(Forbidden):
        commonpart_create(actor=admin, project=project, kind="grounds", name="中心园林")

    assert not CommonPart.objects.exists()


def test_commonpart_update_moves_part_into_building(admin, city):
    part = CommonPartFactory(project__organisation=city)
    building = BuildingFactory(project=part.project)

    commonpart_update(actor=admin, commonpart=part, building=building, floor=1, kind="lobby", name="一层大堂")

    part.refresh_from_db()
    assert (part.building, part.floor, part.name) == (building, 1, "一层大堂")


def test_commonpart_update_rejects_name_taken_in_same_place(admin, city):
    part = CommonPartFactory(project__organisation=city, name="A")
    CommonPartFactory(project=part.project, name="B")

    with pytest.raises(CommonPartNameTaken):
        commonpart_update(actor=admin, commonpart=part, kind="lobby", name="B")

    part.refresh_from_db()
    assert part.name == "A"


def test_commonpart_update_denies_another_units_part(admin, other_city):
    part = CommonPartFactory(project__organisation=other_city, name="A")

    with pytest.raises(Forbidden):
        commonpart_update(actor=admin, commonpart=part, kind="lobby", name="B")

    part.refresh_from_db()
    assert part.name == "A"
