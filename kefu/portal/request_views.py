"""The customer's requests: list, submit, follow, and answer the resolution."""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.errors import KefuError
from kefu.portal import selectors, submissions
from kefu.portal.auth import PortalRequest, portal_login_required
from kefu.portal.forms import FeedbackForm, RequestForm
from kefu.tickets.models import Ticket


def _new_key() -> str:
    return secrets.token_urlsafe(24)


@portal_login_required
def request_list(request: PortalRequest) -> HttpResponseBase:
    customer = request.customer
    context = {"requests": selectors.request_list(customer=customer)}
    return TemplateResponse(request, "portal/request_list.html", context)


@portal_login_required
@require_http_methods(["GET", "POST"])
def request_new(request: PortalRequest) -> HttpResponseBase:
    customer = request.customer
    # The Idempotency-Key: generated once per drawn form, sent back with it (a header wins).
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and request.headers.get("Idempotency-Key"):
        data["key"] = request.headers["Idempotency-Key"]
    form = RequestForm(data, request.FILES or None, customer=customer, initial={"key": _new_key()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                submitted = submissions.request_submit(
                    customer=customer,
                    unit=form.cleaned_data["unit"],
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                    photos=form.cleaned_data["photos"],
                    key=form.cleaned_data["key"],
                )
            except KefuError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                return HttpResponseRedirect(reverse("portal:request_detail", kwargs={"ticket_id": submitted.ticket.pk}))
    has_units = selectors.unit_choices(customer=customer).exists()
    return TemplateResponse(request, "portal/request_form.html", {"form": form, "has_units": has_units}, status=status)


def _detail(request: HttpRequest, ticket: Ticket, form: FeedbackForm | None, status: int = 200) -> TemplateResponse:
    context = {
        "ticket": ticket,
        "events": selectors.request_events(ticket=ticket),
        "text_kinds": selectors.CUSTOMER_TEXT_KINDS,
        "feedback_form": form if form is not None else FeedbackForm(),
        "awaits_answer": ticket.status == Ticket.Status.RESOLVED,
    }
    return TemplateResponse(request, "portal/request_detail.html", context, status=status)


@portal_login_required
def request_detail(request: PortalRequest, ticket_id: int) -> HttpResponseBase:
    customer = request.customer
    ticket = selectors.request_get(customer=customer, ticket_id=ticket_id)
    return _detail(request, ticket, None)


@portal_login_required
@require_POST
def request_feedback(request: PortalRequest, ticket_id: int) -> HttpResponseBase:
    customer = request.customer
    ticket = selectors.request_get(customer=customer, ticket_id=ticket_id)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, form, status=400)
    try:
        submissions.request_feedback(
            customer=customer,
            ticket=ticket,
            resolved=form.cleaned_data["resolved"],
            satisfaction=form.cleaned_data["satisfaction"],
            comment=form.cleaned_data["comment"],
        )
    except KefuError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _detail(request, ticket, form, status=error.status)
    return HttpResponseRedirect(reverse("portal:request_detail", kwargs={"ticket_id": ticket.pk}))
