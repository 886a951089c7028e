"""Staff pages for the organisation tree and staff administration.

Reads go through kefu.orgs.selectors (scoped to the viewer), writes through kefu.orgs.services
(which check permissions). Who may open which page is in kefu/orgs/access.py.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from kefu.accounts.selectors import security_event_list
from kefu.core.errors import KefuError
from kefu.core.pages import int_param as _int_param
from kefu.core.permissions import can
from kefu.orgs import selectors, services
from kefu.orgs.forms import PasswordResetForm, StaffFilterForm, StaffForm, UnitForm
from kefu.orgs.models import Membership, OrgUnit

PAGE_SIZE = 50
DETAIL_STAFF_LIMIT = 50
RECENT_EVENTS = 10
# The kind a new unit most likely has, given its parent's; only a starting value for the form.
CHILD_KIND = {
    OrgUnit.Kind.GROUP: OrgUnit.Kind.CITY_COMPANY,
    OrgUnit.Kind.CITY_COMPANY: OrgUnit.Kind.PROJECT_TEAM,
    OrgUnit.Kind.PROJECT_TEAM: OrgUnit.Kind.DEPARTMENT,
    OrgUnit.Kind.DEPARTMENT: OrgUnit.Kind.DEPARTMENT,
    OrgUnit.Kind.CONSULTANCY: OrgUnit.Kind.DEPARTMENT,
}
# Deeper levels share the last indent class; kefu.css defines kefu-tree-indent-1 .. -8.
MAX_INDENT = 8


class OrgsRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


@dataclass(frozen=True)
class TreeRow:
    unit: OrgUnit
    indent: int


def _url_with(name: str, **params: object) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _is_partial(request: OrgsRequest) -> bool:
    # A history-restore request wants the whole page, even though it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _show_error(form: forms.Form, exc: KefuError) -> None:
    """A service error goes on the field it names, or above the form when it names none."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# Units


def unit_list(request: OrgsRequest) -> HttpResponse:
    viewer = request.membership
    units = selectors.unit_list(viewer=viewer)
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    base = viewer.unit.depth
    rows = [TreeRow(unit=unit, indent=min(max(unit.depth - base, 0), MAX_INDENT)) for unit in page]
    context = {"page_obj": page, "rows": rows, "can_manage": can(viewer, "orgs.manage_units")}
    return TemplateResponse(request, "orgs/unit_list.html", context)


def unit_detail(request: OrgsRequest, orgunit_id: int) -> HttpResponse:
    viewer = request.membership
    unit = selectors.unit_get(viewer=viewer, unit_id=orgunit_id)
    staff = selectors.staff_list(viewer=viewer, unit_id=unit.pk, include_descendants=False)
    context = {
        "unit": unit,
        "parent_visible": unit.parent is not None and unit.parent.is_descendant_of(viewer.unit),
        "children": selectors.unit_list(viewer=viewer, parent_id=unit.pk),
        "staff": staff[:DETAIL_STAFF_LIMIT],
        "staff_limit": DETAIL_STAFF_LIMIT,
        "can_manage": can(viewer, "orgs.manage_units"),
        "can_manage_staff": can(viewer, "orgs.manage_staff"),
        "add_subunit_url": _url_with("orgs:unit_create", parent=unit.pk),
        "add_staff_url": _url_with("orgs:staff_create", unit=unit.pk),
        "all_staff_url": _url_with("orgs:staff_list", unit=unit.pk),
    }
    return TemplateResponse(request, "orgs/unit_detail.html", context)


