"""The ledger export: scope, filters, masking, full numbers for revealing roles (audited)."""

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden
from kefu.core.roles import Role
from kefu.customers.exports import HEADERS, ledger_export
from kefu.customers.imports import import_commit, import_upload
from kefu.customers.models import Customer, CustomerImport, Grade
from kefu.customers.services import customer_override_grade, customer_set_id_number, household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.customers.tests.test_imports import id_number, make_units
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project, Unit
from kefu.properties.tests.factories import ProjectFactory

EXPORT_URL = reverse("customers:export")
ID_NUMBER = id_number(42)


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def executive(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.EXECUTIVE, name="吴总")


@pytest.fixture
def project(city: OrgUnit) -> Project:
    project = ProjectFactory(organisation=city, name="华景花园")
    make_units(project, numbers=["101", "102"])
    return project


@pytest.fixture
def zhang(city: OrgUnit, project: Project, supervisor: Membership) -> Customer:
    """张三: a mobile, an ID number, grade A and the unit 1-1-101."""
    customer = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    customer_set_id_number(actor=supervisor, customer=customer, id_number=ID_NUMBER, consent_method="paper")
    customer_override_grade(actor=supervisor, customer=customer, grade=Grade.A, note="老业主")
    unit = Unit.objects.get(project=project, number="101")
    household_add(actor=supervisor, customer=customer, unit=unit, signed_on=date(2024, 4, 15))
    return customer


def rows_of(content: bytes) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["台账"]
    return list(workbook["台账"].iter_rows(values_only=True))


def export_rows(viewer: Membership, **filters: Any) -> list[tuple[Any, ...]]:
    result = ledger_export(viewer=viewer, **filters)
    with result.file:
        return rows_of(result.file.read())


def download(client: Client, **params: str) -> Any:
    return client.get(EXPORT_URL, {"download": "1", **params})


# --- the service -------------------------------------------------------------------------------


def test_ledger_export_writes_one_row_per_customer_and_unit_masked(zhang: Customer, supervisor: Membership) -> None:
    rows = export_rows(supervisor)

    assert rows[0] == tuple(HEADERS)
    assert rows[1] == (
        "华景花园",
        "张三",
        "138****5678",
        ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:],
        "是",
        "1",
        "1",
        "101",
        "业主",
        None,
        rows[1][10],
        None,
        "A",
    )
    assert rows[1][10].date() == date(2024, 4, 15)


def test_ledger_export_gives_a_customer_without_units_one_row(city: OrgUnit, supervisor: Membership) -> None:
    CustomerFactory(organisation=city, name="王五", mobile="13700000000")

    rows = export_rows(supervisor)

    assert [row[:3] for row in rows[1:]] == [(None, "王五", "137****0000")]


def test_ledger_export_full_writes_the_numbers_and_an_audit_entry(zhang: Customer, supervisor: Membership) -> None:
    rows = export_rows(supervisor, full=True)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert rows[1][2:4] == ("13812345678", ID_NUMBER)
    assert (entry.actor, entry.changes["customers"]["new"], entry.changes["rows"]["new"]) == (supervisor.user, 1, 1)


def test_ledger_export_masked_writes_no_audit_entry(zhang: Customer, supervisor: Membership) -> None:
    export_rows(supervisor)

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_ledger_export_full_is_forbidden_to_executives(zhang: Customer, executive: Membership) -> None:
    with pytest.raises(Forbidden):
        ledger_export(viewer=executive, full=True)

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_ledger_export_is_forbidden_to_agents(agent: Membership) -> None:
    with pytest.raises(Forbidden):
        ledger_export(viewer=agent)


def test_ledger_export_holds_only_the_viewers_scope(
    zhang: Customer, supervisor: Membership, other_city: OrgUnit
) -> None:
    CustomerFactory(organisation=other_city, name="别人的客户", mobile="13600000000")

    rows = export_rows(supervisor)

    assert [row[1] for row in rows[1:]] == ["张三"]


def test_ledger_export_follows_the_list_filters(zhang: Customer, city: OrgUnit, supervisor: Membership) -> None:
    CustomerFactory(organisation=city, name="李四", mobile="13900001111")

    assert [row[1] for row in export_rows(supervisor, grade=Grade.A)[1:]] == ["张三"]
    assert [row[1] for row in export_rows(supervisor, q="李四")[1:]] == ["李四"]


def test_ledger_export_of_a_project_holds_only_its_units(
    zhang: Customer, city: OrgUnit, project: Project, supervisor: Membership
) -> None:
    elsewhere = ProjectFactory(organisation=city, name="华景二期")
    unit = make_units(elsewhere, numbers=["201"])[0]
    household_add(actor=supervisor, customer=zhang, unit=unit)

    rows = export_rows(supervisor, project_id=project.pk)

    assert [(row[0], row[7]) for row in rows[1:]] == [("华景花园", "101")]


def test_ledger_export_with_full_numbers_imports_again_without_changes(
    zhang: Customer, supervisor: Membership, project: Project
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    result = ledger_export(viewer=supervisor, full=True)
    file = SimpleUploadedFile("导出.xlsx", result.file.read())

    job = import_upload(
        actor=supervisor, project=project, file=file, file_name="导出.xlsx", mode=CustomerImport.Mode.ALL_OR_NOTHING
    )
    job, _outcome = import_commit(actor=supervisor, job=job)

    assert (job.errors, job.customers_created, job.rows_unchanged) == ([], 0, 1)


# --- the page ----------------------------------------------------------------------------------


def test_export_page_shows_the_filters_and_the_count(
    zhang: Customer, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(supervisor).get(EXPORT_URL)

    assert response.status_code == 200
    assert response.context["matching"] == 1
    assert "full" in response.context["form"].fields


def test_export_page_offers_no_full_numbers_to_executives(
    executive: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(executive).get(EXPORT_URL)

    assert "full" not in response.context["form"].fields


def test_export_download_is_masked_by_default(
    zhang: Customer, executive: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = download(client_for(executive))

    rows = rows_of(b"".join(response.streaming_content))
    assert response["Content-Disposition"].startswith("attachment")
    assert rows[1][2] == "138****5678"


def test_export_download_ignores_full_numbers_for_executives(
    zhang: Customer, executive: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = download(client_for(executive), full="on")

    rows = rows_of(b"".join(response.streaming_content))
    assert rows[1][2] == "138****5678"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_export_download_with_full_numbers_for_supervisors_is_audited(
    zhang: Customer, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = download(client_for(supervisor), full="on")

    rows = rows_of(b"".join(response.streaming_content))
    assert rows[1][2] == "13812345678"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=supervisor.user).count() == 1


def test_export_download_passes_the_list_filters(
    zhang: Customer, city: OrgUnit, supervisor: Membership, client_for: Callable[[Membership], Client]
) -> None:
    CustomerFactory(organisation=city, name="李四", mobile="13900001111")

    response = download(client_for(supervisor), grade=Grade.A)

    assert [row[1] for row in rows_of(b"".join(response.streaming_content))[1:]] == ["张三"]


def test_export_download_of_an_outsider_holds_none_of_our_customers(
    zhang: Customer, outsider: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = download(client_for(outsider))

    assert rows_of(b"".join(response.streaming_content))[1:] == []


def test_export_download_of_a_project_of_another_unit_is_refused(
    zhang: Customer, project: Project, outsider: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = download(client_for(outsider), project=str(project.pk))

    assert response.status_code == 200
    assert "project" in response.context["form"].errors


def test_export_page_is_refused_to_agents(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(EXPORT_URL)

    assert response.status_code == 403
