"""Staff pages of the commission types: the list, and a type's milestone nodes and follow-up
tasks edited as rows (kefu.engagements.services validates them and names the row at fault)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import add_service_error
from kefu.core.permissions import can
from kefu.engagements import selectors, services
from kefu.engagements.forms import FollowUpTemplateFormSet, NodeTemplateFormSet, TypeForm
from kefu.engagements.models import CommissionType
from kefu.engagements.views import PageRequest


def type_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    rows = list(selectors.commission_type_list(viewer))
    for row in rows:
        row.is_own = row.organisation.path.startswith(viewer.unit.path)  # type: ignore[attr-defined]
    context = {"rows": rows, "can_manage": can(viewer, "engagements.manage_types")}
    return TemplateResponse(request, "engagements/type_list.html", context)


def _row_field(formsets: dict[str, Any], rows: dict[str, list[int]]) -> Callable[[KefuError], bool]:
    """Put a service's error on "nodes.2.name" onto the second kept row's `name` field."""

    def place(exc: KefuError) -> bool:
        parts = (exc.field or "").split(".")
        if parts[0] not in formsets:
            return False
        formset = formsets[parts[0]]
        if len(parts) == 3 and parts[1].isdigit() and 0 < int(parts[1]) <= len(rows[parts[0]]):
            form = formset.forms[rows[parts[0]][int(parts[1]) - 1]]
            form.add_error(parts[2] if parts[2] in form.fields else None, exc.message)
        else:
            formset._non_form_errors = formset.error_class([exc.message])
        return True

    return place


def _type_page(
    request: PageRequest,
    *,
    type_: CommissionType | None,
    form: TypeForm,
    nodes: Any,
    follow_ups: Any,
) -> HttpResponse:
    viewer = request.membership
    if not can(viewer, "engagements.manage_types"):
        raise PermissionDenied
    if request.method == "POST" and form.is_valid() and nodes.is_valid() and follow_ups.is_valid():
        data = form.cleaned_data
        node_rows, follow_rows = nodes.rows(), follow_ups.rows()
        rows = {"nodes": [i for i, _d in node_rows], "follow_ups": [i for i, _d in follow_rows]}
        arguments = {
            "actor": viewer,
            "name": data["name"],
            "description": data["description"],
            "strict_order": data["strict_order"],
            "nodes": [d for _i, d in node_rows],
            "follow_ups": [d for _i, d in follow_rows],
        }
        try:
            if type_ is None:
                saved = services.commission_type_create(unit=viewer.unit, **arguments)
            else:
                saved = services.commission_type_update(type_=type_, is_active=data["is_active"], **arguments)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except KefuError as exc:
            if not _row_field({"nodes": nodes, "follow_ups": follow_ups}, rows)(exc):
                add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("The commission type %(name)s has been saved; commissions opened from now on follow it.")
                % {"name": saved.name},
            )
            return redirect("engagements:type_list")
    if request.method == "POST":
        messages.error(request, _("Nothing was saved; see the form below."))
    context = {"type": type_, "form": form, "nodes": nodes, "follow_ups": follow_ups}
    has_errors = bool(form.errors or nodes.total_error_count() or follow_ups.total_error_count())
    status = 400 if request.method == "POST" and has_errors else 200
    return TemplateResponse(request, "engagements/type_form.html", context, status=status)


def type_create(request: PageRequest) -> HttpResponse:
    data = request.POST or None
    return _type_page(
        request,
        type_=None,
        form=TypeForm(data),
        nodes=NodeTemplateFormSet(data, prefix="node"),
        follow_ups=FollowUpTemplateFormSet(data, prefix="follow"),
    )


def type_edit(request: PageRequest, commission_type_id: int) -> HttpResponse:
    viewer = request.membership
    type_ = selectors.commission_type_get(viewer, pk=commission_type_id)
    if not type_.organisation.path.startswith(viewer.unit.path):
        # A type lent by a unit above is read here, changed there.
        raise PermissionDenied
    node_rows, follow_rows = services.template_dicts(type_)
    data = request.POST or None
    return _type_page(
        request,
        type_=type_,
        form=TypeForm(
            data,
            editing=True,
            initial={
                "name": type_.name,
                "description": type_.description,
                "strict_order": type_.strict_order,
                "is_active": type_.is_active,
            },
        ),
        nodes=NodeTemplateFormSet(data, prefix="node", initial=node_rows),
        follow_ups=FollowUpTemplateFormSet(data, prefix="follow", initial=follow_rows),
    )
