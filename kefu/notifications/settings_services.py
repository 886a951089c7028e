"""Everything staff change about notifications: channel settings, templates, routes, the policy,
and what they do to messages in the delivery log (retry, cancel) and in their own bell.

Administrators keep the settings ("notifications.manage") for their unit and the units below it;
a unit's row applies to its subtree, the nearest one winning (kefu.notifications.configuration).
Channel secrets are written encrypted and never returned: a blank secret on save keeps the stored
one, and "env:NAME" is stored as such, to be read from the environment at send time.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import Conflict, InvalidInput
from kefu.core.permissions import ensure_can
from kefu.core.scoping import visible
from kefu.customers.identity import normalise_mobile
from kefu.notifications import configuration, delivery, events
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
    RecipientType,
    Status,
)
from kefu.notifications.rendering import TemplateProblem, check_size, check_variables, render
from kefu.notifications.services import APPROVED_ONLY, render_for
from kefu.orgs.models import Membership, OrgUnit

MANAGE = "notifications.manage"
ENV_NAME = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]*")
DAILY_CAP_RANGE = (1, 20)
# A click on "retry all shown" retries at most this many; the page says so when there are more.
RETRY_MANY_LIMIT = 500
RETRYABLE = (Status.DEAD, Status.FAILED)
CANCELLABLE = (Status.PENDING, Status.HELD, Status.DEAD)
# A follow-up on another channel in one of these states has not reached the recipient, so the
# original may be retried without sending twice.
_FOLLOW_UP_GAVE_UP = (Status.FAILED, Status.DEAD, Status.CANCELLED, Status.SUPPRESSED)

_VERBS = {
    "save": AuditEntry.Action.UPDATE,
    "delete": AuditEntry.Action.DELETE,
    "test": AuditEntry.Action.CREATE,
    "retry": AuditEntry.Action.UPDATE,
    "cancel": AuditEntry.Action.UPDATE,
}


def _audit(*, actor: Membership, unit: OrgUnit, action: str, obj: Any, changes: dict[str, Any]) -> None:
    # The audit log's action is one of its own few verbs; the operation goes in the note.
    verb = _VERBS[action.rsplit("_", 1)[-1]]
    audit_record(actor=actor, organisation=unit, action=verb, obj=obj, changes=changes, note=action)


def _check_channel(channel: str) -> None:
    if channel not in CONFIGURABLE_CHANNELS:
        raise InvalidInput(_("Choose a channel that can be set up."), field="channel")


# Channel settings


def _stored_secrets(config: ChannelConfig) -> dict[str, str]:
    """The secrets as stored (an "env:NAME" stays a reference), to merge a save into."""
    return configuration.stored_secrets(config)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_setting(spec: SettingField, raw: Any) -> Any:
    """One non-secret value, as the adapter will read it; InvalidInput names the field."""
    label = str(spec.label)
    if spec.kind == "bool":
        if _blank(raw):
            return bool(spec.default) if raw is None else False
        return raw is True or str(raw).lower() in {"on", "true", "1", "yes"}
    value = raw.strip() if isinstance(raw, str) else raw
    if _blank(value):
        value = spec.default
    if _blank(value):
        if spec.required:
            raise InvalidInput(_("%(field)s is required.") % {"field": label}, field=spec.name)
        return ""
    if spec.kind == "int":
        try:
            number = int(str(value).strip())
        except ValueError as exc:
            raise InvalidInput(_("%(field)s must be a whole number.") % {"field": label}, field=spec.name) from exc
        if number < 1:
            raise InvalidInput(_("%(field)s must be 1 or more.") % {"field": label}, field=spec.name)
        return number
    text = str(value)
    if spec.kind == "choice" and text not in {key for key, _label in spec.choices}:
        raise InvalidInput(_("Choose one of the offered values for %(field)s.") % {"field": label}, field=spec.name)
    if spec.kind == "url":
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InvalidInput(
                _("%(field)s must be an address starting with http:// or https://.") % {"field": label},
                field=spec.name,
            )
        if not settings.KEFU_ALLOW_PRIVATE_ENDPOINTS and _is_private_host(parts.hostname or ""):
            # An administrator's URL is called from inside the network: refuse internal addresses
            # (server-side request forgery), except in development where the sandbox runs locally.
            raise InvalidInput(
                _("%(field)s points at an internal network address; only public addresses are allowed.")
                % {"field": label},
                field=spec.name,
            )
    if spec.kind == "email":
        try:
            validate_email(text)
        except ValidationError as exc:
            raise InvalidInput(_("%(field)s must be an email address.") % {"field": label}, field=spec.name) from exc
    return text


def _is_private_host(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return False  # does not resolve here: the send will fail and say so
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            return True
    return False


def _clean_secret(spec: SettingField, raw: Any, stored: dict[str, str], clear: bool) -> str | None:
    """The secret to store: the new value, the stored one (blank input keeps it), or None."""
    value = raw.strip() if isinstance(raw, str) else ""
    if value.startswith(configuration.ENV_PREFIX) and not ENV_NAME.fullmatch(value):
        raise InvalidInput(
            _("Write env: followed by the name of an environment variable, for example env:KEFU_SMS_SECRET."),
            field=spec.name,
        )
    if value:
        return value
    kept = None if clear else stored.get(spec.name)
    if kept is None and spec.required:
        raise InvalidInput(_("%(field)s is required.") % {"field": str(spec.label)}, field=spec.name)
    return kept


@transaction.atomic
def channel_config_save(
    *,
    actor: Membership,
    unit: OrgUnit,
    channel: str,
    values: Mapping[str, Any],
    is_enabled: bool = True,
    clear_secrets: Collection[str] = (),
) -> ChannelConfig:
    """Set up `channel` for `unit` and the units below it, from the fields its adapter asks for.
    Secrets left blank keep their stored value; those in `clear_secrets` are removed."""
    ensure_can(actor, MANAGE, unit)
    _check_channel(channel)
    config = ChannelConfig.objects.select_for_update().filter(organisation=unit, channel=channel).first()
    created = config is None
    if config is None:
        config = ChannelConfig(organisation=unit, channel=channel, callback_key=secrets.token_urlsafe(32))
    stored = _stored_secrets(config)
    settings: dict[str, Any] = {}
    new_secrets: dict[str, str] = {}
    for spec in adapter_class(channel).fields:
        if spec.secret:
            secret = _clean_secret(spec, values.get(spec.name), stored, spec.name in clear_secrets)
            if secret is not None:
                new_secrets[spec.name] = secret
        else:
            value = _clean_setting(spec, values.get(spec.name))
            if value != "":
                settings[spec.name] = value
    names = new_secrets.keys() | stored.keys()
    changed_secrets = sorted(name for name in names if new_secrets.get(name) != stored.get(name))
    config.settings = settings
    config.is_enabled = is_enabled
    config.updated_by = actor.user
    configuration.write_secrets(config, new_secrets)
    config.save()
    _audit(
        actor=actor,
        unit=unit,
        action="notifications.channel_save",
        obj=config,
        # Which secrets changed, never their values.
        changes={"created": created, "settings": settings, "is_enabled": is_enabled, "secrets": changed_secrets},
    )
    return config


@transaction.atomic
def channel_config_delete(*, actor: Membership, config: ChannelConfig) -> None:
    """Remove a unit's own configuration: the unit falls back to the one above it, if any."""
    ensure_can(actor, MANAGE, config.organisation)
    _audit(
        actor=actor,
        unit=config.organisation,
        action="notifications.channel_delete",
        obj=config,
        changes={"channel": config.channel},
    )
    config.delete()


