"""Read queries for projects, buildings, units and common parts. All start from scoping."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from kefu.core.scoping import one_or_404, visible
from kefu.orgs.models import Membership
from kefu.properties.models import Building, CommonPart, Project, Unit


def property_totals(*, viewer: Membership) -> dict[str, int]:
    return {
        "projects": visible(Project, viewer).count(),
        "buildings": visible(Building, viewer).count(),
        "units": visible(Unit, viewer).count(),
        "common_parts": visible(CommonPart, viewer).count(),
    }


def units_by_project(*, viewer: Membership) -> QuerySet[Project]:
    """Projects with their unit counts per delivery standard, for the workbench chart."""
    standards = Unit.DeliveryStandard
    return (
        visible(Project, viewer)
        .annotate(
            shell=Count("units", filter=Q(units__delivery_standard=standards.SHELL)),
            basic=Count("units", filter=Q(units__delivery_standard=standards.BASIC)),
            fitted=Count("units", filter=Q(units__delivery_standard=standards.FITTED)),
        )
        .order_by("name", "id")
    )


def _count_of(model: type[Building] | type[Unit] | type[CommonPart], parent: str) -> Coalesce:
    """A correlated COUNT(*) of `model` rows whose `parent` is the outer row: one query, no row fan-out."""
    counted = (
        model._default_manager.filter(**{parent: OuterRef("pk")})
        .order_by()
        .values(parent)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# Projects


def project_list(*, viewer: Membership, q: str | None = None) -> QuerySet[Project]:
    """Visible projects with building_count and unit_count; `q` matches name, code or city."""
    projects = visible(Project, viewer).select_related("organisation")
    if q:
        projects = projects.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(city__icontains=q))
    return projects.annotate(
        building_count=_count_of(Building, "project"),
        unit_count=_count_of(Unit, "project"),
    ).order_by("name", "id")


def project_choices(*, viewer: Membership) -> QuerySet[Project]:
    """Visible projects for select boxes, without counts."""
    return visible(Project, viewer).order_by("name", "id")


def project_get(*, viewer: Membership, project_id: int) -> Project:
    return one_or_404(visible(Project, viewer).select_related("organisation"), pk=project_id)


@dataclass(frozen=True)
class ProjectSummary:
    buildings: int
    units: int
    common_parts: int
    gross_area: Decimal | None
    # [(DeliveryStandard, count)] in the order of the choices, every standard listed.
    by_standard: list[tuple[Unit.DeliveryStandard, int]]


def project_summary(*, viewer: Membership, project: Project) -> ProjectSummary:
    """The figures on a project's page: counts, total gross area, units per delivery standard."""
    units = visible(Unit, viewer).filter(project=project)
    standards = Unit.DeliveryStandard
    totals = units.aggregate(
        units=Count("pk"),
        gross_area=Sum("gross_area"),
        **{f"n_{s.value}": Count("pk", filter=Q(delivery_standard=s.value)) for s in standards},
    )
    return ProjectSummary(
        buildings=visible(Building, viewer).filter(project=project).count(),
        units=totals["units"],
        common_parts=visible(CommonPart, viewer).filter(project=project).count(),
        gross_area=totals["gross_area"],
        by_standard=[(s, totals[f"n_{s.value}"]) for s in standards],
    )


# Buildings


def building_list_for_project(*, viewer: Membership, project_id: int) -> QuerySet[Building]:
    """The project's buildings with unit_count and commonpart_count, in building-number order."""
    return (
        visible(Building, viewer)
        .filter(project_id=project_id)
        .annotate(unit_count=_count_of(Unit, "building"), commonpart_count=_count_of(CommonPart, "building"))
        .order_by("code", "id")
    )


def building_choices(*, viewer: Membership, project_id: int | None = None) -> QuerySet[Building]:
    """Visible buildings for select boxes, labelled with their project; one project's if given."""
    buildings = visible(Building, viewer).select_related("project")
    if project_id is not None:
        buildings = buildings.filter(project_id=project_id)
    return buildings.order_by("project__name", "project_id", "code", "id")


def building_get(*, viewer: Membership, building_id: int) -> Building:
    return one_or_404(visible(Building, viewer).select_related("project", "organisation"), pk=building_id)


@dataclass(frozen=True)
class GridColumn:
    entrance: str
    suffix: str

    @property
    def label(self) -> str:
        return f"{self.entrance}-{self.suffix}" if self.entrance else self.suffix


