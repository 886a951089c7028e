"""Formatting filters of the notification pages; no queries."""

from __future__ import annotations

from typing import Any

from django import template

from kefu.customers.identity import mask_mobile
from kefu.notifications import events
from kefu.notifications.models import Channel

register = template.Library()

STATUS_CSS = {
    "pending": "bg-blue-lt",
    "held": "bg-purple-lt",
    "sending": "bg-azure-lt",
    "sent": "bg-green-lt",
    "delivered": "bg-green text-green-fg",
    "failed": "bg-red-lt",
    "dead": "bg-red text-red-fg",
    "suppressed": "bg-secondary-lt",
    "cancelled": "bg-secondary-lt",
}


@register.filter
def event_label(key: str) -> Any:
    """An event's name as staff read it; an event no longer defined shows its key."""
    event = events.EVENTS.get(key)
    return event.label if event is not None else key


@register.filter
def masked_address(message: Any) -> str:
    """The address a message went to, a mobile masked (138****5678) as everywhere else."""
    address = getattr(message, "address", "") or ""
    if getattr(message, "channel", "") == Channel.INAPP:
        return ""  # the bell of the recipient named beside it
    if getattr(message, "channel", "") == Channel.SMS and address:
        return mask_mobile(address)
    return address


@register.filter
def channel_label(channel: str) -> Any:
    return Channel(channel).label if channel in Channel.values else channel


@register.filter
def status_css(status: str) -> str:
    return STATUS_CSS.get(status, "bg-secondary-lt")
