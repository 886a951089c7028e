"""The import service: validate every row, then write units by natural key in one transaction.

Reading the file happens outside the transaction; diffing and writing happen inside it, under a
lock on the project, with one query for the project's existing units and bulk statements.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import InvalidInput
from kefu.core.permissions import ensure_can
from kefu.core.scoping import one_or_404, visible
from kefu.orgs.models import Membership
from kefu.properties.imports.cells import (
    COLUMNS,
    MSG_COLUMN_MISSING,
    MSG_COLUMN_TWICE,
    MSG_DUPLICATE,
    MSG_USABLE_ABOVE_GROSS,
    PARSERS,
    CellError,
    field_for_header,
    parse_building,
)
from kefu.properties.imports.reading import Sheet, read_sheet
from kefu.properties.models import Building, ImportJob, Project, Unit

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500  # errors stored on the job; all failed rows are counted
BATCH_SIZE = 500


@dataclass
class _Row:
    row: int
    building: str
    entrance: str
    floor: int
    number: str
    values: dict[str, Any] = field(default_factory=dict)  # the optional columns the file has

    @property
    def label(self) -> str:
        return Unit.make_label(self.building, self.entrance, self.number)


@dataclass
class _Outcome:
    errors: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)

    def add(self, row: int, column: str, message: str) -> None:
        self.failed_rows.add(row)
        if len(self.errors) < ERROR_LIMIT:
            self.errors.append({"row": row, "column": column, "message": message})


def _map_headers(sheet: Sheet, outcome: _Outcome) -> dict[str, tuple[int, str]]:
    """field -> (column index, header text as written). Unknown columns are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(sheet.headers):
        name = field_for_header(value)
        if name is None:
            continue
        text = str(value).strip()
        if name in found:
            outcome.add(sheet.header_row, text, str(MSG_COLUMN_TWICE))
            continue
        found[name] = (index, text)
    for column in COLUMNS:
        if column.required and column.key not in found:
            outcome.add(sheet.header_row, column.header, str(MSG_COLUMN_MISSING))
    return found


def _parse_row(
    number: int, cells: tuple[Any, ...], columns: dict[str, tuple[int, str]], outcome: _Outcome
) -> _Row | None:
    parsed: dict[str, Any] = {}
    valid = True
    for name, (index, header) in columns.items():
        value = cells[index] if index < len(cells) else None
        try:
            parsed[name] = PARSERS[name](value)
        except CellError as exc:
            outcome.add(number, header, exc.message)
            valid = False
    gross, usable = parsed.get("gross_area"), parsed.get("usable_area")
    if gross is not None and usable is not None and usable > gross:
        outcome.add(number, columns["usable_area"][1], str(MSG_USABLE_ABOVE_GROSS) % _areas(usable, gross))
        valid = False
    if not valid:
        return None
    key_fields = ("building", "entrance", "floor", "number")
    return _Row(
        row=number,
        building=parsed["building"],
        entrance=parsed.get("entrance", ""),
        floor=parsed["floor"],
        number=parsed["number"],
        values={name: value for name, value in parsed.items() if name not in key_fields},
    )


def _areas(usable: Decimal, gross: Decimal) -> dict[str, str]:
    return {"usable": f"{usable:.2f}", "gross": f"{gross:.2f}"}


def _validate_rows(sheet: Sheet, columns: dict[str, tuple[int, str]], outcome: _Outcome) -> list[_Row]:
    """Parse every data row; a unit seen twice is an error on its second row."""
    rows: list[_Row] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    for number, cells in sheet.rows:
        row = _parse_row(number, cells, columns, outcome)
        if row is None:
            continue
        key = (row.building, row.entrance, row.number)
        if key in first_seen:
            outcome.add(number, columns["number"][1], str(MSG_DUPLICATE) % {"unit": row.label, "row": first_seen[key]})
            continue
        first_seen[key] = number
        rows.append(row)
    return rows


# --- writing -----------------------------------------------------------------------------------


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _check_against_existing(
    rows: list[_Row], existing: dict[tuple[str, str, str], Unit], columns: dict[str, tuple[int, str]], outcome: _Outcome
) -> list[_Row]:
    """Rows whose areas, merged with a unit's stored ones, still hold usable ≤ gross."""
    if ("gross_area" in columns) == ("usable_area" in columns):
        return rows
    kept = []
    for row in rows:
        unit = existing.get((row.building, row.entrance, row.number))
        if unit is not None:
            gross = row.values.get("gross_area", unit.gross_area)
            usable = row.values.get("usable_area", unit.usable_area)
            if gross is not None and usable is not None and usable > gross:
                header = columns["usable_area" if "usable_area" in columns else "gross_area"][1]
                outcome.add(row.row, header, str(MSG_USABLE_ABOVE_GROSS) % _areas(usable, gross))
                continue
        kept.append(row)
    return kept


def _ensure_buildings(*, project: Project, rows: list[_Row], buildings: dict[str, Building]) -> dict[str, Building]:
    """Create missing buildings and raise floor counts so every imported unit fits its building."""
    now = timezone.now()
    tops: dict[str, int] = {}
    bottoms: dict[str, int] = {}
    for row in rows:
        tops[row.building] = max(tops.get(row.building, 1), row.floor)
        bottoms[row.building] = max(bottoms.get(row.building, 0), -row.floor)
    new = [
        Building(
            organisation_id=project.organisation_id,
            project=project,
            code=code,
            name=f"{code}栋",
            floors_above=tops[code],
            floors_below=bottoms[code],
        )
        for code in tops
        if code not in buildings
    ]
    raised = []
    for code, building in buildings.items():
        if code in tops and (building.floors_above < tops[code] or building.floors_below < bottoms[code]):
            building.floors_above = max(building.floors_above, tops[code])
            building.floors_below = max(building.floors_below, bottoms[code])
            building.updated_at = now
            raised.append(building)
    if raised:
        Building.objects.bulk_update(raised, ["floors_above", "floors_below", "updated_at"], batch_size=BATCH_SIZE)
    if not new:
        return buildings
    Building.objects.bulk_create(new, batch_size=BATCH_SIZE)
    return _buildings_by_code(project)


