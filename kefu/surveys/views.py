"""Staff pages of surveys: templates, triggers and the fatigue policy, response rates, the 3-PRO
results, and the interventions a low score opens. Selectors read, kefu.surveys.services writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import add_service_error, run_service, valid_filters
from kefu.core.permissions import can
from kefu.core.scoping import one_or_404
from kefu.core.zones import zone_of
from kefu.orgs.models import Membership
from kefu.orgs.selectors import staff_list
from kefu.properties.selectors import project_choices
from kefu.surveys import builtin, selectors, services
from kefu.surveys.forms import (
    AdjustForm,
    CloseForm,
    ContactForm,
    FatigueForm,
    InterventionFilterForm,
    QuestionFormSet,
    RateFilterForm,
    ResultFilterForm,
    TemplateForm,
    TriggerForm,
    question_initial,
)
from kefu.surveys.models import Intervention, SurveyTemplate, SurveyTrigger

MANAGE = services.MANAGE
INTERVENE = services.INTERVENE
PAGE_SIZE = 50
COMMENTS_SHOWN = 20
# The doctrine's benchmark: 10 % answered within 24 hours of a signing-day push, no incentive.
BENCHMARK_24H = 10
GOOD = builtin.THREE_PRO_GOOD
RATE_COLOUR = "#206bc4"
BENCHMARK_COLOUR = "#d63939"
DIMENSION_COLOURS = {"P": "#206bc4", "F": "#2fb344", "A": "#f76707"}


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def _start_of(day: date | None, zone: ZoneInfo, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1) if next_day else day, time.min, tzinfo=zone)


def _age_text(age: timedelta | None) -> str:
    if age is None:
        return "—"
    hours = int(age.total_seconds() // 3600)
    if hours < 24:
        return _("%(hours)s h") % {"hours": max(hours, 0)}
    return _("%(days)s d %(hours)s h") % {"days": hours // 24, "hours": hours % 24}


def _staff_choices(viewer: Membership) -> Any:
    # A select box needs names and units, not the roles the staff list prefetches.
    return staff_list(viewer=viewer, is_active=True).prefetch_related(None)


# Survey templates


def template_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    rows = list(selectors.template_overview(viewer))
    inherited = [t for t in selectors.template_choices(viewer.unit) if t.organisation_id != viewer.unit.pk]
    context = {
        "rows": rows,
        "inherited": inherited,
        "can_manage": can(viewer, MANAGE),
        "has_builtin": any(t.is_builtin and t.organisation_id == viewer.unit.pk for t in rows),
    }
    return TemplateResponse(request, "surveys/template_list.html", context)


@require_POST
def template_builtin_add(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    if not can(viewer, MANAGE):
        raise PermissionDenied
    services.ensure_builtin_templates(unit=viewer.unit)
    messages.success(
        request,
        _("The built-in 3-PRO, satisfaction, recommendation and experience-point surveys are ready for %(unit)s.")
        % {"unit": viewer.unit.name},
    )
    return redirect("surveys:template_list")


def _readable_template(viewer: Membership, template_id: int) -> SurveyTemplate:
    """A template of the viewer's unit or below, or one a unit above lends it (read-only)."""
    own = selectors.template_overview(viewer).filter(pk=template_id).first()
    if own is not None:
        return own
    return one_or_404(selectors.template_choices(viewer.unit, active_only=False), pk=template_id)


@dataclass
class QuestionGroup:
    group: str
    title: str
    questions: list[Any]


def _groups(questions: list[Any]) -> list[QuestionGroup]:
    return [
        QuestionGroup(group=group, title=title, questions=list(rows))
        for (group, title), rows in groupby(questions, key=lambda q: (q.group, q.group_title))
    ]


def template_detail(request: PageRequest, template_id: int) -> HttpResponse:
    viewer = request.membership
    template = _readable_template(viewer, template_id)
    version = services.current_version(template)
    is_own = template.organisation.path.startswith(viewer.unit.path)
    context = {
        "template": template,
        "version": version,
        "groups": _groups(list(version.questions.all())),
        "is_own": is_own,
        "can_edit": is_own and can(viewer, MANAGE),
        "is_locked": template.is_builtin and template.kind == SurveyTemplate.Kind.THREE_PRO,
    }
    return TemplateResponse(request, "surveys/template_detail.html", context)


def _form_page(
    request: PageRequest, *, form: TemplateForm, formset: Any, template: SurveyTemplate | None
) -> HttpResponse:
    context = {"form": form, "formset": formset, "template": template}
    return TemplateResponse(request, "surveys/template_form.html", context)


