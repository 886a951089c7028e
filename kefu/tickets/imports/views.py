"""Staff pages for importing open tickets from an old system: upload and history, result, template, errors."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error
from kefu.tickets.imports import (
    ERROR_LIMIT,
    XLSX_CONTENT_TYPE,
    import_error_workbook,
    import_get,
    import_list,
    import_template_workbook,
    import_tickets,
)
from kefu.tickets.imports.columns import COLUMNS
from kefu.tickets.imports.forms import TicketImportForm
from kefu.tickets.imports.service import TICKET_LIMIT
from kefu.tickets.models import TicketImport


def _xlsx(content: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _announce(request: HttpRequest, job: TicketImport) -> None:
    counts = {"created": job.rows_created, "skipped": job.rows_skipped, "failed": job.rows_failed}
    if job.status == TicketImport.Status.IMPORTED:
        messages.success(
            request,
            _("Import finished: %(created)s tickets created, %(skipped)s already imported before.") % counts,
        )
    elif job.status == TicketImport.Status.PARTIAL:
        messages.warning(
            request,
            _(
                "The valid rows were imported (%(created)s tickets created, %(skipped)s already imported before). "
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
    form = TicketImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_tickets(actor=viewer, file=upload, file_name=upload.name or "", mode=form.cleaned_data["mode"])
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            _announce(request, job)
            return redirect("tickets:import_detail", ticketimport_id=job.pk)
    page = Paginator(import_list(viewer=viewer), 50).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "columns": COLUMNS}
    return TemplateResponse(request, "tickets/import_form.html", context)


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(import_template_workbook(), "kefu-tickets-template.xlsx")


@require_GET
def import_detail(request: HttpRequest, ticketimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=ticketimport_id)  # type: ignore[attr-defined]
    context = {
        "job": job,
        "errors_capped": len(job.errors) >= ERROR_LIMIT,
        "error_limit": ERROR_LIMIT,
        "tickets_capped": len(job.tickets) >= TICKET_LIMIT,
        "ticket_limit": TICKET_LIMIT,
    }
    return TemplateResponse(request, "tickets/import_detail.html", context)


@require_GET
def import_errors(request: HttpRequest, ticketimport_id: int) -> HttpResponse:
    job = import_get(viewer=request.membership, import_id=ticketimport_id)  # type: ignore[attr-defined]
    return _xlsx(import_error_workbook(job=job), f"ticket-import-{job.pk}-errors.xlsx")