@dataclass
class GridRow:
    floor: int
    # One list per column; usually zero or one unit, more only when two numbers share a position.
    cells: list[list[Unit]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """12F above ground, B1 for the first basement level, as on lift buttons."""
        return f"{self.floor}F" if self.floor > 0 else f"B{-self.floor}"


@dataclass(frozen=True)
class BuildingGrid:
    columns: list[GridColumn]
    rows: list[GridRow]

    @property
    def is_empty(self) -> bool:
        return not any(cell for row in self.rows for cell in row.cells)

    @property
    def entrance_spans(self) -> list[tuple[str, int]]:
        """Consecutive columns of one entrance, for a header row above the positions."""
        spans: list[tuple[str, int]] = []
        for column in self.columns:
            if spans and spans[-1][0] == column.entrance:
                spans[-1] = (column.entrance, spans[-1][1] + 1)
            else:
                spans.append((column.entrance, 1))
        return spans

    @property
    def has_entrances(self) -> bool:
        return any(column.entrance for column in self.columns)


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """'2' before '10', digits before letters: how people read unit numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text))


def _number_suffix(number: str, floor: int) -> str:
    """The position of a unit on its floor: '1202' on floor 12 is '02'; 'B105' on floor -1 is '05'."""
    digits = number.lstrip("Bb-")
    prefix = str(abs(floor))
    if digits.startswith(prefix) and len(digits) > len(prefix):
        return digits[len(prefix) :]
    return number


def building_grid(*, viewer: Membership, building: Building) -> BuildingGrid:
    """The building as floors (top floor first, every floor listed) × positions (entrance + number suffix)."""
    units = list(
        visible(Unit, viewer)
        .filter(building=building)
        .only("id", "entrance", "floor", "number", "label", "layout", "gross_area", "delivery_standard")
    )
    placed: dict[tuple[int, GridColumn], list[Unit]] = {}
    for unit in units:
        column = GridColumn(unit.entrance, _number_suffix(unit.number, unit.floor))
        placed.setdefault((unit.floor, column), []).append(unit)
    columns = sorted(
        {column for _floor, column in placed},
        key=lambda c: (_natural_key(c.entrance), _natural_key(c.suffix)),
    )
    floors = set(range(-building.floors_below, building.floors_above + 1)) - {0}
    floors |= {floor for floor, _column in placed}
    rows = [
        GridRow(floor=floor, cells=[placed.get((floor, column), []) for column in columns])
        for floor in sorted(floors, reverse=True)
    ]
    return BuildingGrid(columns=columns, rows=rows)


# Units


def unit_list(
    *,
    viewer: Membership,
    project_id: int | None = None,
    building_id: int | None = None,
    floor: int | None = None,
    layout: str | None = None,
    delivery_standard: str | None = None,
    q: str | None = None,
) -> QuerySet[Unit]:
    """Visible units with project and building loaded; `q` matches the label ("3-1-1202")."""
    units = visible(Unit, viewer).select_related("project", "building")
    if project_id is not None:
        units = units.filter(project_id=project_id)
    if building_id is not None:
        units = units.filter(building_id=building_id)
    if floor is not None:
        units = units.filter(floor=floor)
    if layout:
        units = units.filter(layout=layout)
    if delivery_standard:
        units = units.filter(delivery_standard=delivery_standard)
    if q:
        units = units.filter(label__icontains=q.strip())
    # Ordered by the unit table's own columns, which the unit_listing index covers: PostgreSQL
    # walks the index instead of sorting every unit in scope (50,000 rows spilled to disk).
    return units.order_by("project_id", "building_id", "entrance", "floor", "number", "id")


def unit_layouts(*, viewer: Membership, project_id: int | None = None) -> list[str]:
    """The distinct layouts in use, for the layout filter."""
    units = visible(Unit, viewer).exclude(layout="")
    if project_id is not None:
        units = units.filter(project_id=project_id)
    return list(units.order_by("layout").values_list("layout", flat=True).distinct())


def unit_get(*, viewer: Membership, unit_id: int) -> Unit:
    return one_or_404(visible(Unit, viewer).select_related("project", "building", "organisation"), pk=unit_id)


# Common parts


def commonpart_list(
    *,
    viewer: Membership,
    project_id: int | None = None,
    building_id: int | None = None,
    kind: str | None = None,
) -> QuerySet[CommonPart]:
    parts = visible(CommonPart, viewer).select_related("project", "building")
    if project_id is not None:
        parts = parts.filter(project_id=project_id)
    if building_id is not None:
        parts = parts.filter(building_id=building_id)
    if kind:
        parts = parts.filter(kind=kind)
    # Parts without a building or floor (grounds, facade) first, the same on SQLite and PostgreSQL.
    return parts.order_by(
        "project__name",
        "project_id",
        F("building__code").asc(nulls_first=True),
        F("floor").asc(nulls_first=True),
        "name",
        "id",
    )


def commonpart_get(*, viewer: Membership, commonpart_id: int) -> CommonPart:
    return one_or_404(
        visible(CommonPart, viewer).select_related("project", "building", "organisation"), pk=commonpart_id
    )
