"""The ticket import: columns, per-row errors, modes, idempotent re-import, pages and permissions."""

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.customers.models import Customer
from kefu.customers.services import household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.properties.models import Project, Unit
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory
from kefu.standards.tests.factories import RequestCategoryFactory, SlaPolicyFactory
from kefu.tickets.imports import (
    import_error_workbook,
    import_get,
    import_list,
    import_template_workbook,
    import_tickets,
)
from kefu.tickets.imports import service as import_service
from kefu.tickets.imports.columns import COLUMNS
from kefu.tickets.models import Ticket, TicketEvent, TicketImport

SH = ZoneInfo("Asia/Shanghai")
HEADERS = [
    "原系统编号",
    "客户手机号",
    "项目编码",
    "楼栋",
    "单元",
    "房号",
    "类型",
    "渠道",
    "类别",
    "紧急程度",
    "主题",
    "客户诉求",
    "受理时间",
    "要求完成时间",
    "处理人工号",
]
ALL = TicketImport.Mode.ALL_OR_NOTHING
VALID = TicketImport.Mode.VALID_ROWS
NOW = datetime(2025, 3, 5, 9, 0, tzinfo=SH)


def wall(*args: int) -> datetime:
    """A wall-clock time as an Excel cell holds it: no zone."""
    return datetime(*args)  # noqa: DTZ001


RECEIVED = wall(2025, 3, 3, 10, 0)


def line(
    number: Any = "OLD-1",
    mobile: Any = "13812345678",
    project: Any = "hjhy",
    building: Any = "1栋",
    entrance: Any = "1",
    unit: Any = "101",
    kind: Any = "投诉",
    channel: Any = "电话",
    category: Any = None,
    severity: Any = "一般",
    title: Any = "电梯噪音",
    description: Any = "业主反映电梯夜间噪音大。",
    received: Any = RECEIVED,
    due: Any = None,
    handler: Any = None,
) -> list[Any]:
    return [
        number,
        mobile,
        project,
        building,
        entrance,
        unit,
        kind,
        channel,
        category,
        severity,
        title,
        description,
        received,
        due,
        handler,
    ]


def workbook(rows: Sequence[Sequence[Any]], headers: Sequence[Any] = HEADERS, name: str = "旧系统.xlsx") -> Any:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def run(actor: Membership, rows: Sequence[Sequence[Any]], mode: str = ALL, **kwargs: Any) -> TicketImport:
    upload = workbook(rows, **kwargs)
    with time_machine.travel(NOW, tick=False):
        return import_tickets(actor=actor, file=upload, file_name=upload.name, mode=mode)


def only_error(job: TicketImport) -> tuple[Any, Any, Any]:
    assert len(job.errors) == 1, job.errors
    error = job.errors[0]
    return error["row"], error["column"], error["message"]


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def handler(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.AGENT, name="王工", employee_no="10023")


@pytest.fixture
def project(city: OrgUnit) -> Project:
    project = ProjectFactory(organisation=city, name="华景花园", code="hjhy")
    building = BuildingFactory(project=project, code="1", name="1栋")
    UnitFactory(building=building, entrance="1", number="101")
    UnitFactory(building=building, entrance="1", number="102")
    return project


@pytest.fixture
def customer(city: OrgUnit, project: Project) -> Customer:
    return CustomerFactory(organisation=city, name="张三", mobile="13812345678")


@pytest.fixture
def ready(supervisor: Membership, handler: Membership, customer: Customer) -> None:
    """A supervisor, a handler, the project and the customer: everything a good row names."""


# --- the happy path ----------------------------------------------------------------------------


@pytest.mark.usefixtures("ready")
def test_import_creates_a_ticket_per_row(supervisor: Membership, customer: Customer) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-2", unit="102", kind="报修", title="门锁坏了")])

    assert (job.status, job.rows_total, job.rows_created, job.rows_failed) == (TicketImport.Status.IMPORTED, 2, 2, 0)
    tickets = Ticket.objects.filter(client_key__startswith="import:").order_by("client_key")
    assert [(t.client_key, t.kind, t.customer_id) for t in tickets] == [
        ("import:OLD-1", "complaint", customer.pk),
        ("import:OLD-2", "repair", customer.pk),
    ]


@pytest.mark.usefixtures("ready")
def test_import_fills_the_ticket_from_the_row(supervisor: Membership, handler: Membership) -> None:
    run(supervisor, [line(channel="微信", severity="紧急", handler="10023")])

    ticket = Ticket.objects.get(client_key="import:OLD-1")
    assert ticket.received_at == datetime(2025, 3, 3, 10, 0, tzinfo=SH)
    assert ticket.unit == Unit.objects.get(number="101")
    assert (ticket.channel, ticket.severity, ticket.title) == ("wechat", "urgent", "电梯噪音")
    assert ticket.first_responder == supervisor
    assert ticket.assignee == handler
    assert ticket.status == Ticket.Status.IN_PROGRESS


