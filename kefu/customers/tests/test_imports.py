"""The ledger import service: reading, checking, preview counts, commit, matching, idempotence."""

import io
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import override_settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from kefu.audit.models import AuditEntry
from kefu.core.crypto import decrypt, keyed_hash
from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.customers.imports import (
    ERROR_LIMIT,
    CommitOutcome,
    import_cancel,
    import_commit,
    import_error_workbook,
    import_get,
    import_list,
    import_template_workbook,
    import_upload,
)
from kefu.customers.models import (
    Consent,
    ContactMethod,
    Customer,
    CustomerImport,
    Grade,
    Household,
    TimelineEntry,
)
from kefu.customers.services import TimelineKind, customer_set_id_number, household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project, Unit
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory

HEADERS = [
    "姓名",
    "手机号",
    "证件号码",
    "证件授权",
    "楼栋",
    "单元",
    "房号",
    "身份",
    "认购日期",
    "签约日期",
    "交付日期",
    "等级",
]
ALL = CustomerImport.Mode.ALL_OR_NOTHING
VALID = CustomerImport.Mode.VALID_ROWS
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int, birth: str = "19850612") -> str:
    """A resident ID number with a correct GB 11643 check digit."""
    body = f"440305{birth}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def line(
    name: Any = "张三",
    mobile: Any = "13812345678",
    id_no: Any = None,
    consent: Any = None,
    building: Any = "1",
    entrance: Any = "1",
    number: Any = "101",
    role: Any = "业主",
    subscribed: Any = None,
    signed: Any = "2024-04-15",
    delivered: Any = None,
    grade: Any = None,
) -> list[Any]:
    return [name, mobile, id_no, consent, building, entrance, number, role, subscribed, signed, delivered, grade]


def ledger(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[Any] | None = HEADERS,
    *,
    name: str = "台账.xlsx",
    sheet_title: str = "台账",
    before: Sequence[str] = (),
) -> SimpleUploadedFile:
    """An uploaded ledger workbook; `before` adds sheets in front of the ledger sheet."""
    workbook = Workbook(write_only=True)
    for title in before:
        workbook.create_sheet(title).append(["别的内容", "不是台账"])
    sheet = workbook.create_sheet(sheet_title)
    if headers is not None:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def make_units(project: Project, building: str = "1", entrance: str = "1", numbers: Sequence[str] = ()) -> list[Unit]:
    block = BuildingFactory(project=project, code=building, name=f"{building}栋")
    return [UnitFactory(building=block, entrance=entrance, number=number) for number in numbers]


@pytest.fixture
def project(city: OrgUnit) -> Project:
    project = ProjectFactory(organisation=city, name="华景花园")
    make_units(project, numbers=[str(n) for n in range(101, 111)])
    return project


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def upload(supervisor: Membership, project: Project) -> Callable[..., CustomerImport]:
    def do(file: SimpleUploadedFile, mode: str = ALL) -> CustomerImport:
        return import_upload(actor=supervisor, project=project, file=file, file_name=file.name or "", mode=mode)

    return do


@pytest.fixture
def run(upload: Callable[..., CustomerImport], supervisor: Membership) -> Callable[..., CustomerImport]:
    """Upload and commit; the committed (or refused) job."""

    def do(file: SimpleUploadedFile, mode: str = ALL) -> CustomerImport:
        job, _outcome = import_commit(actor=supervisor, job=upload(file, mode))
        return job

    return do


def errors_of(job: CustomerImport) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in job.errors]


def unit(project: Project, number: str, building: str = "1") -> Unit:
    return Unit.objects.get(project=project, building__code=building, number=number)


# --- upload: a draft, counted, nothing written -------------------------------------------------


def test_import_upload_stores_a_draft_with_the_preview_counts(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(), line(number="102"), line(name="李四", mobile="13900001111", number="103")]))

    assert job.status == CustomerImport.Status.DRAFT
    assert (job.rows_total, job.customers_created, job.customers_matched, job.households_created, job.rows_failed) == (
        3,
        2,
        0,
        3,
        0,
    )


