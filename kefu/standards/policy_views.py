"""Staff pages of the request categories and SLA policies, and the policy matcher.

Administrators change what belongs to their unit or below; everyone else (and an administrator
looking at a unit above theirs) reads. Selectors read, services write; another unit's row is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error as _add_error
from kefu.core.pages import valid_filters as _filters
from kefu.core.permissions import can, in_scope
from kefu.orgs.selectors import unit_choices
from kefu.standards import selectors, services
from kefu.standards.forms import (
    CategoryCreateForm,
    CategoryEditForm,
    CategoryFilterForm,
    PolicyFilterForm,
    PolicyForm,
    PolicyMatchForm,
)
from kefu.standards.models import RequestKind, SlaPolicy
from kefu.standards.views import MANAGE, PAGE_SIZE, PageRequest, duration_label
from kefu.standards.views import ensure_editable as _ensure_editable

# Request categories


def _category_page(request: PageRequest, form: CategoryCreateForm, status: int = 200) -> HttpResponse:
    viewer = request.membership
    filter_form = CategoryFilterForm(request.GET or None)
    filters = _filters(filter_form)
    categories = list(
        selectors.category_list(
            viewer=viewer, kind=filters.get("kind", ""), active_only=not filters.get("inactive")
        ).order_by("kind", "organisation__path", "name")
    )
    groups = [
        (label, [category for category in categories if category.kind == kind]) for kind, label in RequestKind.choices
    ]
    context = {
        "filter_form": filter_form,
        "is_filtered": bool(filters),
        "groups": [(label, items) for label, items in groups if items],
        "editable": {category.pk for category in categories if in_scope(viewer, category.organisation)},
        "form": form,
        "can_manage": can(viewer, MANAGE),
    }
    template = "standards/category_list.html"
    if request.htmx and request.method == "GET":
        template += "#groups"
    return TemplateResponse(request, template, context, status=status)


def _category_form(request: PageRequest) -> CategoryCreateForm:
    viewer = request.membership
    return CategoryCreateForm(
        request.POST or None,
        organisations=unit_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        initial={"organisation": viewer.unit},
    )


def category_list(request: PageRequest) -> HttpResponse:
    return _category_page(request, _category_form(request))


@require_POST
def category_create(request: PageRequest) -> HttpResponse:
    form = _category_form(request)
    if form.is_valid():
        try:
            category = services.category_create(
                actor=request.membership,
                unit=form.cleaned_data["organisation"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Category %(name)s has been created.") % {"name": category})
            return redirect("standards:category_list")
    return _category_page(request, form, status=400)


def category_edit(request: PageRequest, category_id: int) -> HttpResponse:
    viewer = request.membership
    category = selectors.category_get(viewer=viewer, category_id=category_id)
    _ensure_editable(viewer, category.organisation)
    form = CategoryEditForm(request.POST or None, initial={"name": category.name, "is_active": category.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_update(actor=viewer, category=category, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            if category.is_active:
                message = _("Category %(name)s has been saved.")
            else:
                message = _("Category %(name)s has been saved; it is no longer offered for new tickets.")
            messages.success(request, message % {"name": category})
            return redirect("standards:category_list")
    return TemplateResponse(request, "standards/category_form.html", {"form": form, "category": category})


# SLA policies


def _labelled(policy: SlaPolicy) -> SlaPolicy:
    policy.first_response_label = duration_label(policy.first_response_time)  # type: ignore[attr-defined]
    policy.resolution_label = duration_label(policy.resolution_time)  # type: ignore[attr-defined]
    return policy


def policy_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = PolicyFilterForm(request.GET or None)
    filters = _filters(form)
    policies = selectors.policy_list(viewer=viewer, **filters).order_by(
        "organisation__path", "kind", "category__name", "severity", "grade", "name"
    )
    page_obj = Paginator(policies, PAGE_SIZE).get_page(request.GET.get("page"))
    for policy in page_obj:
        _labelled(policy)
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "editable": {policy.pk for policy in page_obj if in_scope(viewer, policy.organisation)},
        "can_manage": can(viewer, MANAGE),
    }
    template = "standards/policy_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


def policy_detail(request: PageRequest, policy_id: int) -> HttpResponse:
    viewer = request.membership
    policy = _labelled(selectors.policy_get(viewer=viewer, policy_id=policy_id))
    match_query = {
        "unit": viewer.unit.pk,
        "grade": policy.grade,
        "kind": policy.kind or RequestKind.COMPLAINT,
        "category": policy.category_id or "",
        "severity": policy.severity or "normal",
    }
    context = {
        "policy": policy,
        "durations": {
            "head_escalation_after": duration_label(policy.head_escalation_after),
            "revisit_within": duration_label(policy.revisit_within),
        },
        "editable": can(viewer, MANAGE) and in_scope(viewer, policy.organisation),
        "inherited": not in_scope(viewer, policy.organisation),
        "match_query": "&".join(f"{key}={value}" for key, value in match_query.items()),
    }
    return TemplateResponse(request, "standards/policy_detail.html", context)


def _policy_form(request: PageRequest, policy: SlaPolicy | None) -> PolicyForm:
    viewer = request.membership
    categories = selectors.category_list(
        viewer=viewer, active_only=True, also_id=policy.category_id if policy else None
    ).order_by("kind", "name")
    if policy is None:
        return PolicyForm(
            request.POST or None,
            categories=categories,
            organisations=unit_choices(viewer=viewer),
            base_depth=viewer.unit.depth,
            initial={"organisation": viewer.unit},
        )
    initial = {name: getattr(policy, name) for name in services.POLICY_FIELDS}
    return PolicyForm(request.POST or None, categories=categories, initial=initial)


def policy_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = _policy_form(request, None)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        unit = values.pop("organisation")
        try:
            policy = services.policy_create(actor=viewer, unit=unit, **values)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Service standard %(name)s has been created.") % {"name": policy.name})
            return redirect("standards:policy_detail", policy_id=policy.pk)
    return TemplateResponse(request, "standards/policy_form.html", {"form": form, "policy": None})


def policy_edit(request: PageRequest, policy_id: int) -> HttpResponse:
    viewer = request.membership
    policy = selectors.policy_get(viewer=viewer, policy_id=policy_id)
    _ensure_editable(viewer, policy.organisation)
    form = _policy_form(request, policy)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_update(actor=viewer, policy=policy, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Service standard %(name)s has been saved.") % {"name": policy.name})
            return redirect("standards:policy_detail", policy_id=policy.pk)
    return TemplateResponse(request, "standards/policy_form.html", {"form": form, "policy": policy})


def policy_match(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = PolicyMatchForm(
        request.GET or None,
        units=unit_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        categories=selectors.category_list(viewer=viewer, active_only=True).order_by("kind", "name"),
        initial={"unit": viewer.unit, "kind": RequestKind.COMPLAINT, "severity": "normal"},
    )
    preview = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        unit = data["unit"]
        preview = selectors.policy_match_preview(
            viewer=viewer,
            unit=unit,
            grade=data["grade"],
            kind=data["kind"],
            category=data["category"],
            severity=data["severity"],
            logged_at=timezone.now(),
        )
        if preview.match.policy is not None:
            _labelled(preview.match.policy)
    context = {"form": form, "preview": preview, "zone": _zone_of(preview), "any_label": _("any")}
    template = "standards/policy_match.html"
    return TemplateResponse(request, f"{template}#result" if request.htmx else template, context)


def _zone_of(preview: selectors.MatchPreview | None) -> str:
    if preview is None or preview.calendar is None:
        return "Asia/Shanghai"
    return preview.calendar.timezone
