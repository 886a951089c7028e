"""The import pages: upload form and history, result page, template and error-report downloads."""

import io
import os
from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import ImportJob, Project, Unit
from kefu.properties.tests.factories import ProjectFactory
from kefu.properties.tests.test_imports import row, xlsx

IMPORT_URL = reverse("properties:import")


@pytest.fixture
def project(city: OrgUnit) -> Project:
    return ProjectFactory(organisation=city, name="华景花园")


@pytest.fixture
def admin_client(admin: Membership, client_for: Callable[[Membership], Client]) -> Client:
    return client_for(admin)


def make_job(project: Project, admin: Membership, **fields: object) -> ImportJob:
    values: dict[str, object] = {
        "organisation": project.organisation,
        "project": project,
        "created_by": admin.user,
        "file_name": "台账.xlsx",
        "mode": ImportJob.Mode.ALL_OR_NOTHING,
        "status": ImportJob.Status.IMPORTED,
    }
    values.update(fields)
    return ImportJob.objects.create(**values)


def post(client: Client, project: Project, file: SimpleUploadedFile, mode: str = ImportJob.Mode.ALL_OR_NOTHING):  # type: ignore[no-untyped-def]
    return client.post(IMPORT_URL, {"project": project.pk, "file": file, "mode": mode})


# --- the import page ---------------------------------------------------------------------------


def test_import_form_shows_the_form_and_the_empty_history(admin_client: Client, project: Project) -> None:
    response = admin_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert 'name="file"' in response.text
    assert reverse("properties:import_template") in response.text
    assert _("No imports yet") in response.text


def test_import_form_offers_only_projects_in_scope(admin_client: Client, project: Project, other_city: OrgUnit) -> None:
    ProjectFactory(organisation=other_city, name="别人的项目")

    response = admin_client.get(IMPORT_URL)

    assert "华景花园" in response.text
    assert "别人的项目" not in response.text


def test_import_form_without_projects_says_to_create_one(admin_client: Client) -> None:
    response = admin_client.get(IMPORT_URL)

    assert _("There are no projects yet") in response.text
    assert 'name="file"' not in response.text


def test_import_form_is_refused_to_non_admins(
    city: OrgUnit, make_staff: Callable[..., Membership], client_for: Callable[[Membership], Client]
) -> None:
    supervisor = make_staff(city, Role.SUPERVISOR, Role.EXECUTIVE, Role.AGENT)

    response = client_for(supervisor).get(IMPORT_URL)

    assert response.status_code == 403


def test_import_form_post_imports_and_redirects_to_the_result(admin_client: Client, project: Project) -> None:
    response = post(admin_client, project, xlsx([row(number="1201"), row(number="1202")]))

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("properties:import_detail", kwargs={"import_id": job.pk})
    assert Unit.objects.filter(project=project).count() == 2
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def test_import_form_post_with_errors_says_nothing_was_imported(admin_client: Client, project: Project) -> None:
    response = post(admin_client, project, xlsx([row(floor="x")]))

    messages = list(get_messages(response.wsgi_request))
    assert (response.status_code, ImportJob.objects.get().status) == (302, ImportJob.Status.REJECTED)
    assert [m.level_tag for m in messages] == ["error"]
    assert str(messages[0]) == _(
        "Nothing was imported: %(failed)s rows have errors. Fix them and upload the file again."
    ) % {"failed": 1}


def test_import_form_post_valid_rows_mode_warns_of_skipped_rows(admin_client: Client, project: Project) -> None:
    response = post(admin_client, project, xlsx([row(), row(number="1202", floor="x")]), ImportJob.Mode.VALID_ROWS)

    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["warning"]
    assert Unit.objects.filter(project=project).count() == 1


def test_import_form_garbage_file_is_a_form_error(admin_client: Client, project: Project) -> None:
    garbage = SimpleUploadedFile("units.xlsx", os.urandom(10 * 1024 * 1024))

    response = post(admin_client, project, garbage)

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        _("This file is not an Excel workbook (.xlsx). Save it from Excel as .xlsx and upload it again.")
    ]
    assert not ImportJob.objects.exists()


def test_import_form_refuses_a_project_of_another_unit(admin_client: Client, other_city: OrgUnit) -> None:
    theirs = ProjectFactory(organisation=other_city)

    response = post(admin_client, theirs, xlsx([row()]))

    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    assert not Unit.objects.filter(project=theirs).exists()