def _test_address(actor: Membership, channel: str, address: str) -> str:
    address = address.strip()
    if channel == Channel.WEBHOOK:
        return ""
    if channel == Channel.SMS:
        address = address or actor.mobile
        if not address:
            raise InvalidInput(_("Your staff record has no mobile: enter one to send the test to."), field="address")
        return normalise_mobile(address, field="address")
    if channel == Channel.EMAIL:
        address = address or (actor.user.email if actor.user_id else "")
        if not address:
            raise InvalidInput(_("Your account has no email address: enter one to send the test to."), field="address")
        try:
            validate_email(address)
        except ValidationError as exc:
            raise InvalidInput(_("Enter an email address."), field="address") from exc
        return address
    if channel == Channel.WECOM:
        address = address or actor.wecom_userid
        if not address:
            raise InvalidInput(
                _("Your staff record has no WeCom user ID: enter the user ID to send the test to."), field="address"
            )
        return address
    if not address:
        raise InvalidInput(_("Enter the openid of a follower of the account to send the test to."), field="address")
    return address


def channel_test(*, actor: Membership, unit: OrgUnit, channel: str, address: str = "") -> OutboxMessage:
    """Send the test message of `channel` as `unit` would, now, and return it with the result
    (sent, or the provider's classified error). Without `address`, it goes to the actor.

    The message is written and committed first, then sent in this process through the same
    claim and record as the workers; the provider is never called inside a transaction."""
    ensure_can(actor, MANAGE, unit)
    _check_channel(channel)
    to = _test_address(actor, channel, address)
    context = {"name": actor.name, "channel": str(Channel(channel).label)}
    try:
        rendered = render_for(unit=unit, event=events.CHANNEL_TEST, channel=channel, context=context)
    except TemplateProblem as problem:
        raise InvalidInput(problem.message) from problem
    token = secrets.token_hex(8)
    endpoint = channel == Channel.WEBHOOK
    source_key = f"{events.CHANNEL_TEST.key}:{token}"
    with transaction.atomic():
        message = OutboxMessage.objects.create(
            organisation=unit,
            event=events.CHANNEL_TEST.key,
            source_key=source_key,
            idempotency_key=f"{unit.pk}|{source_key}|{'endpoint' if endpoint else f'm{actor.pk}'}|{channel}",
            recipient_type=RecipientType.ENDPOINT if endpoint else RecipientType.STAFF,
            membership=None if endpoint else actor,
            recipient_name="" if endpoint else actor.name,
            channel=channel,
            address=to,
            context=context,
            template_id=rendered.template_id,
            template_version=rendered.template_version,
            subject=rendered.subject,
            body=rendered.body,
            provider_template=rendered.provider_template,
            params=rendered.params,
            is_urgent=True,
            purpose=events.CHANNEL_TEST.purpose,
            status=Status.PENDING,
            next_attempt_at=timezone.now(),
        )
        _audit(
            actor=actor,
            unit=unit,
            action="notifications.channel_test",
            obj=message,
            changes={"channel": channel, "message": message.pk},
        )
    return delivery.deliver_now(message)