def template_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = TemplateForm(request.POST or None)
    formset = QuestionFormSet(request.POST or None, prefix="q")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        template = run_service(
            form,
            lambda: services.template_create(
                actor=viewer,
                organisation=viewer.unit,
                name=data["name"],
                description=data["description"],
                questions=formset.questions(),
                csat_threshold=data["csat_threshold"],
                valid_days=data["valid_days"],
            ),
        )
        if template is not None:
            messages.success(
                request,
                _("The survey %(name)s has been created. Add a trigger to send it when something happens.")
                % {"name": template.name},
            )
            return redirect("surveys:template_detail", template_id=template.pk)
    return _form_page(request, form=form, formset=formset, template=None)


def _keep_fixed_parts(questions: list[dict[str, Any]], current: list[Any]) -> list[dict[str, Any]]:
    """The page edits code, group, text, type, required and choices; a question's help text and
    its scale labels stay as they were, so saving an unchanged form makes no new version."""
    by_code = {q.code: q for q in current}
    for question in questions:
        before = by_code.get(question["code"])
        if before is None:
            continue
        question["help"] = before.help
        if question["type"] == before.type and question["type"] != "choice":
            question["options"] = dict(before.options)
    return questions


def template_edit(request: PageRequest, template_id: int) -> HttpResponse:
    viewer = request.membership
    template = one_or_404(selectors.template_overview(viewer), pk=template_id)
    version = services.current_version(template)
    current = list(version.questions.all())
    form = TemplateForm(
        request.POST or None,
        initial={
            "name": template.name,
            "description": template.description,
            "csat_threshold": template.csat_threshold,
            "valid_days": template.valid_days,
        },
    )
    formset = QuestionFormSet(
        request.POST or None,
        prefix="q",
        initial=question_initial(current),
        form_kwargs={"all_types": template.is_builtin},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        # A refusal (BuiltinLocked among them) lands above the form and in a message.
        saved = run_service(
            form,
            lambda: services.template_update(
                actor=viewer,
                template=template,
                name=data["name"],
                description=data["description"],
                questions=_keep_fixed_parts(formset.questions(), current),
                csat_threshold=data["csat_threshold"],
                valid_days=data["valid_days"],
            ),
        )
        if saved is not None:
            number = services.current_version(saved).number
            if number != version.number:
                messages.success(
                    request,
                    _("The survey has been saved as version %(version)s. Invitations sent from now on use it.")
                    % {"version": number},
                )
            else:
                messages.success(request, _("The survey has been saved."))
            return redirect("surveys:template_detail", template_id=template.pk)
        if form.non_field_errors():
            messages.error(request, " ".join(form.non_field_errors()))
    return _form_page(request, form=form, formset=formset, template=template)


@require_POST
def template_archive(request: PageRequest, template_id: int) -> HttpResponse:
    viewer = request.membership
    template = one_or_404(selectors.template_overview(viewer), pk=template_id)
    try:
        services.template_archive(actor=viewer, template=template)
    except Forbidden as exc:
        raise PermissionDenied from exc
    messages.success(
        request,
        _(
            "The survey %(name)s is archived: its triggers stop sending it; "
            "invitations already sent can still be answered."
        )
        % {"name": template.name},
    )
    return redirect("surveys:template_list")


# Triggers and the fatigue policy


def _trigger_page(
    request: PageRequest, *, trigger_form: TriggerForm | None = None, fatigue_form: FatigueForm | None = None
) -> HttpResponse:
    viewer = request.membership
    policy = services.fatigue_policy_for(viewer.unit)
    if fatigue_form is None:
        fatigue_form = FatigueForm(
            initial={
                "max_invitations": policy.max_invitations,
                "within_days": policy.within_days,
                "intervention_days": policy.intervention_days,
            }
        )
    if trigger_form is None:
        trigger_form = TriggerForm(templates=selectors.template_choices(viewer.unit))
    triggers = list(selectors.trigger_list(viewer))
    for trigger in triggers:
        trigger.delay_hours = int(trigger.delay.total_seconds() // 3600)  # type: ignore[attr-defined]
    template_field = trigger_form.fields["template"]
    assert isinstance(template_field, ModelChoiceField)
    context = {
        "triggers": triggers,
        "has_templates": template_field.queryset.exists(),
        "trigger_form": trigger_form,
        "fatigue_form": fatigue_form,
        "policy": policy,
        "unit": viewer.unit,
    }
    return TemplateResponse(request, "surveys/trigger_list.html", context)


def trigger_list(request: PageRequest) -> HttpResponse:
    return _trigger_page(request)


def _delay(hours: int) -> timedelta:
    return timedelta(hours=hours)


@require_POST
def trigger_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = TriggerForm(request.POST, templates=selectors.template_choices(viewer.unit))
    if form.is_valid():
        data = form.cleaned_data
        trigger = run_service(
            form,
            lambda: services.trigger_save(
                actor=viewer,
                organisation=viewer.unit,
                event=data["event"],
                template=data["template"],
                delay=_delay(data["delay_hours"]),
                is_active=data["is_active"],
            ),
        )
        if trigger is not None:
            messages.success(
                request,
                _("From now on, “%(event)s” sends the survey %(name)s.")
                % {"event": trigger.get_event_display(), "name": trigger.template.name},
            )
            return redirect("surveys:trigger_list")
    messages.error(request, _("The trigger was not saved; see the form below."))
    return _trigger_page(request, trigger_form=form)


def trigger_edit(request: PageRequest, trigger_id: int) -> HttpResponse:
    viewer = request.membership
    trigger: SurveyTrigger = one_or_404(selectors.trigger_list(viewer), pk=trigger_id)
    form = TriggerForm(
        request.POST or None,
        templates=selectors.template_choices(trigger.organisation, active_only=False),
        fixed=True,
        initial={
            "event": trigger.event,
            "template": trigger.template_id,
            "delay_hours": int(trigger.delay.total_seconds() // 3600),
            "is_active": trigger.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: services.trigger_save(
                actor=viewer,
                organisation=trigger.organisation,
                event=trigger.event,
                template=trigger.template,
                delay=_delay(data["delay_hours"]),
                is_active=data["is_active"],
            ),
        )
        if saved is not None:
            if saved.is_active:
                messages.success(request, _("The trigger has been saved."))
            else:
                messages.success(request, _("The trigger has been saved; it is switched off and sends nothing."))
            return redirect("surveys:trigger_list")
    return TemplateResponse(request, "surveys/trigger_form.html", {"trigger": trigger, "form": form})


@require_POST
def fatigue_save(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = FatigueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: services.fatigue_policy_save(
                actor=viewer,
                organisation=viewer.unit,
                max_invitations=data["max_invitations"],
                within_days=data["within_days"],
                intervention_days=data["intervention_days"],
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Saved for %(unit)s: at most %(count)s surveys per customer in %(days)s days.")
                % {"unit": viewer.unit.name, "count": saved.max_invitations, "days": saved.within_days},
            )
            return redirect("surveys:trigger_list")
    messages.error(request, _("The limits were not saved; see the form below."))
    return _trigger_page(request, fatigue_form=form)


# Response rates


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


def _number(value: Decimal | None) -> float | None:
    # ECharts plots numbers; these are percentages for a chart, never stored.
    return None if value is None else float(value)


def _rates_chart(rows: list[selectors.RateRow]) -> dict[str, Any]:
    benchmark = _("Benchmark %(percent)s %%") % {"percent": BENCHMARK_24H}
    return {
        "color": [RATE_COLOUR],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 60, "bottom": 60, "top": 30},
        "xAxis": {
            "type": "category",
            "data": [row.label or _("Not set") for row in rows],
            "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 6 else 0},
        },
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": _("Answered within 24 hours"),
                "type": "bar",
                "barMaxWidth": 48,
                "data": [_number(row.answer_rate_24h) for row in rows],
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"color": BENCHMARK_COLOUR, "type": "dashed"},
                    "label": {"formatter": benchmark, "position": "insideEndTop"},
                    "data": [{"yAxis": BENCHMARK_24H}],
                },
            }
        ],
    }


