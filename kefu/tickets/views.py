"""Staff pages of customer voices: the list, logging a voice, the ticket page's presence strip
and its photos. The ticket page and its actions live in kefu.tickets.detail_views, the settings
pages in kefu.tickets.settings_views. Selectors read, services write."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error, int_param, valid_filters
from kefu.core.permissions import can
from kefu.customers import selectors as customer_selectors
from kefu.customers.identity import mask_mobile
from kefu.customers.models import ContactMethod, Customer
from kefu.orgs.models import Membership
from kefu.properties import selectors as property_selectors
from kefu.properties.models import Project, Unit
from kefu.standards.models import RequestKind
from kefu.standards.selectors import category_list
from kefu.tickets import selectors, services
from kefu.tickets.forms import TicketCreateForm, TicketFilterForm
from kefu.tickets.models import Ticket

PAGE_SIZE = 50
CUSTOMER_RESULTS = 8
UNIT_RESULTS = 30
RECENT_TICKETS = 5


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def detail_redirect(ticket: Ticket) -> HttpResponse:
    return redirect("tickets:ticket_detail", ticket_id=ticket.pk)


# SLA clocks as the pages show them


@dataclass(frozen=True)
class Clock:
    """One promise on screen: its due time, a state (for the badge colour) and a short text."""

    due_at: datetime | None
    state: str  # none · paused · met · breached · overdue · soon · running
    text: str

    @property
    def css(self) -> str:
        return {
            "breached": "bg-red text-red-fg",
            "overdue": "bg-red text-red-fg",
            "soon": "bg-orange text-orange-fg",
            "paused": "bg-secondary-lt",
            "met": "bg-green-lt",
            "running": "bg-blue-lt",
        }.get(self.state, "bg-secondary-lt")


def _countdown(due: datetime, now: datetime, *, breached: bool) -> Clock:
    if due <= now:
        return Clock(due, "overdue", _("%(time)s overdue") % {"time": timesince(due, now, depth=1)})
    soon = due - now < selectors.DUE_SOON
    text = _("due in %(time)s") % {"time": timeuntil(due, now, depth=2 if soon else 1)}
    if breached:
        return Clock(due, "breached", text)
    return Clock(due, "soon" if soon else "running", text)


def resolution_clock(ticket: Ticket, now: datetime) -> Clock:
    due = ticket.resolution_due_at
    if due is None:
        return Clock(None, "none", _("No time promised"))
    if ticket.status in Ticket.OPEN_STATUSES:
        if ticket.is_paused:
            return Clock(due, "paused", _("Paused: waiting for the customer"))
        return _countdown(due, now, breached=bool(ticket.resolution_breached_at))
    if ticket.resolution_breached_at:
        return Clock(due, "breached", _("Resolved late"))
    return Clock(due, "met", _("Resolved in time"))


def first_response_clock(ticket: Ticket, now: datetime) -> Clock:
    due = ticket.first_response_due_at
    if ticket.first_responded_at is not None:
        if ticket.first_response_breached_at:
            return Clock(due, "breached", _("Answered late"))
        return Clock(due, "met", _("Answered in time"))
    if due is None:
        return Clock(None, "none", _("No time promised"))
    if ticket.status not in Ticket.OPEN_STATUSES:
        return Clock(due, "none", "—")
    if ticket.is_paused:
        return Clock(due, "paused", _("Paused: waiting for the customer"))
    return _countdown(due, now, breached=bool(ticket.first_response_breached_at))


# The list


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ticket_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = TicketFilterForm(
        request.GET or None,
        projects=property_selectors.project_choices(viewer=viewer),
        staff=selectors.assignee_choices(viewer=viewer),
    )
    filters = valid_filters(form)
    sort = filters.pop("sort", "-received")
    project: Project | None = filters.get("project")
    assignee: Membership | None = filters.get("assignee")
    received_from: date | None = filters.get("received_from")
    received_to: date | None = filters.get("received_to")
    now = timezone.now()
    tickets = selectors.ticket_list(
        viewer=viewer,
        status=filters.get("status"),
        kind=filters.get("kind"),
        severity=filters.get("severity"),
        channel=filters.get("channel"),
        project_id=project.pk if project else None,
        assignee_id=assignee.pk if assignee else None,
        mine=bool(filters.get("mine")),
        breached=bool(filters.get("breached")),
        due_soon=bool(filters.get("due_soon")),
        waiting=bool(filters.get("waiting")),
        received_from=_day_start(received_from) if received_from else None,
        received_to=_day_start(received_to + timedelta(days=1)) if received_to else None,
        q=filters.get("q"),
        sort=sort,
        now=now,
    )
    page_obj = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    for ticket in page_obj:
        ticket.clock = resolution_clock(ticket, now)
    context = {
        "form": form,
        "page_obj": page_obj,
        "sort": sort,
        "is_filtered": any(value for value in filters.values()),
        "can_create": can(viewer, "tickets.create"),
        "can_manage_settings": can(viewer, "tickets.manage_settings"),
    }
    template = "tickets/ticket_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


# Logging a voice


def _customer_from(request: PageRequest) -> Customer | None:
    """The chosen customer: the form's hidden field, or ?customer_id= from the ledger page."""
    source = request.POST if request.method == "POST" else request.GET
    raw = source.get("customer") or source.get("customer_id")
    try:
        customer_id = int(raw) if raw else None
    except ValueError:
        return None
    if customer_id is None:
        return None
    return customer_selectors.customer_list(viewer=request.membership).filter(pk=customer_id).first()