@pytest.mark.usefixtures("ready")
def test_import_without_a_unit_uses_the_customers_unit(supervisor: Membership, city: OrgUnit) -> None:
    run(supervisor, [line(project=None, building=None, entrance=None, unit=None)])

    ticket = Ticket.objects.get(client_key="import:OLD-1")
    assert ticket.unit is None
    assert ticket.organisation == city


@pytest.mark.usefixtures("ready")
def test_import_reads_the_category_of_the_kind(supervisor: Membership, group: OrgUnit) -> None:
    category = RequestCategoryFactory(organisation=group, kind="complaint", name="物业服务")

    run(supervisor, [line(category="物业服务")])

    assert Ticket.objects.get(client_key="import:OLD-1").category == category


@pytest.mark.usefixtures("ready")
def test_import_sets_the_due_time_the_old_system_promised(supervisor: Membership, group: OrgUnit) -> None:
    SlaPolicyFactory(organisation=group)

    run(supervisor, [line(due="2025-03-06 17:00")])

    ticket = Ticket.objects.get(client_key="import:OLD-1")
    assert ticket.resolution_due_at == datetime(2025, 3, 6, 17, 0, tzinfo=SH)
    assert ticket.received_at < ticket.resolution_warn_at < ticket.resolution_due_at
    assert ticket.events.filter(kind=TicketEvent.Kind.UPDATED, data__source="import").count() == 1


@pytest.mark.usefixtures("ready")
def test_import_reads_text_times(supervisor: Membership) -> None:
    run(supervisor, [line(received="2025/3/3 8:05")])

    assert Ticket.objects.get(client_key="import:OLD-1").received_at == datetime(2025, 3, 3, 8, 5, tzinfo=SH)


@pytest.mark.usefixtures("ready")
def test_import_writes_the_customers_timeline(supervisor: Membership, customer: Customer) -> None:
    run(supervisor, [line()])

    assert customer.timeline.filter(kind="tickets.created").count() == 1


@pytest.mark.usefixtures("ready")
def test_import_tells_customers_sharing_a_mobile_apart_by_their_unit(
    supervisor: Membership, city: OrgUnit, customer: Customer
) -> None:
    spouse = CustomerFactory(organisation=city, name="李梅", mobile="13812345678")
    household_add(actor=None, customer=spouse, unit=Unit.objects.get(number="102"))

    run(supervisor, [line(unit="102")])

    assert Ticket.objects.get(client_key="import:OLD-1").customer == spouse


@pytest.mark.usefixtures("ready")
def test_import_error_mobile_of_several_customers_without_a_unit(supervisor: Membership, city: OrgUnit) -> None:
    CustomerFactory(organisation=city, name="李梅", mobile="13812345678")

    job = run(supervisor, [line(project=None, building=None, entrance=None, unit=None)])

    assert only_error(job) == (
        2,
        "客户手机号",
        _(str(import_service.MSG_SEVERAL_CUSTOMERS)) % {"names": "张三、李梅"},
    )


# --- idempotence -------------------------------------------------------------------------------


@pytest.mark.usefixtures("ready")
def test_reimport_of_the_same_file_creates_nothing_twice(supervisor: Membership) -> None:
    rows = [line("OLD-1"), line("OLD-2", unit="102")]
    run(supervisor, rows)

    again = run(supervisor, rows)

    assert (again.status, again.rows_created, again.rows_skipped, again.rows_failed) == ("imported", 0, 2, 0)
    assert Ticket.objects.filter(client_key__startswith="import:").count() == 2


@pytest.mark.usefixtures("ready")
def test_reimport_skips_old_rows_even_if_their_due_time_has_passed_since(supervisor: Membership) -> None:
    run(supervisor, [line(due="2025-03-06 17:00")])

    with time_machine.travel(datetime(2025, 3, 10, 9, 0, tzinfo=SH), tick=False):
        upload = workbook([line(due="2025-03-06 17:00"), line("OLD-2")])
        again = import_tickets(actor=supervisor, file=upload, file_name="again.xlsx", mode=ALL)

    assert (again.rows_created, again.rows_skipped, again.errors) == (1, 1, [])


@pytest.mark.usefixtures("ready")
def test_import_lists_the_ticket_a_skipped_row_was_imported_as(supervisor: Membership) -> None:
    first = run(supervisor, [line()])

    again = run(supervisor, [line()])

    assert again.tickets == [
        {"row": 2, "id": first.tickets[0]["id"], "number": first.tickets[0]["number"], "created": False}
    ]


# --- errors, one per row and column ------------------------------------------------------------