def test_import_upload_writes_nothing_to_the_ledger(upload: Callable[..., CustomerImport]) -> None:
    upload(ledger([line()]))

    assert not Customer.objects.exists()
    assert not Household.objects.exists()


def test_import_upload_previews_rows_with_masked_mobiles(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line()]))

    assert job.preview == [
        {
            "row": 2,
            "name": "张三",
            "mobile": "138****5678",
            "id_number": "",
            "unit": "1-1-101",
            "role": "owner",
            "action": "new",
        }
    ]


def test_import_upload_keeps_no_raw_id_number_on_the_job(upload: Callable[..., CustomerImport]) -> None:
    number = id_number(1)

    job = upload(ledger([line(id_no=number, consent="是"), line(name="王五", id_no=number, number="102")]), mode=VALID)

    stored = str(job.rows) + str(job.preview) + str(job.errors) + job.error_rows_encrypted
    assert number not in stored
    assert job.rows[0]["id_hash"] == keyed_hash(number)


def test_import_upload_is_forbidden_to_agents(agent: Membership, project: Project) -> None:
    with pytest.raises(Forbidden):
        import_upload(actor=agent, project=project, file=ledger([line()]), file_name="x.xlsx", mode=ALL)

    assert not CustomerImport.objects.exists()


def test_import_upload_is_forbidden_for_a_project_of_another_unit(supervisor: Membership, other_city: OrgUnit) -> None:
    theirs = ProjectFactory(organisation=other_city)

    with pytest.raises(Forbidden):
        import_upload(actor=supervisor, project=theirs, file=ledger([line()]), file_name="x.xlsx", mode=ALL)


# --- upload: bad cells -------------------------------------------------------------------------


def test_import_upload_reports_an_invalid_mobile(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(mobile="12345678901")]))

    assert errors_of(job) == [(2, "手机号")]
    assert "12345678901" in job.errors[0]["message"]


def test_import_upload_reads_a_mobile_stored_as_a_number(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(mobile=13812345678)]))

    assert job.rows[0]["mobile"] == "8613812345678"


def test_import_upload_reports_an_id_number_with_a_wrong_check_digit(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(id_no=wrong_check_digit(id_number(2)), consent="是")]))

    assert errors_of(job) == [(2, "证件号码")]
    assert job.errors[0]["message"] == _("This ID number's check digit is wrong: please check it for a typing mistake.")


def test_import_upload_reports_an_id_number_stored_as_a_number(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(id_no=440305198506120011, consent="是")]))

    assert errors_of(job) == [(2, "证件号码")]


def test_import_upload_reports_an_id_number_without_consent(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(id_no=id_number(3), consent="否")]))

    assert errors_of(job) == [(2, "证件授权")]


def test_import_upload_reports_an_id_number_when_the_consent_column_is_missing(
    upload: Callable[..., CustomerImport],
) -> None:
    headers = [header for header in HEADERS if header != "证件授权"]
    row = line(id_no=id_number(3))
    del row[3]

    job = upload(ledger([row], headers))

    assert errors_of(job) == [(2, "证件号码")]


@pytest.mark.parametrize("consent", ["是", "已授权", "Y", 1, True])
def test_import_upload_accepts_the_ways_consent_is_written(upload: Callable[..., CustomerImport], consent: Any) -> None:
    job = upload(ledger([line(id_no=id_number(4), consent=consent)]))

    assert job.errors == []


def test_import_upload_needs_a_mobile_or_an_id_number(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(mobile=None)]))

    assert errors_of(job) == [(2, "手机号")]


def test_import_upload_reports_a_unit_that_does_not_exist_by_its_label(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(building="9", number="901")]))

    assert errors_of(job) == [(2, "房号")]
    assert "9-1-901" in job.errors[0]["message"]


def test_import_upload_finds_units_written_with_suffixes(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(building="1号楼", entrance="1单元", number="101室")]))

    assert job.errors == []


