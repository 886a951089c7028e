"""The ledger import pages: upload and history, preview, commit, cancel, result, downloads."""

import io
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kefu.core.roles import Role
from kefu.customers.imports import import_upload
from kefu.customers.models import Customer, CustomerImport
from kefu.customers.tests.test_imports import ALL, VALID, ledger, line, make_units
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project
from kefu.properties.tests.factories import ProjectFactory

IMPORT_URL = reverse("customers:import")


@pytest.fixture
def project(city: OrgUnit) -> Project:
    project = ProjectFactory(organisation=city, name="华景花园")
    make_units(project, numbers=[str(n) for n in range(101, 111)])
    return project


@pytest.fixture
def supervisor(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def supervisor_client(supervisor: Membership, client_for: Callable[[Membership], Client]) -> Client:
    return client_for(supervisor)


@pytest.fixture
def draft(supervisor: Membership, project: Project) -> CustomerImport:
    file = ledger([line(), line(name="李四", mobile="13900001111", number="999")])
    return import_upload(actor=supervisor, project=project, file=file, file_name="台账.xlsx", mode=VALID)


def messages_of(response: object) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def upload(client: Client, project: Project, file: SimpleUploadedFile, mode: str = ALL):  # type: ignore[no-untyped-def]
    return client.post(IMPORT_URL, {"project": project.pk, "file": file, "mode": mode})


# --- upload and history ------------------------------------------------------------------------


def test_import_form_shows_the_form_and_the_empty_history(supervisor_client: Client, project: Project) -> None:
    response = supervisor_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert 'name="file"' in response.text
    assert reverse("customers:import_template") in response.text
    assert _("No imports yet") in response.text


def test_import_form_offers_only_projects_in_scope(
    supervisor_client: Client, project: Project, other_city: OrgUnit
) -> None:
    ProjectFactory(organisation=other_city, name="别人的项目")

    response = supervisor_client.get(IMPORT_URL)

    assert list(response.context["form"].fields["project"].queryset) == [project]


def test_import_form_upload_stores_a_draft_and_shows_its_preview(supervisor_client: Client, project: Project) -> None:
    response = upload(supervisor_client, project, ledger([line()]))

    job = CustomerImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:import_preview", kwargs={"customerimport_id": job.pk})
    assert job.status == CustomerImport.Status.DRAFT
    assert not Customer.objects.exists()


def test_import_form_shows_an_unreadable_file_on_the_file_field(supervisor_client: Client, project: Project) -> None:
    response = upload(supervisor_client, project, SimpleUploadedFile("台账.xlsx", os.urandom(4096)))

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not CustomerImport.objects.exists()


def test_import_form_shows_a_wrong_sheet_on_the_file_field(supervisor_client: Client, project: Project) -> None:
    response = upload(supervisor_client, project, ledger([["a", "b"]], ["产品", "价格"], sheet_title="报价"))

    assert "报价" in response.context["form"].errors["file"][0]


def test_import_form_refuses_a_file_over_the_size_limit(supervisor_client: Client, project: Project) -> None:
    with override_settings(KEFU_IMPORT_MAX_BYTES=1024 * 1024):
        response = upload(supervisor_client, project, SimpleUploadedFile("big.xlsx", b"0" * (1024 * 1024 + 1)))

    assert response.context["form"].errors["file"] == [
        _("The file is larger than %(limit)s MB. Split it into smaller files.") % {"limit": 1}
    ]


def test_import_form_history_lists_imports_in_scope_only(
    supervisor_client: Client, draft: CustomerImport, outsider: Membership, other_city: OrgUnit
) -> None:
    theirs = ProjectFactory(organisation=other_city)
    import_upload(actor=outsider, project=theirs, file=ledger([line()]), file_name="别人.xlsx", mode=ALL)

    response = supervisor_client.get(IMPORT_URL)

    assert list(response.context["page_obj"]) == [draft]


def test_import_form_history_costs_the_same_queries_for_more_imports(
    supervisor_client: Client,
    supervisor: Membership,
    project: Project,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    def add(count: int) -> None:
        for _n in range(count):
            import_upload(actor=supervisor, project=project, file=ledger([line()]), file_name="a.xlsx", mode=ALL)

    add(3)
    supervisor_client.get(IMPORT_URL)  # the first request of a session also loads what later ones cache
    with CaptureQueriesContext(connection) as three:
        supervisor_client.get(IMPORT_URL)
    add(3)

    with django_assert_num_queries(len(three.captured_queries)):
        response = supervisor_client.get(IMPORT_URL)

    assert len(response.context["page_obj"]) == 6


def test_import_form_is_refused_to_agents(agent: Membership, client_for: Callable[[Membership], Client]) -> None:
    response = client_for(agent).get(IMPORT_URL)

    assert response.status_code == 403


def test_import_form_is_refused_to_executives(
    city: OrgUnit, make_staff: Callable[..., Membership], client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(make_staff(city, Role.EXECUTIVE)).get(IMPORT_URL)

    assert response.status_code == 403


# --- preview -----------------------------------------------------------------------------------


def test_import_preview_shows_the_counts_and_the_rows(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.get(reverse("customers:import_preview", kwargs={"customerimport_id": draft.pk}))

    job = response.context["job"]
    assert response.status_code == 200
    assert (job.rows_total, job.customers_created, job.households_created, job.rows_failed) == (2, 1, 1, 1)
    assert [(row["name"], row["mobile"], row["unit"], row["action"]) for row in response.context["rows"]] == [
        ("张三", "138****5678", "1-1-101", "new")
    ]
    assert reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk}) in response.text
    assert "13812345678" not in response.text


def test_import_preview_of_all_or_nothing_with_errors_disables_the_import_and_says_why(
    supervisor_client: Client, supervisor: Membership, project: Project
) -> None:
    file = ledger([line(), line(name="李四", mobile="13900001111", number="999")])
    job = import_upload(actor=supervisor, project=project, file=file, file_name="台账.xlsx", mode=ALL)

    response = supervisor_client.get(reverse("customers:import_preview", kwargs={"customerimport_id": job.pk}))

    assert reverse("customers:import_commit", kwargs={"customerimport_id": job.pk}) not in response.text
    assert 'disabled aria-describedby="import-blocked-reason"' in response.text
    assert (
        _(
            "The file has errors and you chose to import all or nothing. Correct the rows listed below and upload "
            "the file again, or upload it again choosing to import the valid rows only."
        )
        in response.text
    )


def test_import_preview_of_a_committed_import_goes_to_its_result(
    supervisor_client: Client, draft: CustomerImport
) -> None:
    supervisor_client.post(reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk}))

    response = supervisor_client.get(reverse("customers:import_preview", kwargs={"customerimport_id": draft.pk}))

    assert response["Location"] == reverse("customers:import_detail", kwargs={"customerimport_id": draft.pk})