@require_http_methods(["GET", "POST"])
def unit_create(request: OrgsRequest) -> HttpResponse:
    viewer = request.membership
    parents = selectors.unit_choices(viewer=viewer)
    parent = parents.filter(pk=_int_param(request, "parent") or viewer.unit.pk).first()
    initial = {
        "parent": parent.pk if parent else None,
        "kind": CHILD_KIND.get(parent.kind) if parent else None,
        "timezone": parent.timezone if parent else viewer.unit.timezone,
    }
    form = UnitForm(
        request.POST or None,
        initial=initial,
        parents=parents,
        base_depth=viewer.unit.depth,
    )
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(
                actor=viewer,
                parent=data["parent"],
                name=data["name"],
                code=data["code"],
                kind=data["kind"],
                timezone=data["timezone"],
            )
        except KefuError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The unit %(name)s has been created.") % {"name": unit.name})
            return redirect("orgs:unit_detail", orgunit_id=unit.pk)
    return TemplateResponse(request, "orgs/unit_form.html", context)


@require_http_methods(["GET", "POST"])
def unit_edit(request: OrgsRequest, orgunit_id: int) -> HttpResponse:
    viewer = request.membership
    unit = selectors.unit_get(viewer=viewer, unit_id=orgunit_id)
    is_scope_top = unit.pk == viewer.unit.pk
    parents = (
        None if is_scope_top else selectors.unit_choices(viewer=viewer, also_id=unit.parent_id, exclude_subtree_of=unit)
    )
    initial = {
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "timezone": unit.timezone,
        "parent": unit.parent_id,
    }
    form = UnitForm(
        request.POST or None,
        initial=initial,
        parents=parents,
        base_depth=viewer.unit.depth,
        current_timezone=unit.timezone,
    )
    context = {"form": form, "unit": unit}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_update(
                actor=viewer,
                unit=unit,
                name=data["name"],
                code=data["code"],
                kind=data["kind"],
                timezone=data["timezone"],
                parent=data.get("parent"),
            )
        except KefuError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The unit %(name)s has been saved.") % {"name": unit.name})
            return redirect("orgs:unit_detail", orgunit_id=unit.pk)
    return TemplateResponse(request, "orgs/unit_form.html", context)


def _unit_set_active(request: OrgsRequest, orgunit_id: int, *, is_active: bool) -> HttpResponse:
    viewer = request.membership
    unit = selectors.unit_get(viewer=viewer, unit_id=orgunit_id)
    try:
        unit = services.unit_set_active(actor=viewer, unit=unit, is_active=is_active)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        if is_active:
            messages.success(request, _("The unit %(name)s is active again.") % {"name": unit.name})
        else:
            messages.success(request, _("The unit %(name)s has been deactivated.") % {"name": unit.name})
    return redirect("orgs:unit_detail", orgunit_id=unit.pk)


@require_POST
def unit_deactivate(request: OrgsRequest, orgunit_id: int) -> HttpResponse:
    return _unit_set_active(request, orgunit_id, is_active=False)


@require_POST
def unit_activate(request: OrgsRequest, orgunit_id: int) -> HttpResponse:
    return _unit_set_active(request, orgunit_id, is_active=True)


# Staff


def staff_list(request: OrgsRequest) -> HttpResponse:
    viewer = request.membership
    form = StaffFilterForm(
        request.GET or None, units=selectors.unit_choices(viewer=viewer), base_depth=viewer.unit.depth
    )
    filters = form.filters()
    staff = selectors.staff_list(viewer=viewer, **filters)
    page = Paginator(staff, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "is_filtered": any(value is not None for value in filters.values()),
        "can_manage": can(viewer, "orgs.manage_staff"),
    }
    template = "orgs/staff_list.html#rows" if _is_partial(request) else "orgs/staff_list.html"
    return TemplateResponse(request, template, context)


def staff_detail(request: OrgsRequest, staff_id: int) -> HttpResponse:
    viewer = request.membership
    membership = selectors.staff_get(viewer=viewer, membership_id=staff_id)
    can_see_events = can(viewer, "accounts.view_security_log")
    events = security_event_list(viewer=viewer, user_id=membership.user_id)[:RECENT_EVENTS] if can_see_events else None
    context = {
        "member": membership,
        "events": events,
        "is_self": membership.pk == viewer.pk,
        "can_manage": can(viewer, "orgs.manage_staff"),
    }
    return TemplateResponse(request, "orgs/staff_detail.html", context)