# Templates


def _event(event: str) -> events.Event:
    spec = events.EVENTS.get(event)
    if spec is None:
        raise InvalidInput(_("Choose an event."), field="event")
    return spec


def _check_event_channel(event: str, channel: str) -> events.Event:
    spec = _event(event)
    if channel not in spec.channels:
        raise InvalidInput(_("This event is not sent on this channel."), field="channel")
    return spec


def parse_provider_params(raw: Mapping[str, Any] | str) -> dict[str, str]:
    """The provider template's parameters from their JSON text (or a dict): names to texts."""
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise InvalidInput(
                _('Write the parameters as JSON, for example {"code": "{ticket_number}"}.'), field="provider_params"
            ) from exc
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            _('Write the parameters as a JSON object, for example {"code": "{ticket_number}"}.'),
            field="provider_params",
        )
    params: dict[str, str] = {}
    for name, text in raw.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(text, str):
            raise InvalidInput(
                _("Each parameter needs a name and a text, both in quotes."),
                field="provider_params",
            )
        params[name.strip()] = text
    return params


def _check_texts(spec: events.Event, *, subject: str, body: str, params: dict[str, str]) -> None:
    allowed = set(spec.variables)
    for name, text in (("subject", subject), ("body", body)):
        try:
            check_variables(text, allowed)
        except TemplateProblem as problem:
            raise InvalidInput(problem.message, field=name) from problem
    for param, text in params.items():
        try:
            check_variables(text, allowed)
        except TemplateProblem as problem:
            raise InvalidInput(
                _("Parameter %(name)s: %(problem)s") % {"name": param, "problem": problem.message},
                field="provider_params",
            ) from problem