def rates(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = RateFilterForm(request.GET or None)
    filters = valid_filters(form)
    zone = zone_of(viewer.unit)
    by = filters.get("by") or "template"
    rows = selectors.response_rates(
        viewer,
        by=by,
        since=_start_of(filters.get("since"), zone),
        until=_start_of(filters.get("until"), zone, next_day=True),
    )
    sent = sum(row.sent for row in rows)
    total = {
        "invited": sum(row.invited for row in rows),
        "skipped": sum(row.skipped for row in rows),
        "sent": sent,
        "opened": sum(row.opened for row in rows),
        "answered": sum(row.answered for row in rows),
        "answered_within_24h": sum(row.answered_within_24h for row in rows),
    }
    context = {
        "form": form,
        "by": by,
        "by_label": dict(form.fields["by"].choices)[by],  # type: ignore[attr-defined]
        "rows": rows,
        "total": total,
        "total_rate_24h": _percent(total["answered_within_24h"], sent),
        "benchmark": BENCHMARK_24H,
        "is_filtered": bool(filters.get("since") or filters.get("until")),
        "chart": _rates_chart(rows) if any(row.sent for row in rows) else None,
        "can_manage": can(viewer, MANAGE),
    }
    return TemplateResponse(request, "surveys/rates.html", context)


# Results of the 3-PRO evaluation


@dataclass
class ResultRow:
    group: selectors.GroupResult
    cells: list[selectors.AspectResult | None]
    distribution: list[int]


def _result_rows(groups: list[selectors.GroupResult], codes: list[str]) -> list[ResultRow]:
    rows = []
    for group in groups:
        by_code = {a.code: a for a in group.aspects}
        distribution = [sum(a.distribution.get(score, 0) for a in group.aspects) for score in selectors.SCALE]
        rows.append(ResultRow(group=group, cells=[by_code.get(code) for code in codes], distribution=distribution))
    return rows


def _aspect_codes(groups: list[selectors.GroupResult]) -> list[tuple[str, str]]:
    """The aspects shown as columns: the doctrine's nine in their order, then any others."""
    seen: dict[str, str] = {}
    for group in groups:
        for aspect in group.aspects:
            seen.setdefault(aspect.code, aspect.text)
    names = {code: name for _g, _t, aspects in builtin.THREE_PRO_DIMENSIONS for code, name, _h in aspects}
    ordered = [(code, seen.get(code, names[code])) for code in builtin.THREE_PRO_CODES]
    return ordered + [(code, text) for code, text in seen.items() if code not in names]


def _trend_chart(points: list[selectors.TrendPoint]) -> dict[str, Any]:
    months = sorted({p.month for p in points})
    dimensions = {g: t for g, t, _a in builtin.THREE_PRO_DIMENSIONS}
    groups = sorted({p.group for p in points}, key=lambda g: list(dimensions).index(g) if g in dimensions else 99)
    values = {(p.month, p.group): p.average for p in points}
    series: list[dict[str, Any]] = []
    for group in groups:
        series.append(
            {
                "name": f"{group} {dimensions.get(group, '')}".strip(),
                "type": "line",
                "connectNulls": True,
                "data": [_number(values.get((month, group))) for month in months],
            }
        )
    if series:
        series[0]["markLine"] = {
            "symbol": "none",
            "lineStyle": {"color": BENCHMARK_COLOUR, "type": "dashed"},
            "label": {"formatter": _("4 Good"), "position": "insideEndTop"},
            "data": [{"yAxis": GOOD}],
        }
    return {
        "color": [DIMENSION_COLOURS.get(g, "#6c7a91") for g in groups],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 60, "bottom": 30, "top": 36},
        "xAxis": {"type": "category", "data": [f"{month:%Y-%m}" for month in months]},
        "yAxis": {"type": "value", "min": 1, "max": 5},
        "series": series,
    }


