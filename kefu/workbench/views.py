from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from kefu.accounts.selectors import recent_logins
from kefu.core.permissions import can
from kefu.engagements.selectors import my_commissions, my_tasks
from kefu.orgs.selectors import staff_list, unit_list
from kefu.properties.charts import STANDARD_COLOURS
from kefu.properties.models import Unit
from kefu.properties.selectors import property_totals, units_by_project
from kefu.surveys.selectors import my_open_interventions
from kefu.tickets.reports import my_open_tickets, my_ticket_counts, queue_counts


def _units_chart(projects: list) -> dict:
    standards = Unit.DeliveryStandard
    series = [
        {"name": str(standards.SHELL.label), "type": "bar", "stack": "units", "data": [p.shell for p in projects]},
        {"name": str(standards.BASIC.label), "type": "bar", "stack": "units", "data": [p.basic for p in projects]},
        {"name": str(standards.FITTED.label), "type": "bar", "stack": "units", "data": [p.fitted for p in projects]},
    ]
    return {
        "color": [
            STANDARD_COLOURS[standards.SHELL],
            STANDARD_COLOURS[standards.BASIC],
            STANDARD_COLOURS[standards.FITTED],
        ],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 16, "bottom": 30, "top": 36},
        "xAxis": {"type": "category", "data": [p.name for p in projects]},
        "yAxis": {"type": "value", "name": _("Units")},
        "series": series,
    }


def home(request: HttpRequest) -> HttpResponse:
    viewer = request.membership  # type: ignore[attr-defined]
    context: dict = {"recent_logins": recent_logins(user_id=request.user.pk)}
    if can(viewer, "properties.view"):
        projects = list(units_by_project(viewer=viewer))
        context.update(
            totals=property_totals(viewer=viewer),
            projects=projects,
            units_chart=_units_chart(projects) if projects else None,
            can_import_properties=can(viewer, "properties.import"),
        )
    if can(viewer, "orgs.manage_staff"):
        context.update(
            unit_count=unit_list(viewer=viewer, include_inactive=False).count(),
            staff_count=staff_list(viewer=viewer, is_active=True).count(),
        )
    # Ticket cards: an agent's own open tickets, a supervisor's queue at a glance.
    if can(viewer, "tickets.handle"):
        context.update(my_tickets=my_open_tickets(viewer=viewer), my_ticket_counts=my_ticket_counts(viewer=viewer))
    if can(viewer, "tickets.supervise"):
        context.update(queue_counts=queue_counts(viewer=viewer))
    # Interventions after a low evaluation: a supervisor's own open cases, oldest first.
    if can(viewer, "surveys.intervene"):
        context.update(my_interventions=my_open_interventions(viewer))
    # Commissions: the professional's own open ones (late nodes first) and follow-up tasks.
    if can(viewer, "engagements.view"):
        context.update(
            my_commissions=my_commissions(viewer),
            my_commission_tasks=my_tasks(viewer),
            can_open_commission=can(viewer, "engagements.work"),
            supervises_commissions=can(viewer, "engagements.supervise"),
        )
    return TemplateResponse(request, "workbench/home.html", context)
