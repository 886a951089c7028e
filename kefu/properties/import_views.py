"""Staff pages for importing units from Excel: upload and history, result, template, error report."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.core.errors import KefuError
from kefu.properties.import_forms import UnitImportForm
from kefu.properties.imports import (
    XLSX_CONTENT_TYPE,
    import_error_workbook,
    import_job_get,
    import_job_list,
    import_project_choices,
    import_template_workbook,
    import_units,
)
from kefu.properties.imports.cells import COLUMNS
from kefu.properties.imports.service import ERROR_LIMIT
from kefu.properties.models import ImportJob


def _xlsx(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _announce(request: HttpRequest, job: ImportJob) -> None:
    counts = {
        "created": job.rows_created,
        "updated": job.rows_updated,
        "unchanged": job.rows_unchanged,
        "failed": job.rows_failed,
    }
    if job.status == ImportJob.Status.IMPORTED:
        messages.success(
            request,
            _("Import finished: %(created)s units created, %(updated)s updated, %(unchanged)s unchanged.") % counts,
        )
    elif job.status == ImportJob.Status.PARTIAL:
        messages.warning(
            request,
            _(
                "The valid rows were imported (%(created)s created, %(updated)s updated, %(unchanged)s unchanged). "
                "%(failed)s rows have errors and were skipped."
            )
            % counts,
        )
    else:
        messages.error(
            request,
            _("Nothing was imported: %(failed)s rows have errors. Fix them and upload the file again.") % counts,
        )


def import_form(request: HttpRequest) -> HttpResponse:
    viewer = request.membership  # type: ignore[attr-defined]
    form = UnitImportForm(request.POST or None, request.FILES or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_units(
                actor=viewer,
                project=form.cleaned_data["project"],
                file=upload,
                file_name=upload.name or "",
                mode=form.cleaned_data["mode"],
            )
        except KefuError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            _announce(request, job)
            return redirect("properties:import_detail", import_id=job.pk)
    page = Paginator(import_job_list(viewer=viewer), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "columns": COLUMNS,
        "has_projects": import_project_choices(viewer=viewer).exists(),
    }
    return TemplateResponse(request, "properties/import_form.html", context)


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(import_template_workbook(), "kefu-units-template.xlsx")


@require_GET
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_job_get(viewer=request.membership, import_id=import_id)  # type: ignore[attr-defined]
    context = {"job": job, "errors_capped": len(job.errors) >= ERROR_LIMIT, "error_limit": ERROR_LIMIT}
    return TemplateResponse(request, "properties/import_detail.html", context)


@require_GET
def import_errors(request: HttpRequest, import_id: int) -> HttpResponse:
    job = import_job_get(viewer=request.membership, import_id=import_id)  # type: ignore[attr-defined]
    return _xlsx(import_error_workbook(job=job), f"import-{job.pk}-errors.xlsx")
