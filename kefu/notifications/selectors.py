"""Read queries of the notification pages. Every one starts from kefu.core.scoping.

The delivery log shows the messages of the viewer's unit and below. A staff member's bell holds
their own rows only. The settings pages show what applies to one unit: its own rows, or the
nearest one up the tree that it inherits (kefu.notifications.configuration decides the same way
when a message is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from kefu.core.scoping import ancestor_ids, one_or_404, visible
from kefu.notifications import configuration, events
from kefu.notifications.channels import adapter_class
from kefu.notifications.channels.base import SettingField
from kefu.notifications.models import (
    CONFIGURABLE_CHANNELS,
    Channel,
    ChannelConfig,
    DeliveryPolicy,
    EventRoute,
    InAppNotification,
    MessageTemplate,
    OutboxMessage,
)
from kefu.notifications.services import APPROVED_ONLY
from kefu.orgs.models import Membership, OrgUnit

# How many bell items the dropdown shows.
BELL_ITEMS = 8


# The delivery log


def message_list(
    *,
    viewer: Membership,
    event: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    q: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[OutboxMessage]:
    """Visible messages, newest first, with their unit loaded (one query per page).

    - `status`: an outbox Status value; "dead" is the dead-letter queue.
    - `q`: part of the recipient's name or address, or a provider message id.
    - `created_from` / `created_to`: created_at >= from and < to.
    """
    messages = visible(OutboxMessage, viewer)
    if event:
        messages = messages.filter(event=event)
    if channel:
        messages = messages.filter(channel=channel)
    if status:
        messages = messages.filter(status=status)
    if q and q.strip():
        term = q.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        match = Q(recipient_name__icontains=term) | Q(address__icontains=term) | Q(provider_message_id=term)
        if len(digits) >= 4 and digits != term:
            # A mobile typed with spaces or dashes ("138 1234 5678") still finds its E.164 address.
            match |= Q(address__contains=digits)
        messages = messages.filter(match)
    if created_from is not None:
        messages = messages.filter(created_at__gte=created_from)
    if created_to is not None:
        messages = messages.filter(created_at__lt=created_to)
    return messages.select_related("organisation").order_by("-created_at", "-id")


def message_get(*, viewer: Membership, message_id: int) -> OutboxMessage:
    """One visible message with its unit, recipient, template and attempts (oldest first)
    loaded. Another unit's message is the same 404 as a missing one."""
    return one_or_404(
        visible(OutboxMessage, viewer)
        .select_related("organisation", "customer", "membership", "template", "previous")
        .prefetch_related("delivery_attempts"),
        pk=message_id,
    )


def message_chain(*, viewer: Membership, message: OutboxMessage) -> list[OutboxMessage]:
    """The message and the others of its fallback chain (the same occurrence of the event to the
    same recipient on other channels), in the order they were tried."""
    return list(
        visible(OutboxMessage, viewer)
        .filter(
            organisation_id=message.organisation_id,
            source_key=message.source_key,
            recipient_type=message.recipient_type,
            customer_id=message.customer_id,
            membership_id=message.membership_id,
        )
        .order_by("created_at", "id")
    )


# The bell


def inbox_list(*, membership: Membership, unread_only: bool = False) -> QuerySet[InAppNotification]:
    """The member's own bell rows: unread first, then newest first."""
    rows = InAppNotification.objects.filter(membership=membership)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return rows.order_by(unread_first, "-created_at", "-id")


def inbox_latest(*, membership: Membership) -> list[InAppNotification]:
    """The bell's dropdown: the member's newest rows."""
    return list(InAppNotification.objects.filter(membership=membership).order_by("-created_at", "-id")[:BELL_ITEMS])


def inbox_get(*, membership: Membership, notification_id: int) -> InAppNotification:
    """One of the member's own bell rows; anyone else's is a 404."""
    return one_or_404(InAppNotification.objects.filter(membership=membership), pk=notification_id)


def unread_count(*, membership: Membership) -> int:
    return InAppNotification.objects.filter(membership=membership, read_at__isnull=True).count()


# Settings: what applies to a unit


def managed_unit(*, viewer: Membership, unit_id: int | None) -> OrgUnit:
    """The unit a settings page works on: the viewer's own, or one below it (else 404)."""
    if unit_id is None:
        return viewer.unit
    return one_or_404(visible(OrgUnit, viewer), pk=unit_id)


def _by_unit(rows: list[Any], unit: OrgUnit) -> tuple[Any | None, Any | None]:
    """(the unit's own row, the nearest row above it) of rows keyed by organisation."""
    ids = ancestor_ids(unit)
    by_unit = {row.organisation_id: row for row in rows}
    own = by_unit.get(unit.pk)
    inherited = next((by_unit[i] for i in reversed(ids[:-1]) if i in by_unit), None)
    return own, inherited


def _ancestor_rows(model: Any, unit: OrgUnit, **filters: Any) -> list[Any]:
    # The units above the viewer's are not `visible` to them, but what they pass down applies to
    # them; reading which unit a setting comes from (never a secret) is what this page is for.
    return list(model.objects.filter(organisation_id__in=ancestor_ids(unit), **filters).select_related("organisation"))


@dataclass(frozen=True)
class ChannelState:
    channel: str
    label: Any
    fields: tuple[SettingField, ...]
    own: ChannelConfig | None
    inherited: ChannelConfig | None

    @property
    def state(self) -> str:
        """here · inherited · off (a disabled row switches the channel off) · none"""
        effective = self.own or self.inherited
        if effective is None:
            return "none"
        if not effective.is_enabled:
            return "off"
        return "here" if self.own is not None else "inherited"

    @property
    def has_callback(self) -> bool:
        return self.channel in (Channel.SMS, Channel.WECHAT)


