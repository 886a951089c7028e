"""Staff pages of the commission reports: the statistics (on-time rate, delays, evaluations, the
3-PRO aspects, interventions) and the professionals' scorecard with its appraisal weights."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.pages import run_service, valid_filters
from kefu.core.permissions import can
from kefu.engagements import selectors, services
from kefu.engagements.forms import ASPECT_CHOICES, PeriodForm, StatisticsFilterForm, WeightsForm
from kefu.engagements.models import ASPECT_CODES
from kefu.engagements.views import PageRequest

ON_TIME_COLOUR = "#2fb344"
THREE_PRO_COLOUR = "#206bc4"


def _number(value: Decimal | None) -> float | None:
    # ECharts plots numbers; these are percentages and averages for a chart, never stored.
    return None if value is None else float(value)


def _rows_chart(rows: list[selectors.StatRow]) -> dict[str, Any]:
    """On-time rate (%) and the 3-PRO average (1–5) per row, on two axes."""
    return {
        "color": [ON_TIME_COLOUR, THREE_PRO_COLOUR],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 48, "bottom": 60, "top": 36},
        "xAxis": {
            "type": "category",
            "data": [row.label for row in rows],
            "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 6 else 0},
        },
        "yAxis": [
            {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
            {"type": "value", "min": 1, "max": 5},
        ],
        "series": [
            {
                "name": _("On-time rate"),
                "type": "bar",
                "barMaxWidth": 40,
                "data": [_number(row.on_time_rate) for row in rows],
            },
            {
                "name": _("3-PRO average"),
                "type": "bar",
                "barMaxWidth": 40,
                "yAxisIndex": 1,
                "data": [_number(row.three_pro_average) for row in rows],
            },
        ],
    }


def _monthly_chart(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "color": [ON_TIME_COLOUR],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "bottom": 30, "top": 24},
        "xAxis": {"type": "category", "data": [f"{p['month']:%Y-%m}" for p in points]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": _("On-time rate"),
                "type": "line",
                "connectNulls": True,
                "data": [_number(p["rate"]) for p in points],
            }
        ],
    }


def statistics(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = StatisticsFilterForm(request.GET or None, types=selectors.commission_type_list(viewer))
    filters = valid_filters(form)
    by = filters.get("by") or "manager"
    type_ = filters.get("type")
    since, until = filters.get("since"), filters.get("until")
    rows = selectors.statistics(viewer, by=by, since=since, until=until, type_id=type_.pk if type_ else None)
    for row in rows:
        row.aspect_cells = [row.aspects.get(code) for code in ASPECT_CODES]  # type: ignore[attr-defined]
    points = selectors.monthly_on_time(viewer, since=since, until=until)
    context = {
        "form": form,
        "by": by,
        "by_label": dict(form.fields["by"].choices)[by],  # type: ignore[attr-defined]
        "rows": rows,
        "aspects": ASPECT_CHOICES,
        "chart": _rows_chart(rows) if rows else None,
        "monthly_chart": _monthly_chart(points) if points else None,
        "is_filtered": bool(filters.get("since") or filters.get("until") or type_),
        "can_create": can(viewer, "engagements.work"),
    }
    return TemplateResponse(request, "engagements/statistics.html", context)


def _scorecard_page(
    request: PageRequest, *, weights_form: WeightsForm | None = None, status: int = 200
) -> HttpResponse:
    viewer = request.membership
    form = PeriodForm(request.GET or None)
    filters = valid_filters(form)
    weights = selectors.weights_for(viewer)
    can_appraise = can(viewer, "engagements.appraise")
    if weights_form is None and can_appraise:
        weights_form = WeightsForm(
            initial={
                "on_time_weight": weights.on_time_weight,
                "evaluation_weight": weights.evaluation_weight,
                "response_weight": weights.response_weight,
                "intervention_weight": weights.intervention_weight,
            }
        )
    context = {
        "form": form,
        "rows": selectors.scorecard(viewer, since=filters.get("since"), until=filters.get("until")),
        "weights": weights,
        "weights_form": weights_form,
        "is_filtered": bool(filters),
    }
    return TemplateResponse(request, "engagements/scorecard.html", context, status=status)


def scorecard(request: PageRequest) -> HttpResponse:
    return _scorecard_page(request)


@require_POST
def weights_save(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    if not can(viewer, "engagements.appraise"):
        raise PermissionDenied
    form = WeightsForm(request.POST)
    if form.is_valid():
        saved = run_service(form, lambda: services.weights_save(actor=viewer, unit=viewer.unit, **form.cleaned_data))
        if saved is not None:
            messages.success(
                request,
                _("The scorecard weights for %(unit)s have been saved.") % {"unit": saved.organisation.name},
            )
            return redirect("engagements:scorecard")
    messages.error(request, _("The weights were not saved; see the form below."))
    return _scorecard_page(request, weights_form=form, status=400)