def test_import_upload_reports_a_delivery_date_before_the_signing_date(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(signed="2024-05-01", delivered="2024-01-01")]))

    assert errors_of(job) == [(2, "交付日期")]
    assert "2024-05-01" in job.errors[0]["message"]


def test_import_upload_reports_a_date_before_the_recorded_signing_date(
    upload: Callable[..., CustomerImport], project: Project, city: OrgUnit
) -> None:
    customer = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    household_add(actor=None, customer=customer, unit=unit(project, "101"), signed_on=date(2024, 5, 1))
    headers = ["姓名", "手机号", "楼栋", "单元", "房号", "交付日期"]

    job = upload(ledger([["张三", "13812345678", "1", "1", "101", "2024-02-01"]], headers))

    assert errors_of(job) == [(2, "交付日期")]


def test_import_upload_reports_a_duplicate_customer_and_unit(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(), line(role="共有人")]))

    assert errors_of(job) == [(3, "房号")]
    assert job.errors[0]["message"] == _("This customer and unit %(unit)s already appear in row %(row)s.") % {
        "unit": "1-1-101",
        "row": 2,
    }


def test_import_upload_reports_one_id_number_given_for_two_names(upload: Callable[..., CustomerImport]) -> None:
    number = id_number(20)

    job = upload(
        ledger([line(id_no=number, consent="是"), line(name="王芳", id_no=number, consent="是", number="102")])
    )

    assert errors_of(job) == [(3, "证件号码")]


def test_import_upload_reports_two_id_numbers_for_one_customer(upload: Callable[..., CustomerImport]) -> None:
    rows = [line(id_no=id_number(21), consent="是"), line(id_no=id_number(22), consent="是", number="102")]

    job = upload(ledger(rows))

    assert errors_of(job) == [(3, "证件号码")]


def test_import_upload_reports_an_id_number_recorded_for_another_customer(
    upload: Callable[..., CustomerImport], city: OrgUnit, supervisor: Membership
) -> None:
    number = id_number(23)
    other = CustomerFactory(organisation=city, name="王芳", mobile="13600000000")
    customer_set_id_number(actor=supervisor, customer=other, id_number=number, consent_method="paper")

    job = upload(ledger([line(id_no=number, consent="是")]))

    assert errors_of(job) == [(2, "证件号码")]
    assert "王芳" in job.errors[0]["message"]


def test_import_upload_reports_another_id_number_for_a_customer_recorded_with_one(
    upload: Callable[..., CustomerImport], city: OrgUnit, supervisor: Membership
) -> None:
    existing = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    customer_set_id_number(actor=supervisor, customer=existing, id_number=id_number(24), consent_method="paper")

    job = upload(ledger([line(id_no=id_number(25), consent="是")]))

    assert errors_of(job) == [(2, "证件号码")]


def test_import_upload_reports_a_number_where_the_name_belongs(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(name=12345)]))

    assert errors_of(job) == [(2, "姓名")]


@pytest.mark.parametrize(
    ("column", "value"),
    [("身份", "房东"), ("签约日期", "去年"), ("签约日期", "2024-02-30"), ("等级", "S"), ("证件授权", "也许")],
)
def test_import_upload_reports_an_unreadable_cell(
    upload: Callable[..., CustomerImport], column: str, value: str
) -> None:
    row = line(id_no=id_number(5), consent="是")
    row[HEADERS.index(column)] = value

    job = upload(ledger([row]))

    assert errors_of(job) == [(2, column)]


@pytest.mark.parametrize(
    "signed",
    [
        datetime(2024, 4, 15, tzinfo=UTC).replace(tzinfo=None),
        date(2024, 4, 15),
        "2024/4/15",
        "2024.4.15",
        "2024年4月15日",
        20240415,
    ],
)
def test_import_upload_reads_dates_as_excel_dates_or_text(upload: Callable[..., CustomerImport], signed: Any) -> None:
    job = upload(ledger([line(signed=signed)]))

    assert job.rows[0]["signed_on"] == "2024-04-15"


