"""Staff pages for projects, buildings, units and common parts. Selectors read, services write."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error as _add_error
from kefu.core.pages import int_param as _int_param
from kefu.core.pages import valid_filters as _filters
from kefu.core.permissions import can
from kefu.orgs.models import Membership
from kefu.orgs.selectors import unit_choices
from kefu.properties import selectors, services
from kefu.properties.charts import STANDARD_COLOURS
from kefu.properties.forms import (
    BuildingForm,
    CommonPartFilterForm,
    CommonPartForm,
    ProjectFilterForm,
    ProjectForm,
    UnitFilterForm,
    UnitForm,
)
from kefu.properties.models import Building, CommonPart, Project, Unit

PAGE_SIZE = 50

# Grid cells, legend and chart share one colour per delivery standard (see kefu.css).


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def _permissions(viewer: Membership) -> dict[str, bool]:
    return {"can_manage": can(viewer, "properties.manage"), "can_import": can(viewer, "properties.import")}


def _rows_or_page(request: PageRequest, template: str) -> str:
    return f"{template}#rows" if request.htmx else template


# Projects


def project_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = ProjectFilterForm(request.GET or None)
    filters = _filters(form)
    projects = selectors.project_list(viewer=viewer, q=filters.get("q"))
    context = {
        "form": form,
        "page_obj": Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page")),
        "is_filtered": bool(filters),
        **_permissions(viewer),
    }
    return TemplateResponse(request, _rows_or_page(request, "properties/project_list.html"), context)


def _project_form(request: PageRequest, **kwargs: Any) -> ProjectForm:
    viewer = request.membership
    return ProjectForm(
        request.POST or None, organisations=unit_choices(viewer=viewer), base_depth=viewer.unit.depth, **kwargs
    )


def project_create(request: PageRequest) -> HttpResponse:
    form = _project_form(request, initial={"organisation": request.membership.unit})
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.membership, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Project %(name)s has been created.") % {"name": project.name})
            return redirect("properties:project_detail", project_id=project.pk)
    return TemplateResponse(request, "properties/project_form.html", {"form": form, "project": None})


def project_edit(request: PageRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(viewer=request.membership, project_id=project_id)
    initial = {name: getattr(project, name) for name in ProjectForm.base_fields}
    form = _project_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_update(actor=request.membership, project=project, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Project %(name)s has been saved.") % {"name": project.name})
            return redirect("properties:project_detail", project_id=project.pk)
    return TemplateResponse(request, "properties/project_form.html", {"form": form, "project": project})


def _standards_chart(summary: selectors.ProjectSummary) -> dict[str, Any] | None:
    data = [{"name": str(standard.label), "value": count} for standard, count in summary.by_standard if count]
    if not data:
        return None
    colours = [STANDARD_COLOURS[standard] for standard, count in summary.by_standard if count]
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0},
        "color": colours,
        "series": [{"type": "pie", "radius": ["45%", "70%"], "label": {"formatter": "{b}\n{c}"}, "data": data}],
    }


def project_detail(request: PageRequest, project_id: int) -> HttpResponse:
    viewer = request.membership
    project = selectors.project_get(viewer=viewer, project_id=project_id)
    summary = selectors.project_summary(viewer=viewer, project=project)
    context = {
        "project": project,
        "summary": summary,
        "buildings": list(selectors.building_list_for_project(viewer=viewer, project_id=project.pk)),
        "standards_chart": _standards_chart(summary),
        **_permissions(viewer),
    }
    return TemplateResponse(request, "properties/project_detail.html", context)


# Buildings


def building_create(request: PageRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(viewer=request.membership, project_id=project_id)
    form = BuildingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            building = services.building_create(actor=request.membership, project=project, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Building %(name)s has been created.") % {"name": building.name})
            return redirect("properties:building_detail", building_id=building.pk)
    context = {"form": form, "project": project, "building": None}
    return TemplateResponse(request, "properties/building_form.html", context)


def building_edit(request: PageRequest, building_id: int) -> HttpResponse:
    building = selectors.building_get(viewer=request.membership, building_id=building_id)
    initial = {name: getattr(building, name) for name in BuildingForm.base_fields}
    form = BuildingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            building = services.building_update(actor=request.membership, building=building, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Building %(name)s has been saved.") % {"name": building.name})
            return redirect("properties:building_detail", building_id=building.pk)
    context = {"form": form, "project": building.project, "building": building}
    return TemplateResponse(request, "properties/building_form.html", context)


def building_detail(request: PageRequest, building_id: int) -> HttpResponse:
    viewer = request.membership
    building = selectors.building_get(viewer=viewer, building_id=building_id)
    context = {
        "building": building,
        "project": building.project,
        "grid": selectors.building_grid(viewer=viewer, building=building),
        "common_parts": list(selectors.commonpart_list(viewer=viewer, building_id=building.pk)),
        "standards": Unit.DeliveryStandard,
        **_permissions(viewer),
    }
    return TemplateResponse(request, "properties/building_detail.html", context)


# Units


def unit_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    project_id = _int_param(request, "project")
    form = UnitFilterForm(
        request.GET or None,
        projects=selectors.project_choices(viewer=viewer),
        buildings=selectors.building_choices(viewer=viewer, project_id=project_id),
        layouts=selectors.unit_layouts(viewer=viewer, project_id=project_id),
    )
    filters = _filters(form)
    project: Project | None = filters.get("project")
    building: Building | None = filters.get("building")
    units = selectors.unit_list(
        viewer=viewer,
        project_id=project.pk if project else None,
        building_id=building.pk if building else None,
        floor=filters.get("floor"),
        layout=filters.get("layout"),
        delivery_standard=filters.get("delivery_standard"),
        q=filters.get("q"),
    )
    context = {
        "form": form,
        "page_obj": Paginator(units, PAGE_SIZE).get_page(request.GET.get("page")),
        "is_filtered": bool(filters),
        **_permissions(viewer),
    }
    return TemplateResponse(request, _rows_or_page(request, "properties/unit_list.html"), context)


def unit_detail(request: PageRequest, unit_id: int) -> HttpResponse:
    viewer = request.membership
    unit = selectors.unit_get(viewer=viewer, unit_id=unit_id)
    context = {"unit": unit, "project": unit.project, "building": unit.building, **_permissions(viewer)}
    return TemplateResponse(request, "properties/unit_detail.html", context)


def unit_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    project_id = _int_param(request, "project")
    form = UnitForm(
        request.POST or None,
        projects=selectors.project_choices(viewer=viewer),
        buildings=selectors.building_choices(viewer=viewer, project_id=project_id),
        refresh_url=reverse("properties:unit_create"),
        initial={"project": project_id, "building": _int_param(request, "building")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=viewer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Unit %(label)s has been created.") % {"label": unit.label})
            return redirect("properties:unit_detail", unit_id=unit.pk)
    return TemplateResponse(request, "properties/unit_form.html", {"form": form, "unit": None})


def unit_edit(request: PageRequest, unit_id: int) -> HttpResponse:
    viewer = request.membership
    unit = selectors.unit_get(viewer=viewer, unit_id=unit_id)
    initial = {name: getattr(unit, name) for name in UnitForm.base_fields if name != "project"}
    form = UnitForm(
        request.POST or None,
        buildings=selectors.building_choices(viewer=viewer, project_id=unit.project_id),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_update(actor=viewer, unit=unit, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Unit %(label)s has been saved.") % {"label": unit.label})
            return redirect("properties:unit_detail", unit_id=unit.pk)
    return TemplateResponse(request, "properties/unit_form.html", {"form": form, "unit": unit})


# Common parts


def commonpart_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = CommonPartFilterForm(
        request.GET or None,
        projects=selectors.project_choices(viewer=viewer),
        buildings=selectors.building_choices(viewer=viewer, project_id=_int_param(request, "project")),
    )
    filters = _filters(form)
    project: Project | None = filters.get("project")
    building: Building | None = filters.get("building")
    parts = selectors.commonpart_list(
        viewer=viewer,
        project_id=project.pk if project else None,
        building_id=building.pk if building else None,
        kind=filters.get("kind"),
    )
    context = {
        "form": form,
        "page_obj": Paginator(parts, PAGE_SIZE).get_page(request.GET.get("page")),
        "is_filtered": bool(filters),
        "project": project,
        **_permissions(viewer),
    }
    return TemplateResponse(request, _rows_or_page(request, "properties/commonpart_list.html"), context)


def _commonpart_saved(request: PageRequest, part: CommonPart, message: str) -> HttpResponse:
    messages.success(request, message % {"name": part.name})
    if part.building_id:
        return redirect("properties:building_detail", building_id=part.building_id)
    return redirect(f"{reverse('properties:commonpart_list')}?project={part.project_id}")


def commonpart_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    project_id = _int_param(request, "project")
    form = CommonPartForm(
        request.POST or None,
        projects=selectors.project_choices(viewer=viewer),
        buildings=selectors.building_choices(viewer=viewer, project_id=project_id),
        refresh_url=reverse("properties:commonpart_create"),
        initial={"project": project_id, "building": _int_param(request, "building")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            part = services.commonpart_create(actor=viewer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            return _commonpart_saved(request, part, _("Common part %(name)s has been created."))
    return TemplateResponse(request, "properties/commonpart_form.html", {"form": form, "part": None})


def commonpart_edit(request: PageRequest, commonpart_id: int) -> HttpResponse:
    viewer = request.membership
    part = selectors.commonpart_get(viewer=viewer, commonpart_id=commonpart_id)
    initial = {name: getattr(part, name) for name in CommonPartForm.base_fields if name != "project"}
    form = CommonPartForm(
        request.POST or None,
        buildings=selectors.building_choices(viewer=viewer, project_id=part.project_id),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            part = services.commonpart_update(actor=viewer, commonpart=part, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            return _commonpart_saved(request, part, _("Common part %(name)s has been saved."))
    return TemplateResponse(request, "properties/commonpart_form.html", {"form": form, "part": part})