# --- commit and cancel -------------------------------------------------------------------------


def test_import_commit_writes_and_shows_the_result(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.post(reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk}))

    draft.refresh_from_db()
    assert response["Location"] == reverse("customers:import_detail", kwargs={"customerimport_id": draft.pk})
    assert draft.status == CustomerImport.Status.PARTIAL
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]


def test_import_commit_twice_says_it_was_already_done(supervisor_client: Client, draft: CustomerImport) -> None:
    url = reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk})
    supervisor_client.post(url, follow=True)

    response = supervisor_client.post(url)

    assert messages_of(response) == [_("This import was already done; nothing was changed.")]
    assert Customer.objects.count() == 1


def test_import_commit_refuses_get(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.get(reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk}))

    assert response.status_code == 405
    assert not Customer.objects.exists()


def test_import_commit_is_refused_to_agents(
    agent: Membership, client_for: Callable[[Membership], Client], draft: CustomerImport
) -> None:
    response = client_for(agent).post(reverse("customers:import_commit", kwargs={"customerimport_id": draft.pk}))

    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_import_cancel_drops_the_draft(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.post(reverse("customers:import_cancel", kwargs={"customerimport_id": draft.pk}))

    draft.refresh_from_db()
    assert response["Location"] == IMPORT_URL
    assert draft.status == CustomerImport.Status.CANCELLED
    assert not Customer.objects.exists()


# --- result and downloads ----------------------------------------------------------------------


def test_import_detail_shows_the_errors(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.get(reverse("customers:import_detail", kwargs={"customerimport_id": draft.pk}))

    assert response.status_code == 200
    assert [(error["row"], error["column"]) for error in response.context["job"].errors] == [(3, "房号")]


def test_import_errors_downloads_the_error_report(supervisor_client: Client, draft: CustomerImport) -> None:
    response = supervisor_client.get(reverse("customers:import_errors", kwargs={"customerimport_id": draft.pk}))

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert rows[1][:2] == (3, "房号")
    assert rows[1][3] == "李四"


def test_import_template_downloads_the_ledger_template(supervisor_client: Client) -> None:
    response = supervisor_client.get(reverse("customers:import_template"))

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["台账", "说明"]
    assert next(workbook["台账"].iter_rows(values_only=True))[:3] == ("姓名", "手机号", "证件号码")


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("customers:import_preview", "get"),
        ("customers:import_detail", "get"),
        ("customers:import_errors", "get"),
        ("customers:import_commit", "post"),
        ("customers:import_cancel", "post"),
    ],
)
def test_import_pages_of_another_unit_are_not_found(
    outsider: Membership,
    client_for: Callable[[Membership], Client],
    draft: CustomerImport,
    name: str,
    method: str,
) -> None:
    response = getattr(client_for(outsider), method)(reverse(name, kwargs={"customerimport_id": draft.pk}))

    draft.refresh_from_db()
    assert response.status_code == 404
    assert draft.status == CustomerImport.Status.DRAFT
    assert not Customer.objects.exists()
