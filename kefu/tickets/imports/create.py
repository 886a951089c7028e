"""Logging one imported ticket: the ticket service, then the due time the old system had promised."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.core.errors import InvalidInput
from kefu.core.texts import stored_text
from kefu.orgs.models import Membership
from kefu.standards.sla import due_at as business_due_at
from kefu.tickets import clock
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import _event, ticket_create

DEFAULT_WARN_PERCENT = 80


@transaction.atomic
def ticket_create_imported(*, actor: Membership, due_at: datetime | None = None, **kwargs: Any) -> Ticket:
    """ticket_create, then, when the old system promised a resolution time, that time instead of the
    service standard's; in one transaction, so a refused due time leaves no ticket behind."""
    ticket = ticket_create(actor=actor, **kwargs)
    if due_at is not None:
        ticket_due_override(actor=actor, ticket=ticket, due_at=due_at)
    return ticket


def ticket_due_override(*, actor: Membership, ticket: Ticket, due_at: datetime) -> Ticket:
    """Fix the resolution due time of a ticket just logged; the warning and head-escalation times follow."""
    now = timezone.now()
    if due_at <= now:
        raise InvalidInput(
            _("The due time is in the past; an open ticket needs a due time still to come."), field="due_at"
        )
    if due_at <= ticket.received_at:
        raise InvalidInput(_("The due time must be after the time received."), field="due_at")
    policy = ticket.sla_policy
    warn_percent = policy.warn_at_percent if policy else DEFAULT_WARN_PERCENT
    ticket.resolution_due_at = due_at
    ticket.resolution_warn_at = ticket.received_at + (due_at - ticket.received_at) * warn_percent / 100
    if ticket.first_response_due_at and ticket.first_response_due_at > due_at:
        ticket.first_response_due_at = due_at
    if policy is not None:
        ticket.head_escalation_due_at = business_due_at(
            schedule=clock.schedule_of(ticket.organisation),
            basis=policy.time_basis,
            start=due_at,
            duration=policy.head_escalation_after,
        )
    else:
        ticket.head_escalation_due_at = due_at + timedelta(hours=4)
    ticket.save(
        update_fields=[
            "resolution_due_at",
            "resolution_warn_at",
            "first_response_due_at",
            "head_escalation_due_at",
            "updated_at",
        ]
    )
    _event(
        ticket=ticket,
        kind=TicketEvent.Kind.UPDATED,
        actor=actor,
        summary=stored_text(
            gettext_noop("%(number)s due by %(due)s, as promised in the old system"),
            number=ticket.number,
            due=timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        ),
        data={"changes": {"resolution_due_at": [None, due_at.isoformat()]}, "source": "import"},
    )
    return ticket