def test_import_upload_reports_a_missing_required_column_and_rejects(upload: Callable[..., CustomerImport]) -> None:
    headers = [header for header in HEADERS if header != "房号"]
    row = line()
    del row[6]

    job = upload(ledger([row], headers))

    assert job.status == CustomerImport.Status.REJECTED
    assert errors_of(job) == [(1, "房号")]
    assert job.rows_failed == 1


def test_import_upload_tolerates_header_spellings_order_and_extra_columns(
    upload: Callable[..., CustomerImport],
) -> None:
    headers = ["备注", "房号", "楼栋号", "客户姓名", "手机号码 ", "单元号", "签约时间"]

    job = upload(ledger([["老客户", "101", "1栋", "张三", "138 1234 5678", "1", "2024-04-15"]], headers))

    assert (job.status, job.errors, job.households_created) == (CustomerImport.Status.DRAFT, [], 1)


def test_import_upload_refuses_a_sheet_whose_headers_match_none_of_the_ledger(
    upload: Callable[..., CustomerImport],
) -> None:
    with pytest.raises(InvalidInput) as caught:
        upload(ledger([["a", "b"]], ["产品", "价格"], sheet_title="报价"))

    assert caught.value.field == "file"
    assert "报价" in caught.value.message
    assert not CustomerImport.objects.exists()


def test_import_upload_reads_the_sheet_named_like_the_ledger_not_the_first(
    upload: Callable[..., CustomerImport],
) -> None:
    job = upload(ledger([line()], sheet_title="客户台账", before=["封面"]))

    assert (job.status, job.rows_total) == (CustomerImport.Status.DRAFT, 1)


def test_import_upload_refuses_a_file_of_garbage(upload: Callable[..., CustomerImport]) -> None:
    with pytest.raises(InvalidInput) as caught:
        upload(SimpleUploadedFile("台账.xlsx", os.urandom(64 * 1024)))

    assert caught.value.field == "file"
    assert not CustomerImport.objects.exists()


def test_import_upload_refuses_a_file_over_the_size_limit(upload: Callable[..., CustomerImport]) -> None:
    file = ledger([line()])

    with override_settings(KEFU_IMPORT_MAX_BYTES=1024), pytest.raises(InvalidInput) as caught:
        upload(file)

    assert caught.value.field == "file"
    assert "%(" not in caught.value.message


def test_import_upload_all_or_nothing_with_an_error_is_rejected_and_holds_no_rows(
    upload: Callable[..., CustomerImport],
) -> None:
    job = upload(ledger([line(), line(name="李四", mobile="110", number="102")]), mode=ALL)

    assert (job.status, job.rows, job.rows_failed) == (CustomerImport.Status.REJECTED, [], 1)


def test_import_upload_caps_stored_errors_but_counts_every_failed_row(upload: Callable[..., CustomerImport]) -> None:
    rows = [line(name=f"客户{n}", mobile="110", number="101") for n in range(ERROR_LIMIT + 20)]

    job = upload(ledger(rows), mode=VALID)

    assert (len(job.errors), job.rows_failed) == (ERROR_LIMIT, ERROR_LIMIT + 20)


# --- commit ------------------------------------------------------------------------------------


def test_import_commit_creates_customers_households_and_mobiles(
    run: Callable[..., CustomerImport], project: Project
) -> None:
    job = run(ledger([line(subscribed="2024-03-01", signed="2024-04-15", delivered="2030-06-30")]))

    customer = Customer.objects.get()
    household = customer.households.get()
    assert job.status == CustomerImport.Status.IMPORTED
    assert (customer.name, customer.organisation_id, customer.name_initials) == ("张三", project.organisation_id, "zs")
    assert list(customer.contacts.values_list("kind", "value", "is_primary")) == [("mobile", "8613812345678", True)]
    assert (household.unit, household.role, household.signed_on, household.delivered_on) == (
        unit(project, "101"),
        Household.Role.OWNER,
        date(2024, 4, 15),
        date(2030, 6, 30),
    )


