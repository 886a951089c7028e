"""What the customer voice tells people, through the notifications outbox.

Called by the ticket services and the SLA scan inside their transactions, so a rolled-back action
sends nothing; each message's source key is the ticket event's own identity, so a repeated call
(a retry, the scan running twice) never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from kefu.core.texts import stored_text
from kefu.notifications.models import Channel as MessageChannel
from kefu.notifications.services import notify, notify_staff
from kefu.orgs.models import Membership
from kefu.standards.models import RequestKind
from kefu.tickets.models import Channel, Ticket, TicketEvent

# How a reply reaches the customer → the channel tried first; the event's route follows.
REPLY_CHANNELS = {
    Channel.WECHAT: MessageChannel.WECHAT,
    Channel.SMS: MessageChannel.SMS,
    Channel.EMAIL: MessageChannel.EMAIL,
    Channel.PORTAL: None,
}


def _link(ticket: Ticket) -> str:
    return settings.KEFU_BASE_URL + reverse("tickets:ticket_detail", args=[ticket.pk])


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return date_format(timezone.localtime(moment), "n月j日 H:i")


def _customer_context(ticket: Ticket) -> dict[str, str]:
    return {
        "customer_name": ticket.customer.name,
        "ticket_number": ticket.number,
        "kind": stored_text(RequestKind(ticket.kind).label),
        "unit": str(ticket.unit) if ticket.unit_id else ticket.organisation.name,
        "link": _portal_link(ticket),
    }


def _portal_link(ticket: Ticket) -> str:
    """A signed link that opens the request on the customer's phone, valid for 30 days."""
    from kefu.portal.links import make_link

    return make_link(customer_id=ticket.customer_id, action="request", object_id=ticket.pk, ttl=timedelta(days=30))


def _staff_context(ticket: Ticket) -> dict[str, str]:
    return {
        "ticket_number": ticket.number,
        "kind": stored_text(RequestKind(ticket.kind).label),
        "customer_name": ticket.customer.name,
        "summary": ticket.title,
        "due_at": _when(ticket.resolution_due_at),
        "link": _link(ticket),
    }


def reply_sent(*, ticket: Ticket, event: TicketEvent, channel: str, actor: Membership) -> None:
    """A reply given by message reaches the customer; one given by phone or in person does not."""
    if channel not in REPLY_CHANNELS:
        return
    notify(
        event="ticket.reply",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:event:{event.pk}",
        customer=ticket.customer,
        context={**_customer_context(ticket), "reply": event.body, "agent_name": actor.name},
        prefer=REPLY_CHANNELS[channel],
    )


def resolved(*, ticket: Ticket, event: TicketEvent) -> None:
    notify(
        event="ticket.resolved",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:event:{event.pk}",
        customer=ticket.customer,
        context={**_customer_context(ticket), "measures": ticket.resolution or event.body},
    )
    integration(ticket=ticket, event=event, action=stored_text(gettext_noop("Resolved")))
    # The evaluation right after the touchpoint: a survey trigger on "ticket.resolved", if any.
    from kefu.surveys.services import on_event

    on_event(
        event="ticket.resolved",
        organisation=ticket.organisation,
        customer=ticket.customer,
        source_key=f"ticket:{ticket.pk}:event:{event.pk}",
        subject=stored_text(
            gettext_noop("the handling of %(kind)s %(number)s"),
            kind=RequestKind(ticket.kind).label,
            number=ticket.number,
        ),
        evaluated=ticket.assignee or ticket.first_responder,
        project=ticket.project,
    )


def assigned(*, ticket: Ticket, event: TicketEvent, assignee: Membership | None, actor: Membership | None) -> None:
    """The new assignee hears of it, unless they assigned it to themselves."""
    if assignee is None or (actor is not None and assignee.pk == actor.pk):
        return
    notify(
        event="ticket.assigned",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:event:{event.pk}",
        membership=assignee,
        context=_staff_context(ticket),
        url=reverse("tickets:ticket_detail", args=[ticket.pk]),
    )


def warned(*, ticket: Ticket, scan_key: str, to: Iterable[Membership]) -> None:
    notify_staff(
        event="ticket.warned",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:{scan_key}",
        context={**_staff_context(ticket), "step": stored_text(gettext_noop("resolution"))},
        members=to,
        url=reverse("tickets:ticket_detail", args=[ticket.pk]),
    )


def escalated(
    *, ticket: Ticket, scan_key: str, level: int, which: str, due: datetime | None, to: Iterable[Membership]
) -> None:
    notify_staff(
        event="ticket.escalated",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:{scan_key}",
        context={
            **_staff_context(ticket),
            "due_at": _when(due),
            "step": stored_text(gettext_noop("first response"))
            if which == "first_response"
            else stored_text(gettext_noop("resolution")),
            "level": stored_text(gettext_noop("the unit head"))
            if level == 2
            else stored_text(gettext_noop("the supervisor")),
        },
        members=to,
        url=reverse("tickets:ticket_detail", args=[ticket.pk]),
    )


def integration(*, ticket: Ticket, event: TicketEvent, action: str) -> None:
    """The company's OA hears of tickets logged and resolved when a webhook is set up."""
    notify(
        event="integration.ticket",
        organisation=ticket.organisation,
        source_key=f"ticket:{ticket.pk}:event:{event.pk}",
        endpoint=True,
        context={
            "ticket_number": ticket.number,
            "kind": stored_text(RequestKind(ticket.kind).label),
            "action": action,
            "customer_name": ticket.customer.name,
            "summary": ticket.title,
            "link": _link(ticket),
        },
    )
