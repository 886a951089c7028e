"""Staff pages for the ledger in Excel: import (upload, preview, commit, result, error report,
template, history) and export."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.core.errors import KefuError
from kefu.core.excel import XLSX_CONTENT_TYPE
from kefu.customers.exports import ledger_export
from kefu.customers.import_forms import LedgerExportForm, LedgerImportForm
from kefu.customers.imports import (
    ERROR_LIMIT,
    CommitOutcome,
    import_cancel,
    import_commit,
    import_error_workbook,
    import_get,
    import_list,
    import_project_choices,
    import_template_workbook,
    import_upload,
)
from kefu.customers.imports.reading import COLUMNS
from kefu.customers.models import CustomerImport, Household
from kefu.customers.selectors import customer_list

REVIEWABLE = (CustomerImport.Status.DRAFT, CustomerImport.Status.REJECTED)


def _xlsx(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _rows_for_display(job: CustomerImport) -> list[dict[str, object]]:
    roles = dict(Household.Role.choices)
    return [row | {"role_label": roles.get(row.get("role") or Household.Role.OWNER, "")} for row in job.preview]


def _job_context(job: CustomerImport) -> dict[str, object]:
    return {
        "job": job,
        "rows": _rows_for_display(job),
        "rows_capped": job.rows_total - job.rows_failed > len(job.preview),
        "errors_capped": len(job.errors) >= ERROR_LIMIT,
        "error_limit": ERROR_LIMIT,
    }


def import_form(request: HttpRequest) -> HttpResponse:
    viewer = request.membership  # type: ignore[attr-defined]
    form = LedgerImportForm(request.POST or None, request.FILES or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_upload(
                actor=viewer,
                project=form.cleaned_data["project"],
                file=upload,
                file_name=upload.name or "",
                mode=form.cleaned_data["mode"],
            )
        except KefuError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if job.status == CustomerImport.Status.DRAFT:
                messages.info(request, _("The file was checked. Review what will be imported, then confirm."))
            else:
                messages.error(request, _("Nothing in this file can be imported. The reasons are listed below."))
            return redirect("customers:import_preview", customerimport_id=job.pk)
    page = Paginator(import_list(viewer=viewer), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "columns": COLUMNS,
        "has_projects": import_project_choices(viewer=viewer).exists(),
    }
    return TemplateResponse(request, "customers/import_form.html", context)


@require_GET
def import_preview(request: HttpRequest, customerimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=customerimport_id)  # type: ignore[attr-defined]
    if job.status not in REVIEWABLE:
        return redirect("customers:import_detail", customerimport_id=job.pk)
    return TemplateResponse(request, "customers/import_preview.html", _job_context(job))


def _announce(request: HttpRequest, job: CustomerImport) -> None:
    counts = {
        "created": job.customers_created,
        "matched": job.customers_matched,
        "households": job.households_created,
        "updated": job.households_updated,
        "failed": job.rows_failed,
    }
    if job.status == CustomerImport.Status.IMPORTED:
        messages.success(
            request,
            _(
                "Import finished: %(created)s new customers, %(matched)s existing customers, "
                "%(households)s new households, %(updated)s households updated."
            )
            % counts,
        )
    else:
        messages.warning(
            request,
            _(
                "The valid rows were imported (%(created)s new customers, %(households)s new households, "
                "%(updated)s households updated). %(failed)s rows have errors and were skipped."
            )
            % counts,
        )


@require_POST
def import_commit_view(request: HttpRequest, customerimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=customerimport_id)  # type: ignore[attr-defined]
    try:
        job, outcome = import_commit(actor=request.membership, job=job)  # type: ignore[attr-defined]
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("customers:import_preview", customerimport_id=job.pk)
    if outcome == CommitOutcome.DONE:
        _announce(request, job)
    elif outcome == CommitOutcome.ALREADY_DONE:
        messages.info(request, _("This import was already done; nothing was changed."))
    elif job.status == CustomerImport.Status.CANCELLED:
        messages.error(request, _("This import was cancelled; nothing was written."))
    else:
        messages.error(
            request, _("Nothing was imported: the rows have errors. Correct them and upload the file again.")
        )
    return redirect("customers:import_detail", customerimport_id=job.pk)


@require_POST
def import_cancel_view(request: HttpRequest, customerimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=customerimport_id)  # type: ignore[attr-defined]
    try:
        job, cancelled = import_cancel(actor=request.membership, job=job)  # type: ignore[attr-defined]
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect("customers:import_preview", customerimport_id=job.pk)
    if cancelled:
        messages.success(request, _("The import was cancelled; nothing was written."))
        return redirect("customers:import")
    messages.info(request, _("This import is no longer waiting for confirmation; nothing was changed."))
    return redirect("customers:import_detail", customerimport_id=job.pk)


@require_GET
def import_detail(request: HttpRequest, customerimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=customerimport_id)  # type: ignore[attr-defined]
    return TemplateResponse(request, "customers/import_detail.html", _job_context(job))


@require_GET
def import_errors(request: HttpRequest, customerimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=customerimport_id)  # type: ignore[attr-defined]
    return _xlsx(import_error_workbook(job=job), f"customer-import-{job.pk}-errors.xlsx")


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(import_template_workbook(), "kefu-customer-ledger-template.xlsx")


def _export_filters(form: LedgerExportForm) -> dict[str, Any]:
    data = form.cleaned_data if form.is_bound else {}
    project, tag = data.get("project"), data.get("tag")
    return {
        "q": data.get("q", ""),
        "grade": data.get("grade", ""),
        "stage": data.get("stage", ""),
        "kind": data.get("kind", ""),
        "tag": tag.pk if tag is not None else None,
        "project_id": project.pk if project is not None else None,
    }


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The export form; with ?download=1 and the list's filters, the workbook itself."""
    viewer = request.membership  # type: ignore[attr-defined]
    form = LedgerExportForm(request.GET or None, viewer=viewer)
    valid = not form.is_bound or form.is_valid()
    if valid and request.GET.get("download"):
        try:
            result = ledger_export(viewer=viewer, full=bool(form.cleaned_data.get("full")), **_export_filters(form))
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            name = f"kefu-customer-ledger-{timezone.localdate():%Y%m%d}.xlsx"
            return FileResponse(result.file, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
    matching = None
    if valid:
        filters = _export_filters(form)
        matching = customer_list(
            viewer=viewer,
            q=filters["q"] or None,
            grade=filters["grade"] or None,
            stage=filters["stage"] or None,
            kind=filters["kind"] or None,
            tag=filters["tag"],
            project_id=filters["project_id"],
        ).count()
    return TemplateResponse(request, "customers/export_form.html", {"form": form, "matching": matching})