@pytest.mark.usefixtures("ready")
def test_import_error_unknown_customer(supervisor: Membership, other_city: OrgUnit) -> None:
    CustomerFactory(organisation=other_city, mobile="13900000000")

    job = run(supervisor, [line(mobile="13900000000")])

    assert only_error(job) == (2, "客户手机号", _(str(import_service.MSG_UNKNOWN_CUSTOMER)))
    assert job.status == TicketImport.Status.REJECTED


@pytest.mark.usefixtures("ready")
def test_import_error_unknown_unit(supervisor: Membership) -> None:
    job = run(supervisor, [line(unit="999")])

    row, column, message = only_error(job)
    assert (row, column) == (2, "房号")
    assert message == _(str(import_service.MSG_UNKNOWN_UNIT)) % {"unit": "1-1-999", "project": "华景花园"}


@pytest.mark.usefixtures("ready")
def test_import_error_unknown_project(supervisor: Membership) -> None:
    job = run(supervisor, [line(project="nope")])

    assert only_error(job)[:2] == (2, "项目编码")


@pytest.mark.usefixtures("ready")
def test_import_error_bad_kind(supervisor: Membership) -> None:
    job = run(supervisor, [line(kind="投拆")])

    assert only_error(job) == (2, "类型", _("Enter 投诉, 报修, 咨询, 建议 or 表扬."))


@pytest.mark.usefixtures("ready")
def test_import_error_received_time_in_the_future(supervisor: Membership) -> None:
    job = run(supervisor, [line(received=wall(2025, 3, 5, 9, 30))])

    assert only_error(job) == (2, "受理时间", _("The time received is in the future."))


@pytest.mark.usefixtures("ready")
def test_import_error_due_time_in_the_past(supervisor: Membership) -> None:
    job = run(supervisor, [line(due=wall(2025, 3, 4, 18, 0))])

    assert only_error(job) == (
        2,
        "要求完成时间",
        _("The due time is in the past; an open ticket needs a due time still to come."),
    )
    assert not Ticket.objects.filter(client_key="import:OLD-1").exists()


@pytest.mark.usefixtures("ready")
def test_import_error_handler_outside_the_unit(
    supervisor: Membership, city: OrgUnit, make_staff: Callable[..., Membership]
) -> None:
    team = OrgUnitFactory(parent=city, name="华景花园项目部", kind=OrgUnit.Kind.PROJECT_TEAM)
    make_staff(team, Role.AGENT, name="李工", employee_no="30001")

    job = run(supervisor, [line(handler="30001")])

    assert only_error(job) == (
        2,
        "处理人工号",
        _(str(import_service.MSG_HANDLER_OUTSIDE)) % {"name": "李工", "unit": city.name},
    )


@pytest.mark.usefixtures("ready")
def test_import_error_unknown_handler(supervisor: Membership) -> None:
    job = run(supervisor, [line(handler="99999")])

    assert only_error(job)[:2] == (2, "处理人工号")


@pytest.mark.usefixtures("ready")
def test_import_error_external_number_twice_in_the_file(supervisor: Membership) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-1", unit="102")], mode=VALID)

    assert only_error(job)[:2] == (3, "原系统编号")
    assert job.rows_created == 1


@pytest.mark.usefixtures("ready")
def test_import_error_category_not_of_the_unit(supervisor: Membership) -> None:
    job = run(supervisor, [line(category="不存在的类别")])

    assert only_error(job)[:2] == (2, "类别")


@pytest.mark.usefixtures("ready")
def test_import_error_missing_required_column(supervisor: Membership) -> None:
    headers = [header for header in HEADERS if header != "客户手机号"]
    rows = [[cell for header, cell in zip(HEADERS, line(), strict=True) if header != "客户手机号"]]

    job = run(supervisor, rows, headers=headers)

    assert only_error(job) == (1, "客户手机号", _("This required column is missing. Add a column with this header."))
    assert job.status == TicketImport.Status.REJECTED


@pytest.mark.usefixtures("ready")
def test_import_reports_every_bad_cell_of_a_row(supervisor: Membership) -> None:
    job = run(supervisor, [line(kind="投拆", received="昨天", title=None)])

    assert sorted(error["column"] for error in job.errors) == ["主题", "受理时间", "类型"]
    assert job.rows_failed == 1


def test_import_refuses_a_file_that_is_not_a_workbook(supervisor: Membership) -> None:
    upload = SimpleUploadedFile("tickets.csv", "原系统编号,客户手机号\n".encode(), content_type="text/csv")

    with pytest.raises(InvalidInput) as caught:
        import_tickets(actor=supervisor, file=upload, file_name=upload.name, mode=ALL)

    assert caught.value.field == "file"
    assert not TicketImport.objects.exists()