def results(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = ResultFilterForm(
        request.GET or None,
        staff=_staff_choices(viewer),
        projects=project_choices(viewer=viewer),
    )
    filters = valid_filters(form)
    zone = zone_of(viewer.unit)
    by = filters.get("by") or "staff"
    evaluated = filters.get("evaluated")
    project = filters.get("project")
    scope: dict[str, Any] = {
        "since": _start_of(filters.get("since"), zone),
        "until": _start_of(filters.get("until"), zone, next_day=True),
        "evaluated_id": evaluated.pk if evaluated is not None else None,
        "project_id": project.pk if project is not None else None,
    }
    groups = selectors.aspect_results(viewer, by=by, **scope)
    codes = _aspect_codes(groups)
    points = selectors.monthly_trend(viewer, kind=SurveyTemplate.Kind.THREE_PRO, **scope)
    latest = list(selectors.comments(viewer, kind=SurveyTemplate.Kind.THREE_PRO, **scope)[:COMMENTS_SHOWN])
    context = {
        "form": form,
        "by": by,
        "by_label": dict(form.fields["by"].choices)[by],  # type: ignore[attr-defined]
        "codes": codes,
        "rows": _result_rows(groups, [code for code, _text in codes]),
        "good": GOOD,
        "scale": selectors.SCALE,
        "scale_labels": builtin.SCALE5_LABELS,
        "chart": _trend_chart(points) if points else None,
        "comments": latest,
        "is_filtered": any(value is not None for value in scope.values()),
        "can_manage": can(viewer, MANAGE),
    }
    return TemplateResponse(request, "surveys/results.html", context)


# Interventions


def _with_age(interventions: Any) -> None:
    for intervention in interventions:
        intervention.age_text = _age_text(intervention.age)


def intervention_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = InterventionFilterForm(request.GET or None, staff=_staff_choices(viewer))
    filters = valid_filters(form)
    assignee = filters.get("assignee")
    rows = selectors.intervention_list(
        viewer, status=filters.get("status", ""), assignee_id=assignee.pk if assignee is not None else None
    )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_age(page_obj)
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "mine_url_query": f"status=open&assignee={viewer.pk}",
    }
    template = "surveys/intervention_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


