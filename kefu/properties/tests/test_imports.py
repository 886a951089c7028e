"""The Excel import service: headers, cells, duplicates, modes, natural keys, limits, permissions."""

import io
import os
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.imports import (
    import_error_workbook,
    import_job_get,
    import_job_list,
    import_template_workbook,
    import_units,
)
from kefu.properties.imports.service import ERROR_LIMIT
from kefu.properties.models import Building, ImportJob, Project, Unit
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory

HEADERS = ["楼栋", "单元", "楼层", "房号", "建筑面积", "套内面积", "户型", "交付标准"]
ALL = ImportJob.Mode.ALL_OR_NOTHING
VALID = ImportJob.Mode.VALID_ROWS


def xlsx(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[Any] | None = HEADERS,
    *,
    name: str = "units.xlsx",
    sheet_title: str = "房号",
    before: Sequence[str] = (),
) -> SimpleUploadedFile:
    """An uploaded workbook; `before` adds sheets in front of the units sheet."""
    workbook = Workbook(write_only=True)
    for title in before:
        workbook.create_sheet(title).append(["别的内容"])
    sheet = workbook.create_sheet(sheet_title)
    if headers is not None:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def row(
    building: Any = "1",
    entrance: Any = "1",
    floor: Any = 12,
    number: Any = "1201",
    gross: Any = 98.5,
    usable: Any = 78.2,
    layout: Any = "3室2厅2卫",
    standard: Any = "毛坯",
) -> list[Any]:
    return [building, entrance, floor, number, gross, usable, layout, standard]


@pytest.fixture
def project(city: OrgUnit) -> Project:
    return ProjectFactory(organisation=city)


@pytest.fixture
def run(admin: Membership, project: Project) -> Callable[..., ImportJob]:
    def do(file: SimpleUploadedFile, mode: str = ALL) -> ImportJob:
        return import_units(actor=admin, project=project, file=file, file_name=file.name or "", mode=mode)

    return do


def errors_of(job: ImportJob) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in job.errors]


# --- writing -----------------------------------------------------------------------------------


def test_import_units_creates_units_and_missing_buildings(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([row(floor=12, number="1201"), row(floor=18, number="1801")])

    job = run(file)

    assert (job.status, job.rows_total, job.rows_created) == (ImportJob.Status.IMPORTED, 2, 2)
    building = Building.objects.get(project=project)
    assert (building.code, building.name, building.floors_above) == ("1", "1栋", 18)
    assert sorted(Unit.objects.filter(project=project).values_list("label", flat=True)) == ["1-1-1201", "1-1-1801"]


def test_import_units_stores_cell_values(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([row(gross=98.555, usable="78.2㎡", layout="3室2厅2卫", standard="精装")])

    run(file)

    unit = Unit.objects.get(project=project)
    assert (unit.floor, unit.gross_area, unit.usable_area, unit.layout, unit.delivery_standard) == (
        12,
        Decimal("98.56"),
        Decimal("78.20"),
        "3室2厅2卫",
        Unit.DeliveryStandard.FITTED,
    )


def test_import_units_normalises_building_entrance_and_number(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([row(building="1栋", entrance="2单元", number=1202.0)])

    run(file)

    unit = Unit.objects.select_related("building").get(project=project)
    assert (unit.building.code, unit.entrance, unit.number, unit.label) == ("1", "2", "1202", "1-2-1202")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("毛坯", Unit.DeliveryStandard.SHELL),
        ("简装", Unit.DeliveryStandard.BASIC),
        ("精装修", Unit.DeliveryStandard.FITTED),
        ("Basic", Unit.DeliveryStandard.BASIC),
        (None, Unit.DeliveryStandard.SHELL),
    ],
)
def test_import_units_maps_delivery_standard(
    run: Callable[..., ImportJob], project: Project, cell: Any, expected: str
) -> None:
    run(xlsx([row(standard=cell)]))

    assert Unit.objects.get(project=project).delivery_standard == expected


def test_import_units_reimport_of_same_file_changes_nothing(run: Callable[..., ImportJob], project: Project) -> None:
    rows = [row(number=f"12{n:02d}") for n in range(1, 6)]
    run(xlsx(rows))

    job = run(xlsx(rows))

    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 0, 5)
    assert Unit.objects.filter(project=project).count() == 5