def _primary_mobile(viewer: Membership, customer: Customer) -> str:
    mobiles = [
        c
        for c in customer_selectors.contact_list(viewer=viewer, customer=customer)
        if c.kind == ContactMethod.Kind.MOBILE
    ]
    mobiles.sort(key=lambda c: (not c.is_primary, c.pk))
    return mask_mobile(mobiles[0].value) if mobiles else ""


def _found_customers(viewer: Membership, q: str) -> list[Customer]:
    if not q.strip():
        return []
    customers = list(customer_selectors.customer_list(viewer=viewer, q=q)[:CUSTOMER_RESULTS])
    for customer in customers:
        customer.mobile_masked = mask_mobile(customer.primary_mobile) if customer.primary_mobile else ""
    return customers


def _customer_results(request: PageRequest, q: str) -> HttpResponse:
    context = {
        "customers": _found_customers(request.membership, q),
        "q": q.strip(),
        "create_url": reverse("tickets:ticket_create"),
    }
    return TemplateResponse(request, "tickets/ticket_form.html#customer_results", context)


def _create_form(request: PageRequest, customer: Customer | None) -> TicketCreateForm:
    viewer = request.membership
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind") or RequestKind.COMPLAINT
    offered: list[Unit] = []
    if customer is not None:
        offered = [h.unit for h in customer_selectors.household_list(viewer=viewer, customer=customer)]
    unit_q = (source.get("unit_q") or "").strip()
    found: list[Unit] = []
    if unit_q:
        found = list(property_selectors.unit_list(viewer=viewer, q=unit_q)[:UNIT_RESULTS])
    chosen_unit = int_param(request, "unit")
    if chosen_unit and chosen_unit not in {u.pk for u in offered + found}:
        # Keep a unit chosen from an earlier search selectable when the form comes back with errors.
        found += list(property_selectors.unit_list(viewer=viewer).filter(pk=chosen_unit))
    initial: dict[str, Any] = {"customer": customer.pk if customer else None, "kind": kind}
    if customer is not None and len(offered) == 1:
        initial["unit"] = offered[0].pk
    for name in ("channel", "severity", "title", "description", "category", "unit"):
        if source.get(name):
            initial[name] = source.get(name)
    return TicketCreateForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        customers=customer_selectors.customer_list(viewer=viewer),
        units=property_selectors.unit_list(viewer=viewer),
        offered_units=offered,
        found_units=found,
        categories=category_list(viewer=viewer, kind=kind, active_only=True).order_by("name", "id"),
        staff=selectors.assignee_choices(viewer=viewer),
        teams=selectors.team_choices(viewer=viewer),
        refresh_url=reverse("tickets:ticket_create"),
        initial=initial,
    )


def ticket_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    if request.htmx and request.method == "GET" and "customer_q" in request.GET:
        return _customer_results(request, request.GET["customer_q"])
    customer = _customer_from(request)
    form = _create_form(request, customer)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos = data.pop("attachments")
        try:
            ticket = services.ticket_create(actor=viewer, attachments=photos, **data)
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            due = ticket.resolution_due_at
            if due is not None:
                message = _("Ticket %(number)s has been logged. Resolution is due by %(due)s.") % {
                    "number": ticket.number,
                    "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                }
            else:
                message = _("Ticket %(number)s has been logged. No service standard applies, so no time is due.") % {
                    "number": ticket.number
                }
            messages.success(request, message)
            return detail_redirect(ticket)
    source = request.POST if request.method == "POST" else request.GET
    customer_q = source.get("customer_q", "").strip()
    context = {
        "form": form,
        "customer": customer,
        "customer_mobile": _primary_mobile(viewer, customer) if customer else "",
        "unit_q": source.get("unit_q", ""),
        # Without JavaScript the customer search comes back with the form: show its results there.
        "customer_q": customer_q,
        "q": customer_q,
        "customers": _found_customers(viewer, customer_q) if customer is None and customer_q else [],
        "create_url": reverse("tickets:ticket_create"),
    }
    return TemplateResponse(request, "tickets/ticket_form.html", context)


# Around the ticket page


@require_POST
def presence(request: PageRequest, ticket_id: int) -> HttpResponse:
    """Polled by the ticket page: "I am here (and typing)"; answers with who else is."""
    viewer = request.membership
    ticket = selectors.ticket_get(viewer=viewer, ticket_id=ticket_id)
    services.presence_touch(actor=viewer, ticket=ticket, is_replying=request.POST.get("replying") == "1")
    others = list(selectors.presence_others(viewer=viewer, ticket=ticket))
    return TemplateResponse(request, "tickets/presence.html", {"others": others, "ticket": ticket})


def attachment(request: PageRequest, attachment_id: int) -> HttpResponse:
    """A ticket photo, only for those who may see its ticket: never a public media URL."""
    photo = selectors.attachment_get(viewer=request.membership, attachment_id=attachment_id)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def customer_tickets(viewer: Membership, customer: Customer, exclude: Ticket) -> list[Ticket]:
    """The customer's latest other voices, for the customer card on the ticket page."""
    return list(selectors.ticket_list(viewer=viewer, customer_id=customer.pk).exclude(pk=exclude.pk)[:RECENT_TICKETS])


def customer_card(viewer: Membership, ticket: Ticket) -> dict[str, Any]:
    return {
        "customer_mobile": _primary_mobile(viewer, ticket.customer),
        "customer_tickets": customer_tickets(viewer, ticket.customer, ticket),
    }