# --- modes -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("ready")
def test_all_or_nothing_writes_nothing_when_a_row_has_an_error(supervisor: Membership) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-2", kind="投拆")], mode=ALL)

    assert (job.status, job.rows_created, job.rows_failed) == (TicketImport.Status.REJECTED, 0, 1)
    assert not Ticket.objects.exists()


@pytest.mark.usefixtures("ready")
def test_valid_rows_writes_the_good_rows_and_skips_the_bad(supervisor: Membership) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-2", kind="投拆")], mode=VALID)

    assert (job.status, job.rows_created, job.rows_failed) == (TicketImport.Status.PARTIAL, 1, 1)
    assert list(Ticket.objects.values_list("client_key", flat=True)) == ["import:OLD-1"]


@pytest.fixture
def refuse_second_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticket service refuses the second row at write time, as when a handler leaves between
    the check and the write: a fault the checks cannot see coming."""
    real = import_service.ticket_create_imported

    def create(**kwargs: Any) -> Ticket:
        if kwargs["client_key"] == "import:OLD-2":
            raise InvalidInput("处理人已离职。", field="assignee")
        return real(**kwargs)

    monkeypatch.setattr(import_service, "ticket_create_imported", create)


@pytest.mark.usefixtures("ready", "refuse_second_row")
def test_all_or_nothing_rolls_back_when_the_ticket_service_refuses_a_row(supervisor: Membership) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-2", unit="102")], mode=ALL)

    assert (job.status, job.rows_created) == (TicketImport.Status.REJECTED, 0)
    assert only_error(job) == (3, "处理人工号", "处理人已离职。")
    assert not Ticket.objects.exists()


@pytest.mark.usefixtures("ready", "refuse_second_row")
def test_valid_rows_keeps_the_rows_written_when_the_service_refuses_one(supervisor: Membership) -> None:
    job = run(supervisor, [line("OLD-1"), line("OLD-2", unit="102")], mode=VALID)

    assert (job.status, job.rows_created, job.rows_failed) == (TicketImport.Status.PARTIAL, 1, 1)
    assert list(Ticket.objects.values_list("client_key", flat=True)) == ["import:OLD-1"]


# --- permissions and scope ---------------------------------------------------------------------


def test_import_refused_to_an_agent(agent: Membership) -> None:
    with pytest.raises(Forbidden):
        run(agent, [line()])

    assert not TicketImport.objects.exists()


@pytest.mark.usefixtures("ready")
def test_import_of_another_unit_is_not_found(supervisor: Membership, outsider: Membership) -> None:
    job = run(supervisor, [line()])

    with pytest.raises(Http404):
        import_get(viewer=outsider, import_id=job.pk)


@pytest.mark.usefixtures("ready")
def test_import_list_query_count(supervisor: Membership, django_assert_num_queries: Callable[..., object]) -> None:
    for number in ("OLD-1", "OLD-2", "OLD-3"):
        run(supervisor, [line(number)])

    with django_assert_num_queries(1):
        names = [job.created_by.membership.name for job in import_list(viewer=supervisor)]

    assert names == ["周主管"] * 3


# --- workbooks ---------------------------------------------------------------------------------


def test_import_template_has_every_column_and_reads_back(supervisor: Membership) -> None:
    book = load_workbook(io.BytesIO(import_template_workbook()))

    assert book.sheetnames == ["工单", "说明"]
    assert [cell.value for cell in book["工单"][1]] == [column.header for column in COLUMNS]


@pytest.mark.usefixtures("ready")
def test_import_error_workbook_lists_row_column_and_message(supervisor: Membership) -> None:
    job = run(supervisor, [line(kind="投拆")])

    rows = list(load_workbook(io.BytesIO(import_error_workbook(job=job))).active.iter_rows(values_only=True))

    assert rows[1] == (2, "类型", _("Enter 投诉, 报修, 咨询, 建议 or 表扬."))


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("ready")
def test_import_page_uploads_and_shows_the_result(
    supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(supervisor)

    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("tickets:import"), {"file": workbook([line()]), "mode": ALL}, follow=True)

    job = TicketImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("tickets:import_detail", kwargs={"ticketimport_id": job.pk})
    assert Ticket.objects.get().number in response.content.decode()


def test_import_page_shows_the_file_error_on_the_field(
    supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    upload = SimpleUploadedFile("tickets.xlsx", b"not a workbook", content_type="application/octet-stream")

    response = client_for(supervisor).post(reverse("tickets:import"), {"file": upload, "mode": ALL})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_import_page_says_what_to_do_before_the_first_import(
    supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(supervisor).get(reverse("tickets:import"))

    assert _("No imports yet") in response.content.decode()


def test_import_page_refused_to_an_agent(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(reverse("tickets:import"))

    assert response.status_code == 403


def test_import_template_download(supervisor: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(supervisor).get(reverse("tickets:import_template"))

    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["工单", "说明"]