def test_import_units_updates_changed_rows_only(run: Callable[..., ImportJob], project: Project) -> None:
    run(xlsx([row(number="1201", gross=98.5), row(number="1202", gross=98.5)]))

    job = run(xlsx([row(number="1201", gross=101), row(number="1202", gross=98.5)]))

    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 1, 1)
    assert Unit.objects.get(project=project, number="1201").gross_area == Decimal("101.00")


def test_import_units_matches_existing_units_by_natural_key(run: Callable[..., ImportJob], project: Project) -> None:
    building = BuildingFactory(project=project, code="1", floors_above=18)
    unit = UnitFactory(building=building, entrance="1", number="1201", floor=12, layout="2室1厅1卫")

    job = run(xlsx([row(building="1栋", entrance="1", number="1201", layout="3室2厅2卫")]))

    unit.refresh_from_db()
    assert (job.rows_created, job.rows_updated, unit.layout) == (0, 1, "3室2厅2卫")
    assert Unit.objects.filter(project=project).count() == 1


def test_import_units_keeps_stored_value_of_a_column_the_file_lacks(
    run: Callable[..., ImportJob], project: Project
) -> None:
    building = BuildingFactory(project=project, code="1")
    UnitFactory(
        building=building, entrance="1", number="1201", floor=12, delivery_standard=Unit.DeliveryStandard.FITTED
    )

    job = run(xlsx([["1", "1", 12, "1201"]], headers=["楼栋", "单元", "楼层", "房号"]))

    assert job.rows_unchanged == 1
    assert Unit.objects.get(project=project).delivery_standard == Unit.DeliveryStandard.FITTED


def test_import_units_raises_floor_count_of_existing_building(run: Callable[..., ImportJob], project: Project) -> None:
    building = BuildingFactory(project=project, code="1", floors_above=10, floors_below=0)

    run(xlsx([row(floor=15, number="1501"), row(floor=-1, number="B101")]))

    building.refresh_from_db()
    assert (building.floors_above, building.floors_below) == (15, 1)


def test_import_units_all_or_nothing_writes_nothing_when_one_row_is_bad(
    run: Callable[..., ImportJob], project: Project
) -> None:
    file = xlsx([row(number="1201"), row(number="1202", floor="十二"), row(number="1203")])

    job = run(file, ALL)

    assert (job.status, job.rows_created, job.rows_failed) == (ImportJob.Status.REJECTED, 0, 1)
    assert errors_of(job) == [(3, "楼层")]
    assert not Unit.objects.filter(project=project).exists()
    assert not Building.objects.filter(project=project).exists()