def test_import_commit_sets_the_stage_from_the_dates(run: Callable[..., CustomerImport]) -> None:
    run(ledger([line(signed="2024-04-15", delivered="2030-06-30")]))

    assert Customer.objects.get().stage == Customer.Stage.AWAITING_DELIVERY


def test_import_commit_maps_the_roles(run: Callable[..., CustomerImport]) -> None:
    run(ledger([line(role="共有人"), line(name="小张", mobile="13700000000", role="家庭成员")]))

    assert sorted(Household.objects.values_list("role", flat=True)) == [Household.Role.CO_OWNER, Household.Role.FAMILY]


def test_import_commit_stores_the_id_number_encrypted_with_an_import_consent(
    run: Callable[..., CustomerImport], supervisor: Membership
) -> None:
    number = id_number(6)

    run(ledger([line(id_no=number, consent="已授权")]))

    customer = Customer.objects.get()
    consent = customer.consents.get()
    assert (decrypt(customer.id_number_encrypted), customer.id_number_hash) == (number, keyed_hash(number))
    assert customer.id_number_masked == number[:3] + "*" * 11 + number[-4:]
    assert (consent.purpose, consent.method, consent.recorded_by) == (
        Consent.Purpose.ID_NUMBER,
        Consent.Method.IMPORT,
        supervisor.user,
    )


def test_import_commit_sets_the_grade_by_hand_with_the_note_import(run: Callable[..., CustomerImport]) -> None:
    run(ledger([line(grade="vip")]))

    customer = Customer.objects.get()
    assert (customer.grade, customer.grade_source, customer.grade_reason) == (
        Grade.VIP,
        Customer.GradeSource.MANUAL,
        _("Import"),
    )


def test_import_commit_writes_one_audit_and_one_timeline_entry_per_customer(
    run: Callable[..., CustomerImport],
) -> None:
    job = run(ledger([line(), line(number="102"), line(name="李四", mobile="13900001111", number="103")]))

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT)
    timeline = TimelineEntry.objects.filter(kind=TimelineKind.IMPORTED)
    assert sorted(entries.values_list("object_label", flat=True)) == ["张三", "李四"]
    assert sorted(timeline.values_list("customer__name", flat=True)) == ["张三", "李四"]
    assert {entry.summary for entry in timeline} == {_("Imported from %(file)s") % {"file": job.file_name}}


def test_import_commit_audit_entries_hold_masked_numbers_only(run: Callable[..., CustomerImport]) -> None:
    number = id_number(7)

    run(ledger([line(id_no=number, consent="是")]))

    changes = str(AuditEntry.objects.get(action=AuditEntry.Action.IMPORT).changes)
    assert "13812345678" not in changes
    assert number not in changes
    assert "138****5678" in changes


def test_import_commit_matches_an_existing_customer_by_mobile_and_name(
    run: Callable[..., CustomerImport], city: OrgUnit
) -> None:
    existing = CustomerFactory(organisation=city, name="张三", mobile="13812345678")

    job = run(ledger([line()]))

    assert Customer.objects.get() == existing
    assert (job.customers_created, job.customers_matched, job.households_created) == (0, 1, 1)
    assert existing.households.count() == 1


def test_import_commit_matches_an_existing_customer_by_id_number(
    run: Callable[..., CustomerImport], city: OrgUnit, supervisor: Membership
) -> None:
    number = id_number(8)
    existing = CustomerFactory(organisation=city, name="张三", mobile="13600000000")
    customer_set_id_number(actor=supervisor, customer=existing, id_number=number, consent_method="paper")

    job = run(ledger([line(mobile="13812345678", id_no=number, consent="是")]))

    assert Customer.objects.get() == existing
    assert job.customers_matched == 1
    assert sorted(existing.contacts.values_list("value", flat=True)) == ["8613600000000", "8613812345678"]