def channel_overview(*, viewer: Membership, unit: OrgUnit | None = None) -> list[ChannelState]:
    """Every configurable channel for `unit` (default the viewer's): its own configuration, the
    one it inherits and from which unit, or none."""
    unit = unit or viewer.unit
    rows = _ancestor_rows(ChannelConfig, unit)
    states = []
    for channel in CONFIGURABLE_CHANNELS:
        own, inherited = _by_unit([r for r in rows if r.channel == channel], unit)
        states.append(ChannelState(channel, Channel(channel).label, adapter_class(channel).fields, own, inherited))
    return states


def channel_state(*, viewer: Membership, unit: OrgUnit, channel: str) -> ChannelState:
    """One channel's state for a unit in the viewer's subtree; an unknown channel is a 404."""
    for state in channel_overview(viewer=viewer, unit=unit):
        if state.channel == channel:
            return state
    raise Http404


def stored_secret_names(config: ChannelConfig | None) -> set[str]:
    """Which secrets a configuration holds (the page says "set"); never their values."""
    return configuration.stored_secret_names(config) if config is not None else set()


@dataclass(frozen=True)
class TemplateCell:
    event: events.Event
    channel: str
    own: MessageTemplate | None
    inherited: MessageTemplate | None
    has_builtin: bool

    @property
    def label(self) -> Any:
        return Channel(self.channel).label

    @property
    def state(self) -> str:
        """here · inherited · builtin · missing (no text at all)"""
        if self.own is not None and self.own.is_active:
            return "here"
        if self.inherited is not None:
            return "inherited"
        return "builtin" if self.has_builtin else "missing"

    @property
    def effective(self) -> MessageTemplate | None:
        if self.own is not None and self.own.is_active:
            return self.own
        return self.inherited

    @property
    def needs_provider_template(self) -> bool:
        """SMS and WeChat send only provider-approved templates: without one nothing goes out."""
        if self.channel not in APPROVED_ONLY:
            return False
        current = self.effective
        return current is None or not current.provider_template or not current.is_approved


@dataclass(frozen=True)
class TemplateRow:
    event: events.Event
    cells: list[TemplateCell]


def template_overview(*, viewer: Membership, unit: OrgUnit | None = None) -> list[TemplateRow]:
    """Each event × each of its channels for `unit`: its own template, the one inherited (and
    from which unit), or the built-in text."""
    unit = unit or viewer.unit
    rows = _ancestor_rows(MessageTemplate, unit)
    result = []
    for event in events.EVENTS.values():
        cells = []
        for channel in event.channels:
            matching = [r for r in rows if r.event == event.key and r.channel == channel]
            own = next((r for r in matching if r.organisation_id == unit.pk), None)
            _own, inherited = _by_unit([r for r in matching if r.is_active], unit)
            cells.append(TemplateCell(event, channel, own, inherited, channel in event.texts))
        result.append(TemplateRow(event, cells))
    return result


def template_cell(*, viewer: Membership, unit: OrgUnit, event: str, channel: str) -> TemplateCell:
    """One event × channel for a unit in the viewer's subtree; an unknown pair is a 404."""
    spec = events.EVENTS.get(event)
    if spec is None or channel not in spec.channels:
        raise Http404
    rows = [
        r for r in _ancestor_rows(MessageTemplate, unit, event=event, channel=channel) if r.organisation_id != unit.pk
    ]
    own = (
        visible(MessageTemplate, viewer)
        .filter(organisation=unit, event=event, channel=channel)
        .select_related("updated_by__membership")
        .first()
    )
    _own, inherited = _by_unit([r for r in rows if r.is_active], unit)
    return TemplateCell(spec, channel, own, inherited, channel in spec.texts)


@dataclass(frozen=True)
class PolicyState:
    own: DeliveryPolicy | None
    inherited: DeliveryPolicy | None
    effective: configuration.Policy

    @property
    def source(self) -> OrgUnit | None:
        row = self.own or self.inherited
        return row.organisation if row is not None else None


def policy_overview(*, viewer: Membership, unit: OrgUnit | None = None) -> PolicyState:
    """The quiet hours and daily cap that apply to `unit`, and where they come from."""
    unit = unit or viewer.unit
    own, inherited = _by_unit(_ancestor_rows(DeliveryPolicy, unit), unit)
    row = own or inherited
    effective = (
        configuration.Policy(quiet_start=row.quiet_start, quiet_end=row.quiet_end, daily_cap=row.daily_cap)
        if row is not None
        else configuration.DEFAULT_POLICY
    )
    return PolicyState(own, inherited, effective)


@dataclass(frozen=True)
class RouteState:
    event: events.Event
    own: EventRoute | None
    inherited: EventRoute | None
    is_enabled: bool
    channels: tuple[str, ...]

    @property
    def source(self) -> OrgUnit | None:
        row = self.own or self.inherited
        return row.organisation if row is not None else None


def route_overview(*, viewer: Membership, unit: OrgUnit | None = None) -> list[RouteState]:
    """For every event, whether it is on for `unit` and its channels in fallback order, and
    where that comes from (the unit, a unit above, or the event's default)."""
    unit = unit or viewer.unit
    rows = _ancestor_rows(EventRoute, unit)
    result = []
    for event in events.EVENTS.values():
        own, inherited = _by_unit([r for r in rows if r.event == event.key], unit)
        row = own or inherited
        if row is None:
            enabled, channels = True, event.channels
        else:
            enabled, channels = row.is_enabled, tuple(c for c in row.channels if c in event.channels)
        result.append(RouteState(event, own, inherited, enabled, channels))
    return result


def route_state(*, viewer: Membership, unit: OrgUnit, event: str) -> RouteState:
    for state in route_overview(viewer=viewer, unit=unit):
        if state.event.key == event:
            return state
    raise Http404