def test_import_units_valid_rows_mode_writes_the_good_rows(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([row(number="1201"), row(number="1202", floor="十二"), row(number="1203")])

    job = run(file, VALID)

    assert (job.status, job.rows_created, job.rows_failed) == (ImportJob.Status.PARTIAL, 2, 1)
    assert sorted(Unit.objects.filter(project=project).values_list("number", flat=True)) == ["1201", "1203"]


def test_import_units_valid_rows_mode_rejects_file_without_a_good_row(
    run: Callable[..., ImportJob], project: Project
) -> None:
    job = run(xlsx([row(floor="十二")]), VALID)

    assert job.status == ImportJob.Status.REJECTED
    assert not Unit.objects.filter(project=project).exists()


# --- headers -----------------------------------------------------------------------------------


def test_import_units_reports_a_missing_required_column(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([["1", "1", "1201"]], headers=["楼栋", "单元", "房号"])

    job = run(file, VALID)

    assert job.status == ImportJob.Status.REJECTED
    assert errors_of(job) == [(1, "楼层")]
    assert not Unit.objects.filter(project=project).exists()


def test_import_units_reports_each_required_column_when_headers_are_wrong(run: Callable[..., ImportJob]) -> None:
    file = xlsx([["1", "1", 12, "1201"]], headers=["Block", "Door", "Level", "Flat"])

    job = run(file)

    assert errors_of(job) == [(1, "楼栋"), (1, "楼层"), (1, "房号")]
    assert job.rows_failed == 1


def test_import_units_reports_a_column_given_twice(run: Callable[..., ImportJob]) -> None:
    file = xlsx([["1", 12, "1201", "1202"]], headers=["楼栋", "楼层", "房号", "房号 "])

    job = run(file)

    assert errors_of(job) == [(1, "房号")]


def test_import_units_tolerates_header_spaces_order_units_and_extra_columns(
    run: Callable[..., ImportJob], project: Project
) -> None:
    headers = ["备注", " 房 号 ", "建筑面积(㎡)", "楼层", "楼栋号"]
    file = xlsx([["随便写", "1201", 98.5, 12, "2"]], headers=headers)

    job = run(file)

    unit = Unit.objects.get(project=project)
    assert (job.status, unit.label, unit.gross_area) == (ImportJob.Status.IMPORTED, "2-1201", Decimal("98.50"))


def test_import_units_finds_the_header_below_a_title_row(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([HEADERS, row()], headers=["华景花园房号台账"])

    job = run(file)

    assert (job.status, job.rows_total) == (ImportJob.Status.IMPORTED, 1)
    assert Unit.objects.filter(project=project).count() == 1


def test_import_units_reads_the_sheet_named_units(run: Callable[..., ImportJob], project: Project) -> None:
    file = xlsx([row()], sheet_title="units", before=["封面"])

    job = run(file)

    assert job.rows_created == 1


# --- cells -------------------------------------------------------------------------------------


def test_import_units_reports_a_missing_required_cell(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(), row(number="1202", floor=None)]))

    assert errors_of(job) == [(3, "楼层")]


def test_import_units_reports_a_duplicate_unit_on_its_second_row(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(number="1201"), row(number="1202"), row(building="1栋", number=1201)]))

    assert errors_of(job) == [(4, "房号")]
    assert "1-1-1201" in job.errors[0]["message"]
    assert "2" in job.errors[0]["message"].replace("1-1-1201", "")


def test_import_units_reports_a_number_where_text_belongs(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(layout=3), row(number=1202.5)]))

    assert errors_of(job) == [(2, "户型"), (3, "房号")]


def test_import_units_reports_text_where_a_number_belongs(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(floor="十二层", gross="约90平")]))

    assert errors_of(job) == [(2, "楼层"), (2, "建筑面积")]
    assert job.rows_failed == 1


def test_import_units_reports_a_date_in_the_unit_number(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(number=date(2026, 3, 1))]))

    assert errors_of(job) == [(2, "房号")]


@pytest.mark.parametrize("floor", [0, 12.5, 999, True])
def test_import_units_reports_an_impossible_floor(run: Callable[..., ImportJob], floor: Any) -> None:
    job = run(xlsx([row(floor=floor)]))

    assert errors_of(job) == [(2, "楼层")]


@pytest.mark.parametrize("gross", [0, -5, "abc", 1e12])
def test_import_units_reports_an_impossible_area(run: Callable[..., ImportJob], gross: Any) -> None:
    job = run(xlsx([row(gross=gross, usable=None)]))

    assert errors_of(job) == [(2, "建筑面积")]


def test_import_units_reports_usable_area_above_gross(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(gross=80, usable=90)]))

    assert errors_of(job) == [(2, "套内面积")]


def test_import_units_reports_usable_area_above_stored_gross(run: Callable[..., ImportJob], project: Project) -> None:
    building = BuildingFactory(project=project, code="1")
    UnitFactory(building=building, entrance="1", number="1201", floor=12, gross_area=Decimal("80"), usable_area=None)

    job = run(xlsx([["1", "1", 12, "1201", 90]], headers=["楼栋", "单元", "楼层", "房号", "套内面积"]))

    assert (job.status, errors_of(job)) == (ImportJob.Status.REJECTED, [(2, "套内面积")])


def test_import_units_reports_an_unknown_delivery_standard(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(standard="豪华")]))

    assert errors_of(job) == [(2, "交付标准")]


def test_import_units_caps_stored_errors_but_counts_every_failed_row(run: Callable[..., ImportJob]) -> None:
    rows = [row(number=str(1000 + n), floor="x") for n in range(ERROR_LIMIT + 100)]

    job = run(xlsx(rows))

    assert (len(job.errors), job.rows_failed) == (ERROR_LIMIT, ERROR_LIMIT + 100)


# --- files -------------------------------------------------------------------------------------