def test_import_commit_keeps_two_people_sharing_a_mobile_apart(run: Callable[..., CustomerImport]) -> None:
    run(ledger([line(name="张三"), line(name="王芳", role="共有人")]))

    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张三", "王芳"]


def test_import_commit_does_not_match_customers_of_another_unit(
    run: Callable[..., CustomerImport], other_city: OrgUnit, city: OrgUnit
) -> None:
    CustomerFactory(organisation=other_city, name="张三", mobile="13812345678")

    job = run(ledger([line()]))

    assert job.customers_created == 1
    assert Customer.objects.filter(organisation=city).count() == 1


def test_import_commit_updates_the_dates_and_role_of_an_existing_household(
    run: Callable[..., CustomerImport], project: Project, city: OrgUnit
) -> None:
    customer = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    household_add(actor=None, customer=customer, unit=unit(project, "101"), signed_on=date(2024, 4, 15))

    job = run(ledger([line(role="共有人", delivered="2025-06-30")]))

    household = Household.objects.get()
    assert (job.households_created, job.households_updated) == (0, 1)
    assert (household.role, household.delivered_on) == (Household.Role.CO_OWNER, date(2025, 6, 30))


def test_import_commit_of_the_same_file_again_creates_nothing(run: Callable[..., CustomerImport]) -> None:
    rows = [
        line(id_no=id_number(9), consent="是", grade="A"),
        line(number="102"),
        line(name="李四", mobile="13900001111", number="103", delivered="2025-06-30"),
    ]
    run(ledger(rows))
    audit_count = AuditEntry.objects.count()

    again = run(ledger(rows))

    assert (again.customers_created, again.households_created, again.households_updated) == (0, 0, 0)
    assert (again.customers_matched, again.rows_unchanged) == (2, 3)
    assert (Customer.objects.count(), Household.objects.count(), ContactMethod.objects.count()) == (2, 3, 2)
    assert AuditEntry.objects.count() == audit_count


def test_import_commit_all_or_nothing_writes_nothing_when_one_row_is_bad(
    run: Callable[..., CustomerImport], supervisor: Membership
) -> None:
    job = run(ledger([line(), line(name="李四", mobile="13900001111", number="999")]), mode=ALL)

    assert job.status == CustomerImport.Status.REJECTED
    assert not Customer.objects.exists()


def test_import_commit_valid_rows_mode_writes_the_good_rows(run: Callable[..., CustomerImport]) -> None:
    job = run(ledger([line(), line(name="李四", mobile="13900001111", number="999")]), mode=VALID)

    assert job.status == CustomerImport.Status.PARTIAL
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]
    assert errors_of(job) == [(3, "房号")]


def test_import_commit_twice_writes_once(upload: Callable[..., CustomerImport], supervisor: Membership) -> None:
    job = upload(ledger([line()]))
    import_commit(actor=supervisor, job=job)

    again, outcome = import_commit(actor=supervisor, job=job)

    assert outcome == CommitOutcome.ALREADY_DONE
    assert again.status == CustomerImport.Status.IMPORTED
    assert Customer.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=TimelineKind.IMPORTED).count() == 1


def test_import_commit_clears_the_checked_rows(run: Callable[..., CustomerImport]) -> None:
    job = run(ledger([line(id_no=id_number(10), consent="是")]))

    job.refresh_from_db()
    assert (job.rows, job.committed_at is not None) == ([], True)


def test_import_commit_checks_again_against_the_ledger_as_it_is_now(
    upload: Callable[..., CustomerImport], supervisor: Membership, project: Project
) -> None:
    job = upload(ledger([line(number="110")]))
    unit(project, "110").delete()

    job, outcome = import_commit(actor=supervisor, job=job)

    assert (outcome, job.status) == (CommitOutcome.REFUSED, CustomerImport.Status.REJECTED)
    assert errors_of(job) == [(2, "房号")]
    assert not Customer.objects.exists()