def _can_act(viewer: Membership, intervention: Intervention) -> bool:
    return intervention.status != Intervention.Status.CLOSED and (
        intervention.assignee_id == viewer.pk or can(viewer, INTERVENE)
    )


def _intervention_page(
    request: PageRequest, intervention: Intervention, *, forms: dict[str, Any] | None = None
) -> HttpResponse:
    viewer = request.membership
    now = timezone.now()
    forms = forms or {}
    answers = list(intervention.response.answers.select_related("question").order_by("question__order", "pk"))
    low = {item.get("code") for item in intervention.reason}
    context = {
        "intervention": intervention,
        "answers": answers,
        "low_codes": low,
        "age_text": _age_text((intervention.closed_at or now) - intervention.created_at),
        "is_overdue": intervention.status != Intervention.Status.CLOSED and intervention.due_at < now,
        "can_act": _can_act(viewer, intervention),
        "contact_form": forms.get("contact") or ContactForm(initial={"contact_note": intervention.contact_note}),
        "adjust_form": forms.get("adjust") or AdjustForm(initial={"adjustment": intervention.adjustment}),
        "close_form": forms.get("close") or CloseForm(),
        "good": GOOD,
    }
    return TemplateResponse(request, "surveys/intervention_detail.html", context)


def intervention_detail(request: PageRequest, intervention_id: int) -> HttpResponse:
    intervention = selectors.intervention_get(request.membership, pk=intervention_id)
    return _intervention_page(request, intervention)


def _intervention_action(
    request: PageRequest,
    intervention_id: int,
    *,
    key: str,
    form_class: type[ContactForm] | type[AdjustForm] | type[CloseForm],
    act: Callable[[Intervention, dict[str, Any]], Intervention],
    done: str,
) -> HttpResponse:
    viewer = request.membership
    intervention = selectors.intervention_get(viewer, pk=intervention_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(intervention, form.cleaned_data)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except KefuError as exc:
            if exc.field in form.fields:
                add_service_error(form, exc)
            else:
                messages.error(request, exc.message)
                return redirect("surveys:intervention_detail", intervention_id=intervention.pk)
        else:
            messages.success(request, done)
            return redirect("surveys:intervention_detail", intervention_id=intervention.pk)
    messages.error(request, _("Nothing was saved; see the form below."))
    return _intervention_page(request, intervention, forms={key: form})


@require_POST
def intervention_contact(request: PageRequest, intervention_id: int) -> HttpResponse:
    viewer = request.membership
    return _intervention_action(
        request,
        intervention_id,
        key="contact",
        form_class=ContactForm,
        act=lambda i, data: services.intervention_contact(actor=viewer, intervention=i, note=data["contact_note"]),
        done=_("The contact with the client has been recorded and added to their timeline."),
    )


@require_POST
def intervention_adjust(request: PageRequest, intervention_id: int) -> HttpResponse:
    viewer = request.membership
    return _intervention_action(
        request,
        intervention_id,
        key="adjust",
        form_class=AdjustForm,
        act=lambda i, data: services.intervention_adjust(actor=viewer, intervention=i, adjustment=data["adjustment"]),
        done=_("The adjustment has been recorded. Close the intervention once the client is satisfied."),
    )


@require_POST
def intervention_close(request: PageRequest, intervention_id: int) -> HttpResponse:
    viewer = request.membership
    return _intervention_action(
        request,
        intervention_id,
        key="close",
        form_class=CloseForm,
        act=lambda i, data: services.intervention_close(actor=viewer, intervention=i, outcome=data["outcome"]),
        done=_("The intervention is closed with its outcome."),
    )
