"""Staff pages of the daily complaint report 投诉日报 and the supervisors' queue 督办."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from kefu.core.excel import XLSX_CONTENT_TYPE
from kefu.core.pages import valid_filters
from kefu.core.permissions import can
from kefu.core.zones import local_today
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.models import RequestKind
from kefu.tickets import reports
from kefu.tickets.models import Ticket
from kefu.tickets.report_export import daily_report_workbook, export_file_name
from kefu.tickets.report_forms import ALL_KINDS, DailyReportForm

ROWS_PER_PAGE = 100
QUEUE_PAGE = 50
RECEIVED_COLOUR = "#206bc4"
RESOLVED_COLOUR = "#2fb344"


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


# --- the daily report --------------------------------------------------------------------------


@dataclass
class ReportChoice:
    form: DailyReportForm
    unit: OrgUnit
    day: date
    kind: str  # "" for every kind


def _report_choice(request: PageRequest) -> ReportChoice:
    """Unit, day and kind from the query string; a refused value falls back to its default and
    the form says why (a unit outside the viewer's subtree is not among the choices)."""
    viewer = request.membership
    today = local_today(viewer.unit)
    default_day = reports.default_report_day(unit=viewer.unit)
    data = None
    if request.GET:
        # A partly filled query (a link with only ?unit=…) shows the defaults it was given.
        data = request.GET.copy()
        data.setdefault("day", default_day.isoformat())
        data.setdefault("kind", RequestKind.COMPLAINT)
    form = DailyReportForm(
        data,
        units=reports.report_units(viewer=viewer),
        base_depth=viewer.unit.depth,
        today=today,
        initial={
            "unit": viewer.unit.pk,
            "day": default_day,
            "kind": RequestKind.COMPLAINT,
        },
    )
    filters = valid_filters(form)
    unit: OrgUnit = filters.get("unit") or viewer.unit
    kind = filters.get("kind") or RequestKind.COMPLAINT
    return ReportChoice(
        form=form,
        unit=unit,
        day=filters.get("day") or reports.default_report_day(unit=unit),
        kind="" if kind == ALL_KINDS else kind,
    )


def _chart(series: reports.DailySeries) -> dict[str, Any]:
    return {
        "color": [RECEIVED_COLOUR, RESOLVED_COLOUR],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 36, "right": 16, "bottom": 30, "top": 36},
        "xAxis": {"type": "category", "data": [f"{day:%m-%d}" for day in series.days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("Voices received"), "type": "bar", "data": series.received},
            {"name": _("Resolved"), "type": "line", "data": series.resolved},
        ],
    }


def _mark(tickets: list[Ticket], now: datetime) -> None:
    for ticket in tickets:
        ticket.sla = reports.sla_state(ticket, now)  # type: ignore[attr-defined]
        ticket.sla_label = reports.SlaState.LABELS[ticket.sla]  # type: ignore[attr-defined]


def daily_report(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    choice = _report_choice(request)
    now = timezone.now()
    summary = reports.daily_summary(viewer=viewer, unit=choice.unit, day=choice.day, kind=choice.kind, now=now)
    rows = reports.daily_rows(viewer=viewer, unit=choice.unit, day=choice.day, kind=choice.kind)
    page_obj = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    _mark(list(page_obj), now)
    series = reports.daily_series(viewer=viewer, unit=choice.unit, day=choice.day, kind=choice.kind)
    context = {
        "form": choice.form,
        "summary": summary,
        "unit": choice.unit,
        "day": choice.day,
        "kind_label": RequestKind(choice.kind).label if choice.kind else _("All kinds"),
        "is_complaints": choice.kind == RequestKind.COMPLAINT,
        "page_obj": page_obj,
        "average_first_response": reports.duration_text(summary.average_first_response),
        "longest_open_age": reports.duration_text(summary.longest_open_age),
        "chart": _chart(series) if any(series.received) or any(series.resolved) else None,
        "query": request.GET.urlencode(),
        "can_supervise": can(viewer, reports.SUPERVISE),
    }
    template = "tickets/report_daily.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


@require_GET
def daily_report_export(request: PageRequest) -> HttpResponse:
    choice = _report_choice(request)
    content = daily_report_workbook(viewer=request.membership, unit=choice.unit, day=choice.day, kind=choice.kind)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export_file_name(choice.unit, choice.day)}"'
    return response


# --- the supervisors' queue --------------------------------------------------------------------


def _lateness(tickets: list[Ticket], section: str, now: datetime) -> None:
    """Each row's due time for its section, and how late it is (or how long is left)."""
    for ticket in tickets:
        if section == reports.Section.BREACHED:
            due = ticket.late_since  # type: ignore[attr-defined]
        elif section == reports.Section.REVISITS:
            due = ticket.revisit_due_at
        else:
            due = ticket.next_due  # type: ignore[attr-defined]
        ticket.due = due  # type: ignore[attr-defined]
        ticket.is_late = bool(due and due <= now)  # type: ignore[attr-defined]
        ticket.late_by = reports.duration_text(now - due) if due and due <= now else ""  # type: ignore[attr-defined]
        ticket.left = reports.duration_text(due - now) if due and due > now else ""  # type: ignore[attr-defined]


def queue(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    section = request.GET.get("section") or reports.Section.BREACHED
    if section not in reports.Section.ALL:
        section = reports.Section.BREACHED
    now = timezone.now()
    counts = reports.queue_counts(viewer=viewer, now=now)
    page_obj = Paginator(reports.queue_tickets(viewer=viewer, section=section, now=now), QUEUE_PAGE).get_page(
        request.GET.get("page")
    )
    _lateness(list(page_obj), section, now)
    context = {
        "section": section,
        "section_label": reports.Section.LABELS[section],
        "tabs": [(key, reports.Section.LABELS[key], counts[key]) for key in reports.Section.ALL],
        "page_obj": page_obj,
    }
    template = "tickets/queue_list.html"
    return TemplateResponse(request, f"{template}#section" if request.htmx else template, context)