@transaction.atomic
def template_save(
    *,
    actor: Membership,
    unit: OrgUnit,
    event: str,
    channel: str,
    subject: str,
    body: str,
    provider_template: str = "",
    provider_params: Mapping[str, Any] | str = "",
    is_approved: bool = False,
    is_active: bool = True,
) -> MessageTemplate:
    """The text of `event` on `channel` for `unit` and below, replacing the built-in or inherited
    one. Every variable must be one the event gives; each change is a new version."""
    ensure_can(actor, MANAGE, unit)
    spec = _check_event_channel(event, channel)
    subject, body, provider_template = subject.strip(), body.strip(), provider_template.strip()
    if not body:
        raise InvalidInput(_("Write the text of the message."), field="body")
    if len(subject) > 200:
        raise InvalidInput(_("The subject is too long: at most 200 characters."), field="subject")
    params = parse_provider_params(provider_params)
    _check_texts(spec, subject=subject, body=body, params=params)
    if channel in APPROVED_ONLY and not provider_template:
        raise InvalidInput(
            _("%(channel)s sends only templates the provider approved: enter the template id it gave you.")
            % {"channel": Channel(channel).label},
            field="provider_template",
        )
    if len(provider_template) > 100:
        raise InvalidInput(_("The template id is too long: at most 100 characters."), field="provider_template")
    values = {
        "subject": subject,
        "body": body,
        "provider_template": provider_template,
        "provider_params": params,
        "is_approved": is_approved,
        "is_active": is_active,
    }
    template = (
        MessageTemplate.objects.select_for_update().filter(organisation=unit, event=event, channel=channel).first()
    )
    if template is None:
        template = MessageTemplate(organisation=unit, event=event, channel=channel, version=1, **values)
    elif any(getattr(template, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(template, name, value)
        template.version += 1
    else:
        return template
    template.updated_by = actor.user
    template.save()
    _audit(
        actor=actor,
        unit=unit,
        action="notifications.template_save",
        obj=template,
        changes={"event": event, "channel": channel, "version": template.version, **values},
    )
    return template


@transaction.atomic
def template_delete(*, actor: Membership, template: MessageTemplate) -> None:
    """Go back to the built-in text (or the one a unit above has)."""
    ensure_can(actor, MANAGE, template.organisation)
    _audit(
        actor=actor,
        unit=template.organisation,
        action="notifications.template_delete",
        obj=template,
        changes={"event": template.event, "channel": template.channel, "version": template.version},
    )
    template.delete()


@dataclass
class Preview:
    subject: str = ""
    body: str = ""
    params: dict[str, str] = field(default_factory=dict)
    error: str = ""
    error_field: str = ""
    warnings: list[str] = field(default_factory=list)


def template_preview(
    *,
    unit: OrgUnit,
    event: str,
    channel: str,
    subject: str,
    body: str,
    provider_params: Mapping[str, Any] | str = "",
    provider_template: str = "",
) -> Preview:
    """The template filled with the event's sample values, or what is wrong with it (never raises)."""
    spec = events.EVENTS.get(event)
    if spec is None or channel not in spec.channels:
        return Preview(error=_("This event is not sent on this channel."))
    try:
        params = parse_provider_params(provider_params)
        _check_texts(spec, subject=subject, body=body, params=params)
    except InvalidInput as exc:
        return Preview(error=exc.message, error_field=exc.field or "")
    sample = events.sample_context(spec)
    result = Preview()
    try:
        result.subject = render(subject, sample)
        result.body = render(body, sample)
        result.params = {name: render(text, sample) for name, text in params.items()}
        check_size(channel, subject=result.subject, body=result.body, params=result.params)
    except TemplateProblem as problem:
        result.error = problem.message
    if channel in APPROVED_ONLY and not provider_template.strip():
        result.warnings.append(
            _("%(channel)s sends only templates the provider approved: enter the template id it gave you.")
            % {"channel": Channel(channel).label}
        )
    return result


# Routes and the policy


@transaction.atomic
def route_save(*, actor: Membership, unit: OrgUnit, event: str, channels: list[str], is_enabled: bool) -> EventRoute:
    """Which channels `event` uses for `unit` and below, in the order they are tried, or off."""
    ensure_can(actor, MANAGE, unit)
    spec = _event(event)
    ordered = list(channels)
    if len(set(ordered)) != len(ordered):
        raise InvalidInput(_("Each channel can be used once."), field="channels")
    unknown = [c for c in ordered if c not in spec.channels]
    if unknown:
        raise InvalidInput(
            _("This event is not sent on %(channel)s.") % {"channel": Channel(unknown[0]).label}, field="channels"
        )
    if is_enabled and not ordered:
        raise InvalidInput(_("Choose at least one channel, or turn the event off."), field="channels")
    route, created = EventRoute.objects.select_for_update().get_or_create(
        organisation=unit, event=event, defaults={"channels": ordered, "is_enabled": is_enabled}
    )
    if not created:
        route.channels, route.is_enabled = ordered, is_enabled
        route.save()
    _audit(
        actor=actor,
        unit=unit,
        action="notifications.route_save",
        obj=route,
        changes={"event": event, "channels": ordered, "is_enabled": is_enabled},
    )
    return route


@transaction.atomic
def policy_save(
    *, actor: Membership, unit: OrgUnit, quiet_start: time, quiet_end: time, daily_cap: int
) -> DeliveryPolicy:
    """Quiet hours (customers' SMS and WeChat wait for their end; equal times mean none) and
    how many capped messages one customer may get a day, for `unit` and below."""
    ensure_can(actor, MANAGE, unit)
    low, high = DAILY_CAP_RANGE
    if not low <= daily_cap <= high:
        raise InvalidInput(
            _("Allow between %(low)s and %(high)s messages a day.") % {"low": low, "high": high}, field="daily_cap"
        )
    policy, created = DeliveryPolicy.objects.select_for_update().get_or_create(
        organisation=unit, defaults={"quiet_start": quiet_start, "quiet_end": quiet_end, "daily_cap": daily_cap}
    )
    if not created:
        policy.quiet_start, policy.quiet_end, policy.daily_cap = quiet_start, quiet_end, daily_cap
        policy.save()
    _audit(
        actor=actor,
        unit=unit,
        action="notifications.policy_save",
        obj=policy,
        changes={"quiet_start": quiet_start.isoformat(), "quiet_end": quiet_end.isoformat(), "daily_cap": daily_cap},
    )
    return policy


# The delivery log


def _retry(message: OutboxMessage, *, now: datetime) -> None:
    """Re-render a dead or failed message with today's template and put it back in the queue."""
    if message.status not in RETRYABLE:
        raise Conflict(_("Only failed messages and dead letters can be retried."))
    follow_up = (
        OutboxMessage.objects.filter(previous=message).exclude(status__in=_FOLLOW_UP_GAVE_UP).only("channel").first()
    )
    if follow_up is not None:
        raise Conflict(
            _("This message was already followed up on %(channel)s; retrying it would send it twice.")
            % {"channel": follow_up.get_channel_display()}
        )
    spec = events.EVENTS.get(message.event)
    if spec is None:
        raise InvalidInput(_("This message's event no longer exists."))
    try:
        rendered = render_for(unit=message.organisation, event=spec, channel=message.channel, context=message.context)
    except TemplateProblem as problem:
        raise InvalidInput(
            _("The message cannot be rendered: %(problem)s Fix the template, then retry.")
            % {"problem": problem.message}
        ) from problem
    message.subject, message.body = rendered.subject, rendered.body
    message.provider_template, message.params = rendered.provider_template, rendered.params
    message.template_id, message.template_version = rendered.template_id, rendered.template_version
    message.status, message.next_attempt_at, message.attempts = Status.PENDING, now, 0
    message.error_code, message.error, message.finished_at = "", "", None
    message.lease_owner, message.lease_until = "", None
    message.save()


@transaction.atomic
def message_retry(*, actor: Membership, message: OutboxMessage) -> OutboxMessage:
    """Send a dead or failed message again, re-rendered from its variables with the current
    template (so a fixed template takes effect), from a fresh attempt budget."""
    message = OutboxMessage.objects.select_for_update().select_related("organisation").get(pk=message.pk)
    ensure_can(actor, MANAGE, message.organisation)
    previous = {"status": message.status, "error_code": message.error_code}
    _retry(message, now=timezone.now())
    _audit(
        actor=actor,
        unit=message.organisation,
        action="notifications.message_retry",
        obj=message,
        changes={"before": previous},
    )
    return message


@transaction.atomic
def message_retry_many(*, actor: Membership, message_ids: Iterable[int]) -> int:
    """Retry these messages (at most RETRY_MANY_LIMIT) in one go; returns how many went back in
    the queue. Those that cannot be (a template still broken, a follow-up already sent) stay as
    they are."""
    ensure_can(actor, MANAGE)
    ids = list(message_ids)[:RETRY_MANY_LIMIT]
    messages = (
        visible(OutboxMessage, actor)
        .select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=ids, status__in=RETRYABLE)
        .order_by("pk")
    )
    now = timezone.now()
    retried: list[int] = []
    for message in messages:
        try:
            _retry(message, now=now)
        except (InvalidInput, Conflict):
            continue
        retried.append(message.pk)
    if retried:
        audit_record(
            actor=actor,
            organisation=actor.unit,
            action=AuditEntry.Action.UPDATE,
            object_type=OutboxMessage._meta.label_lower,
            object_label=_("%(count)s messages") % {"count": len(retried)},
            changes={"messages": retried},
            note="notifications.message_retry_many",
        )
    return len(retried)


@transaction.atomic
def message_cancel(*, actor: Membership, message: OutboxMessage) -> OutboxMessage:
    """Stop a message that is waiting (or a dead letter) from ever being sent."""
    message = OutboxMessage.objects.select_for_update().select_related("organisation").get(pk=message.pk)
    ensure_can(actor, MANAGE, message.organisation)
    if message.status == Status.SENDING:
        raise Conflict(_("The message is being sent right now; it can no longer be cancelled."))
    if message.status not in CANCELLABLE:
        raise Conflict(_("Only messages still waiting to be sent, and dead letters, can be cancelled."))
    previous = message.status
    now = timezone.now()
    message.status, message.next_attempt_at, message.finished_at = Status.CANCELLED, None, now
    message.save()
    _audit(
        actor=actor,
        unit=message.organisation,
        action="notifications.message_cancel",
        obj=message,
        changes={"before": {"status": previous}},
    )
    return message


# The bell


@transaction.atomic
def inbox_mark_read(*, membership: Membership, ids: Iterable[int]) -> int:
    """Mark some of the member's own bell rows read; others' rows are never touched."""
    return InAppNotification.objects.filter(membership=membership, pk__in=list(ids), read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def inbox_mark_all_read(*, membership: Membership) -> int:
    return InAppNotification.objects.filter(membership=membership, read_at__isnull=True).update(read_at=timezone.now())