@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def staff_create(request: OrgsRequest) -> HttpResponse:
    viewer = request.membership
    form = StaffForm(
        request.POST or None,
        initial={"unit": _int_param(request, "unit") or viewer.unit.pk},
        units=selectors.unit_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        creating=True,
    )
    context = {"form": form, "password_rules": password_validators_help_texts()}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.staff_create(
                actor=viewer,
                unit=data["unit"],
                username=data["username"],
                name=data["name"],
                password=data["password"],
                roles=data["roles"],
                title=data["title"],
                mobile=data["mobile"],
                employee_no=data["employee_no"],
                wecom_userid=data["wecom_userid"],
            )
        except KefuError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The account of %(name)s has been created.") % {"name": membership.name})
            return redirect("orgs:staff_detail", staff_id=membership.pk)
    return TemplateResponse(request, "orgs/staff_form.html", context)


@require_http_methods(["GET", "POST"])
def staff_edit(request: OrgsRequest, staff_id: int) -> HttpResponse:
    viewer = request.membership
    membership = selectors.staff_get(viewer=viewer, membership_id=staff_id)
    initial = {
        "name": membership.name,
        "unit": membership.unit_id,
        "roles": sorted(membership.role_set),
        "title": membership.title,
        "mobile": membership.mobile,
        "employee_no": membership.employee_no,
        "wecom_userid": membership.wecom_userid,
    }
    form = StaffForm(
        request.POST or None,
        initial=initial,
        units=selectors.unit_choices(viewer=viewer, also_id=membership.unit_id),
        base_depth=viewer.unit.depth,
        creating=False,
    )
    context = {"form": form, "member": membership}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.staff_update(
                actor=viewer,
                membership=membership,
                unit=data["unit"],
                name=data["name"],
                roles=data["roles"],
                title=data["title"],
                mobile=data["mobile"],
                employee_no=data["employee_no"],
                wecom_userid=data["wecom_userid"],
            )
        except KefuError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": membership.name})
            return redirect("orgs:staff_detail", staff_id=membership.pk)
    return TemplateResponse(request, "orgs/staff_form.html", context)


def _staff_set_active(request: OrgsRequest, staff_id: int, *, is_active: bool) -> HttpResponse:
    viewer = request.membership
    membership = selectors.staff_get(viewer=viewer, membership_id=staff_id)
    try:
        services.staff_set_active(actor=viewer, membership=membership, is_active=is_active)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        if is_active:
            messages.success(request, _("%(name)s can sign in again.") % {"name": membership.name})
        else:
            messages.success(
                request,
                _("The account of %(name)s has been disabled and signed out everywhere.") % {"name": membership.name},
            )
    return redirect("orgs:staff_detail", staff_id=membership.pk)


@require_POST
def staff_disable(request: OrgsRequest, staff_id: int) -> HttpResponse:
    return _staff_set_active(request, staff_id, is_active=False)


@require_POST
def staff_enable(request: OrgsRequest, staff_id: int) -> HttpResponse:
    return _staff_set_active(request, staff_id, is_active=True)


@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def staff_reset_password(request: OrgsRequest, staff_id: int) -> HttpResponse:
    viewer = request.membership
    membership = selectors.staff_get(viewer=viewer, membership_id=staff_id)
    form = PasswordResetForm(request.POST or None)
    context = {"form": form, "member": membership, "password_rules": password_validators_help_texts()}
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_reset_password(actor=viewer, membership=membership, password=form.cleaned_data["password"])
        except KefuError as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request,
                _("The password of %(name)s has been reset and their sessions have been signed out.")
                % {"name": membership.name},
            )
            return redirect("orgs:staff_detail", staff_id=membership.pk)
    return TemplateResponse(request, "orgs/staff_reset_password.html", context)