def test_import_commit_rolls_everything_back_when_a_write_fails(
    upload: Callable[..., CustomerImport], supervisor: Membership
) -> None:
    job = upload(ledger([line(), line(name="李四", mobile="13900001111", number="102")]))
    failing = mock.Mock(side_effect=[None, RuntimeError("audit store down")])

    with mock.patch("kefu.customers.imports.service.audit_record", failing), pytest.raises(RuntimeError):
        import_commit(actor=supervisor, job=job)

    job.refresh_from_db()
    assert (Customer.objects.count(), Household.objects.count(), job.status) == (0, 0, CustomerImport.Status.DRAFT)


def test_import_commit_is_forbidden_to_an_administrator_of_another_unit(
    upload: Callable[..., CustomerImport], outsider: Membership
) -> None:
    job = upload(ledger([line()]))

    with pytest.raises(Forbidden):
        import_commit(actor=outsider, job=job)

    assert not Customer.objects.exists()


def test_import_commit_of_a_cancelled_import_writes_nothing(
    upload: Callable[..., CustomerImport], supervisor: Membership
) -> None:
    job = upload(ledger([line()]))
    import_cancel(actor=supervisor, job=job)

    job, outcome = import_commit(actor=supervisor, job=job)

    assert (outcome, job.status) == (CommitOutcome.REFUSED, CustomerImport.Status.CANCELLED)
    assert not Customer.objects.exists()


def test_import_commit_of_2000_rows_takes_under_30_seconds(
    upload: Callable[..., CustomerImport], supervisor: Membership, project: Project
) -> None:
    make_units(project, building="2", numbers=[str(n) for n in range(1, 2001)])
    rows = [
        line(name=f"客户{n}", mobile=f"139{n:08d}", building="2", number=str(n), delivered="2025-06-30")
        for n in range(1, 2001)
    ]
    file = ledger(rows)

    start = time.perf_counter()
    job, _outcome = import_commit(actor=supervisor, job=upload(file))
    elapsed = time.perf_counter() - start

    assert (job.customers_created, job.households_created) == (2000, 2000)
    assert elapsed < 30


# --- cancel, reads, workbooks ------------------------------------------------------------------


def test_import_cancel_drops_the_checked_rows(upload: Callable[..., CustomerImport], supervisor: Membership) -> None:
    job = upload(ledger([line()]))

    job, cancelled = import_cancel(actor=supervisor, job=job)

    assert (cancelled, job.status, job.rows) == (True, CustomerImport.Status.CANCELLED, [])


def test_import_list_hides_imports_of_another_unit(
    upload: Callable[..., CustomerImport], outsider: Membership, supervisor: Membership
) -> None:
    job = upload(ledger([line()]))

    assert list(import_list(viewer=supervisor)) == [job]
    assert list(import_list(viewer=outsider)) == []


def test_import_get_of_another_unit_is_not_found(upload: Callable[..., CustomerImport], outsider: Membership) -> None:
    job = upload(ledger([line()]))

    with pytest.raises(Http404):
        import_get(viewer=outsider, import_id=job.pk)


def test_import_error_workbook_lists_each_error_with_the_original_row(upload: Callable[..., CustomerImport]) -> None:
    job = upload(ledger([line(mobile="110", number="105")]))

    sheet = load_workbook(io.BytesIO(import_error_workbook(job=job))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == (_("Row"), _("Column"), _("Error"))
    assert rows[0][3:6] == ("姓名", "手机号", "证件号码")
    assert rows[1][:2] == (2, "手机号")
    assert rows[1][3:5] == ("张三", "110")


def test_import_template_workbook_imports_cleanly(upload: Callable[..., CustomerImport], project: Project) -> None:
    block = project.buildings.get(code="1")
    UnitFactory(building=block, entrance="2", number="1202")

    job = upload(SimpleUploadedFile("template.xlsx", import_template_workbook()))

    assert (job.status, job.errors, job.households_created) == (CustomerImport.Status.DRAFT, [], 1)