def _buildings_by_code(project: Project) -> dict[str, Building]:
    buildings: dict[str, Building] = {}
    for building in Building.objects.filter(project=project).order_by("id"):
        # A building typed in by hand as "1栋" still matches rows that say 1.
        try:
            key = parse_building(building.code)
        except CellError:
            key = building.code
        if building.code == key or key not in buildings:
            buildings[key] = building
    return buildings


def _existing_units(project: Project, buildings: dict[str, Building]) -> dict[tuple[str, str, str], Unit]:
    code_by_id = {building.pk: code for code, building in buildings.items()}
    units = Unit.objects.filter(project=project).only(
        "id", "building_id", "entrance", "number", "floor", "gross_area", "usable_area", "layout", "delivery_standard"
    )
    return {
        (code_by_id[unit.building_id], unit.entrance, unit.number): unit
        for unit in units
        if unit.building_id in code_by_id
    }


def _write(
    *, project: Project, rows: list[_Row], buildings: dict[str, Building], existing: dict[tuple[str, str, str], Unit]
) -> _Counts:
    counts = _Counts()
    buildings = _ensure_buildings(project=project, rows=rows, buildings=buildings)
    now = timezone.now()
    new: list[Unit] = []
    changed: list[Unit] = []
    changed_fields: set[str] = set()
    for row in rows:
        unit = existing.get((row.building, row.entrance, row.number))
        if unit is None:
            building = buildings[row.building]
            new.append(
                Unit(
                    organisation_id=project.organisation_id,
                    project=project,
                    building=building,
                    entrance=row.entrance,
                    floor=row.floor,
                    number=row.number,
                    label=Unit.make_label(building.code, row.entrance, row.number),
                    **row.values,
                )
            )
            continue
        updates = {"floor": row.floor, **row.values}
        differing = [name for name, value in updates.items() if getattr(unit, name) != value]
        if not differing:
            counts.unchanged += 1
            continue
        for name in differing:
            setattr(unit, name, updates[name])
        unit.updated_at = now
        changed_fields.update(differing)
        changed.append(unit)
    if new:
        Unit.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        Unit.objects.bulk_update(changed, sorted(changed_fields | {"updated_at"}), batch_size=BATCH_SIZE)
    counts.created, counts.updated = len(new), len(changed)
    return counts


def import_units(*, actor: Membership, project: Project, file: IO[bytes], file_name: str, mode: str) -> ImportJob:
    """Import the units of a workbook into `project`; the job records counts and row errors.

    ALL_OR_NOTHING writes nothing if any row has an error; VALID_ROWS writes the rows without
    errors. An unreadable file raises InvalidInput(field="file") and records nothing.
    """
    ensure_can(actor, "properties.import", project.organisation)
    if mode not in ImportJob.Mode.values:
        raise InvalidInput(_("Choose how to handle rows with errors."), field="mode")
    sheet = read_sheet(file)
    outcome = _Outcome()
    columns = _map_headers(sheet, outcome)
    header_broken = bool(outcome.failed_rows)
    rows = [] if header_broken else _validate_rows(sheet, columns, outcome)
    counts = _Counts()
    with transaction.atomic():
        # Two imports into one project queue here instead of racing on the unique constraint.
        project = Project.objects.select_for_update().get(pk=project.pk)
        buildings = _buildings_by_code(project)
        existing = _existing_units(project, buildings)
        rows = _check_against_existing(rows, existing, columns, outcome)
        rejected = header_broken or not rows or (mode == ImportJob.Mode.ALL_OR_NOTHING and bool(outcome.failed_rows))
        if not rejected:
            counts = _write(project=project, rows=rows, buildings=buildings, existing=existing)
        if rejected:
            status = ImportJob.Status.REJECTED
        elif outcome.failed_rows:
            status = ImportJob.Status.PARTIAL
        else:
            status = ImportJob.Status.IMPORTED
        job = ImportJob.objects.create(
            organisation_id=project.organisation_id,
            project=project,
            created_by=actor.user,
            file_name=file_name[:255],
            mode=mode,
            status=status,
            rows_total=len(sheet.rows),
            rows_created=counts.created,
            rows_updated=counts.updated,
            rows_unchanged=counts.unchanged,
            rows_failed=len(sheet.rows) if header_broken else len(outcome.failed_rows),
            errors=sorted(outcome.errors, key=lambda error: error["row"]),
        )
    logger.info(
        "import %s into project %s: %s, %s created, %s updated, %s unchanged, %s rows failed",
        job.pk,
        project.pk,
        job.status,
        job.rows_created,
        job.rows_updated,
        job.rows_unchanged,
        job.rows_failed,
    )
    return job


# --- reads -------------------------------------------------------------------------------------


def import_job_list(*, viewer: Membership) -> QuerySet[ImportJob]:
    """Imports in the viewer's scope, newest first, without their (large) error lists."""
    return (
        visible(ImportJob, viewer)
        .select_related("project", "created_by__membership")
        .defer("errors")
        .order_by("-created_at", "-id")
    )


def import_job_get(*, viewer: Membership, import_id: int) -> ImportJob:
    return one_or_404(visible(ImportJob, viewer).select_related("project", "created_by__membership"), pk=import_id)


def import_project_choices(*, viewer: Membership) -> QuerySet[Project]:
    return visible(Project, viewer).order_by("name", "id")
