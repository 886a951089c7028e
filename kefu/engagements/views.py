"""Staff pages of client commissions 委托: the list, and opening and editing a commission. Its page
and actions are in kefu.engagements.detail_views, the types in type_views, the reports in
report_views. Selectors read, kefu.engagements.services writes."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from kefu.core.pages import run_service, valid_filters
from kefu.core.permissions import can
from kefu.customers import selectors as customer_selectors
from kefu.customers.models import Customer
from kefu.engagements import selectors, services
from kefu.engagements.forms import (
    CommissionFilterForm,
    CommissionForm,
)
from kefu.engagements.models import Commission
from kefu.orgs.models import Membership
from kefu.orgs.selectors import staff_list
from kefu.properties.selectors import project_choices

PAGE_SIZE = 50
CUSTOMER_RESULTS = 8


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def staff_choices(viewer: Membership) -> Any:
    # A select box needs names and units, not the roles the staff list prefetches.
    return staff_list(viewer=viewer, is_active=True).prefetch_related(None).select_related("unit")


def _customers(viewer: Membership) -> Any:
    return customer_selectors.customer_list(viewer=viewer).prefetch_related(None)


# The list


def commission_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = CommissionFilterForm(
        request.GET or None, types=selectors.commission_type_list(viewer), staff=staff_choices(viewer)
    )
    filters = valid_filters(form)
    type_, manager = filters.get("type"), filters.get("manager")
    rows = selectors.commission_list(
        viewer,
        status=filters.get("status", ""),
        type_id=type_.pk if type_ is not None else None,
        manager_id=manager.pk if manager is not None else None,
        query=filters.get("q", ""),
        late_only=bool(filters.get("late")),
    )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "can_work": can(viewer, "engagements.work"),
        "mine_url_query": f"manager={viewer.pk}",
    }
    template = "engagements/commission_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


# Opening and editing a commission


def _picked(request: PageRequest, viewer: Membership, name: str) -> list[Customer]:
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(v) for v in source.getlist(name) if v.isdigit()]
    return list(_customers(viewer).filter(pk__in=ids)) if ids else []


def _found(viewer: Membership, q: str) -> list[Customer]:
    q = q.strip()
    return list(customer_selectors.customer_list(viewer=viewer, q=q)[:CUSTOMER_RESULTS]) if q else []


def _queries(request: PageRequest) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    return {"client_q": source.get("client_q", "").strip(), "contact_q": source.get("contact_q", "").strip()}


def _customer_results(request: PageRequest, form: CommissionForm, target: str) -> HttpResponse:
    """The picker's search results: radio buttons for the client, checkboxes for the contacts."""
    context = {"form": form, "target": target, **_queries(request)}
    return TemplateResponse(request, "engagements/commission_form.html#customer_results", context)


def _commission_form(
    request: PageRequest,
    viewer: Membership,
    *,
    commission: Commission | None = None,
    initial: dict[str, Any] | None = None,
) -> CommissionForm:
    source = request.POST if request.method == "POST" else request.GET
    client_q, contact_q = source.get("client_q", ""), source.get("contact_q", "")
    clients = _picked(request, viewer, "client") + _found(viewer, client_q)
    contacts = _picked(request, viewer, "contacts") + _found(viewer, contact_q)
    if commission is not None:
        contacts = list(commission.contacts.all()) + contacts
    elif clients and clients[0].kind == Customer.Kind.PERSON and request.method == "POST":
        contacts = [clients[0], *contacts]
    return CommissionForm(
        request.POST or None,
        types=selectors.types_for_unit(viewer),
        customers=_customers(viewer),
        offered_clients=list({c.pk: c for c in clients}.values()),
        offered_contacts=list({c.pk: c for c in contacts}.values()),
        staff=staff_choices(viewer),
        projects=project_choices(viewer=viewer),
        editing=commission is not None,
        initial=initial,
    )


def commission_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    if not can(viewer, "engagements.work"):
        raise PermissionDenied
    form = _commission_form(request, viewer, initial={"manager": viewer.pk, "client_key": uuid.uuid4().hex})
    if request.htmx and request.method == "GET" and request.GET.get("picker") in ("client", "contacts"):
        return _customer_results(request, form, request.GET["picker"])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        commission = run_service(
            form,
            lambda: services.commission_create(
                actor=viewer,
                unit=viewer.unit,
                type_=data["type"],
                client=data["client"],
                title=data["title"],
                manager=data["manager"],
                starts_on=data["starts_on"],
                purpose=data["purpose"],
                core_need=data["core_need"],
                core_need_confirmed_on=data["core_need_confirmed_on"],
                members=list(data["members"]),
                contacts=list(data["contacts"]),
                due_on=data["due_on"],
                fee_amount=data["fee_amount"],
                project=data["project"],
                client_key=data["client_key"],
            ),
        )
        if commission is not None:
            messages.success(
                request,
                _("Commission %(number)s is open; its nodes are planned from the type %(type)s.")
                % {"number": commission.number, "type": commission.type.name},
            )
            return redirect("engagements:commission_detail", commission_id=commission.pk)
    context = {"form": form, "commission": None, "url": reverse("engagements:commission_create"), **_queries(request)}
    return TemplateResponse(request, "engagements/commission_form.html", context, status=_status(request, form))


def _status(request: HttpRequest, form: Any) -> int:
    return 400 if request.method == "POST" and form.errors else 200


def commission_edit(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    initial = {
        "title": commission.title,
        "purpose": commission.purpose,
        "core_need": commission.core_need,
        "core_need_confirmed_on": commission.core_need_confirmed_on,
        "manager": commission.manager_id,
        "members": [m.pk for m in commission.members.all()],
        "contacts": [c.pk for c in commission.contacts.all()],
        "due_on": commission.due_on,
        "fee_amount": commission.fee_amount,
        "project": commission.project_id,
    }
    form = _commission_form(request, viewer, commission=commission, initial=initial)
    if request.htmx and request.method == "GET" and request.GET.get("picker") == "contacts":
        return _customer_results(request, form, "contacts")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        members, contacts = list(data.pop("members")), list(data.pop("contacts"))
        saved = run_service(
            form,
            lambda: services.commission_update(
                actor=viewer, commission=commission, members=members, contacts=contacts, **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Commission %(number)s has been saved.") % {"number": saved.number})
            return redirect("engagements:commission_detail", commission_id=commission.pk)
    context = {
        "form": form,
        "commission": commission,
        "url": reverse("engagements:commission_edit", kwargs={"commission_id": commission.pk}),
        **_queries(request),
    }
    return TemplateResponse(request, "engagements/commission_form.html", context, status=_status(request, form))
