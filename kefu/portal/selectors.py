"""What a signed-in customer may read: their households, their requests and what staff told them.

Every query starts from the customer; another customer's row is simply not found (404), the same
answer as a row that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.core.scoping import one_or_404
from kefu.customers.models import Customer, Household
from kefu.properties.models import Unit
from kefu.surveys.models import Invitation, Response
from kefu.tickets.models import Ticket, TicketEvent

# What a customer sees of a ticket's history: its replies and its changes of status. Internal
# notes, assignments, transfers, SLA warnings and escalations are for staff only.
CUSTOMER_EVENT_KINDS = (
    TicketEvent.Kind.CREATED,
    TicketEvent.Kind.REPLY,
    TicketEvent.Kind.PAUSED,
    TicketEvent.Kind.RESUMED,
    TicketEvent.Kind.RESOLVED,
    TicketEvent.Kind.REVISITED,
    TicketEvent.Kind.CLOSED,
    TicketEvent.Kind.REOPENED,
)
# Of those, the kinds whose text was written for the customer.
CUSTOMER_TEXT_KINDS = (TicketEvent.Kind.REPLY, TicketEvent.Kind.RESOLVED)


def household_list(*, customer: Customer) -> QuerySet[Household]:
    return Household.objects.filter(customer=customer).select_related(
        "unit", "unit__project", "unit__building", "unit__organisation"
    )


def unit_choices(*, customer: Customer) -> QuerySet[Unit]:
    """The units a customer may submit a request about: those of their households."""
    return (
        Unit.objects.filter(households__customer=customer)
        .select_related("project", "organisation")
        .order_by("project__name", "label")
        .distinct()
    )


def _customer_tickets(customer: Customer) -> QuerySet[Ticket]:
    """The customer's own requests; one merged into another is reached through the one it joined."""
    return Ticket.objects.filter(customer=customer).exclude(status=Ticket.Status.MERGED)


def request_list(*, customer: Customer, is_open: bool | None = None) -> QuerySet[Ticket]:
    """The customer's requests, newest first; `is_open`: only those still being handled or
    waiting for the customer's answer (True) or only finished ones (False)."""
    tickets = _customer_tickets(customer)
    active = (*Ticket.OPEN_STATUSES, Ticket.Status.RESOLVED)
    if is_open is True:
        tickets = tickets.filter(status__in=active)
    elif is_open is False:
        tickets = tickets.exclude(status__in=active)
    return tickets.select_related("unit", "project").order_by("-received_at", "-id")


def request_get(*, customer: Customer, ticket_id: int) -> Ticket:
    return one_or_404(_customer_tickets(customer).select_related("unit", "project"), pk=ticket_id)


def request_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket, kind__in=CUSTOMER_EVENT_KINDS).order_by("created_at", "id")


def survey_is_submitted(*, invitation: Invitation) -> bool:
    return Response.objects.filter(invitation=invitation, submitted_at__isnull=False).exists()
