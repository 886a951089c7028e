"""Write operations on projects, buildings, units and common parts.

Children copy their organisation from the project, so scoping a unit or a building is the same
indexed filter as scoping its project; every service here keeps that copy in step.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min

from kefu.core.permissions import ensure_can
from kefu.orgs.models import Membership, OrgUnit
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
from kefu.properties.models import Building, CommonPart, ImportJob, Project, Unit

MANAGE = "properties.manage"


# Projects


def _check_project_code(*, organisation: OrgUnit, code: str, exclude_pk: int | None = None) -> None:
    clash = Project.objects.filter(organisation=organisation, code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ProjectCodeTaken(field="code", code=code)


@transaction.atomic
def project_create(
    *,
    actor: Membership,
    organisation: OrgUnit,
    name: str,
    code: str,
    city: str = "",
    district: str = "",
    address: str = "",
    planned_delivery_on: datetime.date | None = None,
) -> Project:
    ensure_can(actor, MANAGE, organisation)
    code = code.strip()
    _check_project_code(organisation=organisation, code=code)
    return Project.objects.create(
        organisation=organisation,
        name=name.strip(),
        code=code,
        city=city.strip(),
        district=district.strip(),
        address=address.strip(),
        planned_delivery_on=planned_delivery_on,
    )


@transaction.atomic
def project_update(
    *,
    actor: Membership,
    project: Project,
    organisation: OrgUnit,
    name: str,
    code: str,
    city: str = "",
    district: str = "",
    address: str = "",
    planned_delivery_on: datetime.date | None = None,
) -> Project:
    """Change a project; moving it to another unit moves its buildings, units and parts with it."""
    project = Project.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=project.pk)
    ensure_can(actor, MANAGE, project.organisation)
    moved = organisation.pk != project.organisation_id
    if moved:
        ensure_can(actor, MANAGE, organisation)
    code = code.strip()
    _check_project_code(organisation=organisation, code=code, exclude_pk=project.pk)
    project.organisation = organisation
    project.name = name.strip()
    project.code = code
    project.city = city.strip()
    project.district = district.strip()
    project.address = address.strip()
    project.planned_delivery_on = planned_delivery_on
    project.save()
    if moved:
        for model in (Building, Unit, CommonPart, ImportJob):
            model.objects.filter(project=project).update(organisation=organisation)
    return project


# Buildings


def _check_building_code(*, project: Project, code: str, exclude_pk: int | None = None) -> None:
    clash = Building.objects.filter(project=project, code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise BuildingCodeTaken(field="code", code=code)


def _check_floor_counts(*, floors_above: int, floors_below: int) -> None:
    if floors_above + floors_below < 1:
        raise BuildingHasNoFloors(field="floors_above")


@transaction.atomic
def building_create(
    *,
    actor: Membership,
    project: Project,
    code: str,
    name: str,
    floors_above: int,
    floors_below: int = 0,
) -> Building:
    ensure_can(actor, MANAGE, project.organisation)
    code = code.strip()
    _check_building_code(project=project, code=code)
    _check_floor_counts(floors_above=floors_above, floors_below=floors_below)
    return Building.objects.create(
        project=project,
        organisation_id=project.organisation_id,
        code=code,
        name=name.strip(),
        floors_above=floors_above,
        floors_below=floors_below,
    )


@transaction.atomic
def building_update(
    *,
    actor: Membership,
    building: Building,
    code: str,
    name: str,
    floors_above: int,
    floors_below: int,
) -> Building:
    """Change a building. A new number relabels its units; floors may not shrink below them."""
    building = Building.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=building.pk)
    ensure_can(actor, MANAGE, building.organisation)
    code = code.strip()
    _check_building_code(project=building.project, code=code, exclude_pk=building.pk)
    _check_floor_counts(floors_above=floors_above, floors_below=floors_below)
    _check_floors_hold_contents(building=building, floors_above=floors_above, floors_below=floors_below)
    relabel = code != building.code
    building.code = code
    building.name = name.strip()
    building.floors_above = floors_above
    building.floors_below = floors_below
    building.save()
    if relabel:
        units = list(Unit.objects.select_for_update().filter(building=building))
        for unit in units:
            unit.label = Unit.make_label(code, unit.entrance, unit.number)
        Unit.objects.bulk_update(units, ["label"], batch_size=500)
    return building


def _check_floors_hold_contents(*, building: Building, floors_above: int, floors_below: int) -> None:
    used = [
        Unit.objects.filter(building=building).aggregate(top=Max("floor"), bottom=Min("floor")),
        CommonPart.objects.filter(building=building).aggregate(top=Max("floor"), bottom=Min("floor")),
    ]
    tops = [row["top"] for row in used if row["top"] is not None]
    bottoms = [row["bottom"] for row in used if row["bottom"] is not None]
    if tops and max(tops) > floors_above:
        raise BuildingFloorsBelowUnits(field="floors_above", floor=max(tops))
    if bottoms and min(bottoms) < -floors_below:
        raise BuildingFloorsBelowUnits(field="floors_below", floor=min(bottoms))


# Units


def _check_building_in_project(*, building: Building, project: Project) -> None:
    if building.project_id != project.pk:
        raise BuildingNotInProject(field="building", building=building.name, project=project.name)


def _check_floor(*, building: Building, floor: int) -> None:
    if floor == 0:
        raise FloorZero(field="floor")
    lowest = -building.floors_below if building.floors_below else 1
    if not lowest <= floor <= building.floors_above:
        raise FloorOutOfRange(field="floor", floor=floor, lowest=lowest, highest=building.floors_above)


def _check_areas(*, gross_area: Decimal | None, usable_area: Decimal | None) -> None:
    if gross_area is not None and usable_area is not None and usable_area > gross_area:
        raise UsableAreaAboveGross(field="usable_area", usable=usable_area, gross=gross_area)


def _check_unit_number(*, building: Building, entrance: str, number: str, exclude_pk: int | None = None) -> None:
    clash = Unit.objects.filter(building=building, entrance=entrance, number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise UnitNumberTaken(field="number", label=Unit.make_label(building.code, entrance, number))


@transaction.atomic
def unit_create(
    *,
    actor: Membership,
    project: Project,
    building: Building,
    floor: int,
    number: str,
    entrance: str = "",
    gross_area: Decimal | None = None,
    usable_area: Decimal | None = None,
    layout: str = "",
    delivery_standard: str = Unit.DeliveryStandard.SHELL,
) -> Unit:
    ensure_can(actor, MANAGE, project.organisation)
    entrance, number = entrance.strip(), number.strip()
    _check_building_in_project(building=building, project=project)
    _check_floor(building=building, floor=floor)
    _check_areas(gross_area=gross_area, usable_area=usable_area)
    _check_unit_number(building=building, entrance=entrance, number=number)
    return Unit.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        building=building,
        entrance=entrance,
        floor=floor,
        number=number,
        label=Unit.make_label(building.code, entrance, number),
        gross_area=gross_area,
        usable_area=usable_area,
        layout=layout.strip(),
        delivery_standard=Unit.DeliveryStandard(delivery_standard),
    )


@transaction.atomic
def unit_update(
    *,
    actor: Membership,
    unit: Unit,
    building: Building,
    floor: int,
    number: str,
    entrance: str = "",
    gross_area: Decimal | None = None,
    usable_area: Decimal | None = None,
    layout: str = "",
    delivery_standard: str = Unit.DeliveryStandard.SHELL,
) -> Unit:
    """Change a unit; it may move to another building of the same project, never to another project."""
    unit = Unit.objects.select_for_update(of=("self",)).select_related("project", "organisation").get(pk=unit.pk)
    ensure_can(actor, MANAGE, unit.organisation)
    entrance, number = entrance.strip(), number.strip()
    _check_building_in_project(building=building, project=unit.project)
    _check_floor(building=building, floor=floor)
    _check_areas(gross_area=gross_area, usable_area=usable_area)
    _check_unit_number(building=building, entrance=entrance, number=number, exclude_pk=unit.pk)
    unit.building = building
    unit.entrance = entrance
    unit.floor = floor
    unit.number = number
    unit.label = Unit.make_label(building.code, entrance, number)
    unit.gross_area = gross_area
    unit.usable_area = usable_area
    unit.layout = layout.strip()
    unit.delivery_standard = Unit.DeliveryStandard(delivery_standard)
    unit.save()
    return unit


# Common parts


def _check_commonpart_place(*, project: Project, building: Building | None, floor: int | None) -> None:
    if building is not None:
        _check_building_in_project(building=building, project=project)
        if floor is not None:
            _check_floor(building=building, floor=floor)
    elif floor is not None:
        raise FloorWithoutBuilding(field="floor")


def _check_commonpart_name(
    *, project: Project, building: Building | None, floor: int | None, name: str, exclude_pk: int | None = None
) -> None:
    clash = CommonPart.objects.filter(project=project, building=building, floor=floor, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise CommonPartNameTaken(field="name", name=name)


@transaction.atomic
def commonpart_create(
    *,
    actor: Membership,
    project: Project,
    kind: str,
    name: str,
    building: Building | None = None,
    floor: int | None = None,
) -> CommonPart:
    """A common part of a project, optionally placed in a building and on a floor."""
    ensure_can(actor, MANAGE, project.organisation)
    name = name.strip()
    _check_commonpart_place(project=project, building=building, floor=floor)
    _check_commonpart_name(project=project, building=building, floor=floor, name=name)
    return CommonPart.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        building=building,
        floor=floor,
        kind=CommonPart.Kind(kind),
        name=name,
    )


@transaction.atomic
def commonpart_update(
    *,
    actor: Membership,
    commonpart: CommonPart,
    kind: str,
    name: str,
    building: Building | None = None,
    floor: int | None = None,
) -> CommonPart:
    commonpart = (
        CommonPart.objects.select_for_update(of=("self",))
        .select_related("project", "organisation")
        .get(pk=commonpart.pk)
    )
    ensure_can(actor, MANAGE, commonpart.organisation)
    name = name.strip()
    _check_commonpart_place(project=commonpart.project, building=building, floor=floor)
    _check_commonpart_name(
        project=commonpart.project, building=building, floor=floor, name=name, exclude_pk=commonpart.pk
    )
    commonpart.kind = CommonPart.Kind(kind)
    commonpart.name = name
    commonpart.building = building
    commonpart.floor = floor
    commonpart.save()
    return commonpart