def test_import_form_requires_a_file(admin_client: Client, project: Project) -> None:
    response = admin_client.post(IMPORT_URL, {"project": project.pk, "mode": ImportJob.Mode.ALL_OR_NOTHING})

    assert "file" in response.context["form"].errors


def test_import_form_history_lists_imports_in_scope_only(
    admin_client: Client, admin: Membership, project: Project, outsider: Membership, other_city: OrgUnit
) -> None:
    make_job(project, admin, file_name="ours.xlsx")
    make_job(ProjectFactory(organisation=other_city), outsider, file_name="theirs.xlsx")

    response = admin_client.get(IMPORT_URL)

    assert "ours.xlsx" in response.text
    assert "theirs.xlsx" not in response.text


def test_import_form_history_runs_a_constant_number_of_queries(
    admin_client: Client,
    admin: Membership,
    project: Project,
    django_assert_num_queries: Callable[..., object],
    make_staff: Callable[..., Membership],
) -> None:
    for _n in range(3):
        make_job(project, make_staff(project.organisation, Role.ADMIN))
    admin_client.get(IMPORT_URL)  # warm the session and the membership
    with django_assert_num_queries(8):  # type: ignore[operator]
        admin_client.get(IMPORT_URL)
    for _n in range(3):
        make_job(project, make_staff(project.organisation, Role.ADMIN))

    with django_assert_num_queries(8):  # type: ignore[operator]
        response = admin_client.get(IMPORT_URL)

    assert len(response.context["page_obj"].object_list) == 6


# --- the result page and downloads -------------------------------------------------------------


def test_import_detail_shows_counts_and_errors(admin_client: Client, project: Project) -> None:
    post(admin_client, project, xlsx([row(), row(number="1202", floor="十二")]))
    job = ImportJob.objects.get()

    response = admin_client.get(reverse("properties:import_detail", kwargs={"import_id": job.pk}))

    assert response.status_code == 200
    assert "十二" not in response.text
    assert "楼层" in response.text
    assert reverse("properties:import_errors", kwargs={"import_id": job.pk}) in response.text


def test_import_detail_without_errors_says_so(admin_client: Client, admin: Membership, project: Project) -> None:
    job = make_job(project, admin, rows_total=3, rows_created=3)

    response = admin_client.get(reverse("properties:import_detail", kwargs={"import_id": job.pk}))

    assert _("No errors") in response.text
    assert reverse("properties:import_errors", kwargs={"import_id": job.pk}) not in response.text


def test_import_detail_of_another_unit_is_not_found(
    admin: Membership, project: Project, outsider: Membership, client_for: Callable[[Membership], Client]
) -> None:
    job = make_job(project, admin)

    response = client_for(outsider).get(reverse("properties:import_detail", kwargs={"import_id": job.pk}))

    assert response.status_code == 404


def test_import_detail_is_visible_to_an_admin_of_the_parent_unit(
    admin: Membership, project: Project, group_admin: Membership, client_for: Callable[[Membership], Client]
) -> None:
    job = make_job(project, admin)

    response = client_for(group_admin).get(reverse("properties:import_detail", kwargs={"import_id": job.pk}))

    assert response.status_code == 200


def test_import_errors_downloads_the_error_report(admin_client: Client, project: Project) -> None:
    post(admin_client, project, xlsx([row(floor="x")]))
    job = ImportJob.objects.get()

    response = admin_client.get(reverse("properties:import_errors", kwargs={"import_id": job.pk}))

    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [r[:2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [(2, "楼层")]


def test_import_errors_of_another_unit_is_not_found(
    admin: Membership, project: Project, outsider: Membership, client_for: Callable[[Membership], Client]
) -> None:
    job = make_job(project, admin, errors=[{"row": 2, "column": "楼层", "message": "x"}])

    response = client_for(outsider).get(reverse("properties:import_errors", kwargs={"import_id": job.pk}))

    assert response.status_code == 404


def test_import_template_downloads_a_workbook_with_notes(admin_client: Client) -> None:
    response = admin_client.get(reverse("properties:import_template"))

    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert workbook.sheetnames == ["房号", "说明"]
    assert next(workbook["房号"].iter_rows(max_row=1, values_only=True))[:4] == ("楼栋", "单元", "楼层", "房号")