def test_import_units_refuses_a_10_mb_file_of_garbage(run: Callable[..., ImportJob]) -> None:
    garbage = SimpleUploadedFile("units.xlsx", os.urandom(10 * 1024 * 1024))

    with pytest.raises(InvalidInput) as caught:
        run(garbage)

    assert caught.value.field == "file"
    assert not ImportJob.objects.exists()


def test_import_units_refuses_a_zip_that_is_not_a_workbook(run: Callable[..., ImportJob]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")

    with pytest.raises(InvalidInput) as caught:
        run(SimpleUploadedFile("units.xlsx", buffer.getvalue()))

    assert caught.value.field == "file"


def test_import_units_refuses_an_old_xls_file(run: Callable[..., ImportJob]) -> None:
    with pytest.raises(InvalidInput, match=r"\.xls"):
        run(SimpleUploadedFile("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512))


def test_import_units_refuses_a_file_over_the_size_limit(run: Callable[..., ImportJob]) -> None:
    file = xlsx([row()])

    with override_settings(KEFU_IMPORT_MAX_BYTES=1024), pytest.raises(InvalidInput) as caught:
        run(file)

    assert caught.value.field == "file"


def test_import_units_refuses_a_sheet_without_rows(run: Callable[..., ImportJob]) -> None:
    with pytest.raises(InvalidInput):
        run(xlsx([]))

    assert not ImportJob.objects.exists()


def test_import_units_reads_the_downloadable_template(run: Callable[..., ImportJob], project: Project) -> None:
    template = SimpleUploadedFile("template.xlsx", import_template_workbook())

    job = run(template)

    unit = Unit.objects.get(project=project)
    assert (job.status, unit.label, unit.delivery_standard) == (
        ImportJob.Status.IMPORTED,
        "1-2-1202",
        Unit.DeliveryStandard.FITTED,
    )


def test_import_error_workbook_lists_each_error(run: Callable[..., ImportJob]) -> None:
    job = run(xlsx([row(floor="x"), row(number="1202", layout=3)]))

    sheet = load_workbook(io.BytesIO(import_error_workbook(job=job)), read_only=True).worksheets[0]

    assert [r[:2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [(2, "楼层"), (3, "户型")]


def test_import_units_of_5000_rows_takes_well_under_a_minute(run: Callable[..., ImportJob], project: Project) -> None:
    rows = [
        row(building=str(b), entrance="1", floor=f, number=f"{f}{n:02d}")
        for b in range(1, 11)
        for f in range(1, 26)
        for n in range(1, 21)
    ]
    file = xlsx(rows)

    start = time.perf_counter()
    job = run(file)
    elapsed = time.perf_counter() - start

    assert (job.rows_created, Unit.objects.filter(project=project).count()) == (5000, 5000)
    assert elapsed < 30


# --- permissions and reads ---------------------------------------------------------------------


def test_import_units_is_forbidden_for_a_project_of_another_unit(admin: Membership, other_city: OrgUnit) -> None:
    project = ProjectFactory(organisation=other_city)

    with pytest.raises(Forbidden):
        import_units(actor=admin, project=project, file=xlsx([row()]), file_name="units.xlsx", mode=ALL)

    assert not Unit.objects.filter(project=project).exists()
    assert not ImportJob.objects.exists()


def test_import_units_is_forbidden_for_non_admins(
    city: OrgUnit, project: Project, make_staff: Callable[..., Membership]
) -> None:
    supervisor = make_staff(city, Role.SUPERVISOR, Role.EXECUTIVE)

    with pytest.raises(Forbidden):
        import_units(actor=supervisor, project=project, file=xlsx([row()]), file_name="units.xlsx", mode=ALL)

    assert not ImportJob.objects.exists()


def test_import_job_list_hides_imports_of_another_unit(
    run: Callable[..., ImportJob], outsider: Membership, admin: Membership
) -> None:
    mine = run(xlsx([row()]))

    assert list(import_job_list(viewer=admin)) == [mine]
    assert list(import_job_list(viewer=outsider)) == []


def test_import_job_get_of_another_unit_is_not_found(run: Callable[..., ImportJob], outsider: Membership) -> None:
    from django.http import Http404

    job = run(xlsx([row()]))

    with pytest.raises(Http404):
        import_job_get(viewer=outsider, import_id=job.pk)
