"""Asking for messages, and everything staff change about them.

`notify` is the one door: a module calls it inside its own transaction, with the event, the
recipient and the event's variables. It decides the channel (the event's route in fallback order,
skipping channels that are not configured, that the recipient has no address on, that the customer
did not consent to, or whose template the provider has not approved), applies the policy (daily
cap, quiet hours) and writes one OutboxMessage. The outbox workers send it after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.core.errors import InvalidInput
from kefu.core.texts import stored_text
from kefu.customers.identity import normalise_mobile
from kefu.customers.models import ContactMethod, Customer
from kefu.customers.services import has_consent
from kefu.notifications import configuration, events, policy
from kefu.notifications.models import (
    Channel,
    InAppNotification,
    OutboxMessage,
    RecipientType,
    Status,
)
from kefu.notifications.rendering import TemplateProblem, check_size, render
from kefu.orgs.models import Membership, OrgUnit

logger = logging.getLogger(__name__)

CONSENT_CHANNEL = {Channel.SMS: "sms", Channel.WECHAT: "wechat", Channel.EMAIL: "email"}
# Channels whose provider only sends texts it approved in advance.
APPROVED_ONLY = frozenset({Channel.SMS, Channel.WECHAT})


@dataclass
class Recipient:
    type: str
    customer: Customer | None = None
    membership: Membership | None = None

    @property
    def key(self) -> str:
        if self.customer is not None:
            return f"c{self.customer.pk}"
        if self.membership is not None:
            return f"m{self.membership.pk}"
        return "endpoint"

    @property
    def name(self) -> str:
        if self.customer is not None:
            return self.customer.name
        if self.membership is not None:
            return self.membership.name
        return ""


@dataclass
class Rendered:
    subject: str
    body: str
    provider_template: str
    params: dict[str, str]
    template_id: int | None
    template_version: int


@dataclass
class Skip:
    channel: str
    code: str
    reason: str


@dataclass
class Candidate:
    channel: str
    address: str
    rendered: Rendered


@dataclass
class NotifyResult:
    messages: list[OutboxMessage] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    duplicate: bool = False


def idempotency_key(*, organisation: OrgUnit, source_key: str, recipient: Recipient, channel: str) -> str:
    return f"{organisation.pk}|{source_key}|{recipient.key}|{channel}"


def _address(recipient: Recipient, channel: str, contacts: list[ContactMethod] | None) -> str:
    if recipient.type == RecipientType.ENDPOINT:
        return "" if channel == Channel.WEBHOOK else "-"
    if recipient.membership is not None:
        member = recipient.membership
        return {
            Channel.INAPP: str(member.pk),
            Channel.EMAIL: member.user.email if member.user_id else "",
            Channel.SMS: _e164(member.mobile),
            Channel.WECOM: member.wecom_userid,
        }.get(channel, "")
    kind = {
        Channel.SMS: ContactMethod.Kind.MOBILE,
        Channel.WECHAT: ContactMethod.Kind.WECHAT_OPENID,
        Channel.EMAIL: ContactMethod.Kind.EMAIL,
    }.get(channel)
    for contact in contacts or []:  # primary first (the model's ordering)
        if contact.kind == kind:
            return contact.value
    return ""


def _e164(mobile: str) -> str:
    """A staff member's mobile as the ledger stores customers' ("8613812345678"); a number that
    is not a mobile is no address, so the next channel is tried."""
    if not mobile:
        return ""
    try:
        return normalise_mobile(mobile)
    except InvalidInput:
        return ""


def render_for(*, unit: OrgUnit, event: events.Event, channel: str, context: dict[str, Any]) -> Rendered:
    """The text of `event` on `channel` for `unit`, from its template or the built-in text.
    Raises TemplateProblem for a missing variable, an unapproved provider template or a size limit."""
    template = configuration.template_for(unit, event.key, channel)
    if template is not None:
        subject_src, body_src = template.subject, template.body
        provider_template, provider_params = template.provider_template, dict(template.provider_params)
        approved = template.is_approved
    else:
        text = event.texts.get(channel)
        if text is None:
            raise TemplateProblem("template.none", _("This event has no text for this channel."))
        subject_src, body_src, provider_template, provider_params, approved = text.subject, text.body, "", {}, False
    if channel in APPROVED_ONLY:
        if not provider_template:
            raise TemplateProblem(
                "template.no_provider_template",
                _("No provider template id is set for this event on %(channel)s.")
                % {"channel": Channel(channel).label},
            )
        if not approved:
            raise TemplateProblem(
                "template.not_approved",
                _("The %(channel)s template %(code)s is not marked as approved by the provider.")
                % {"channel": Channel(channel).label, "code": provider_template},
            )
    values = {key: "" if value is None else str(value) for key, value in context.items()}
    subject = render(subject_src, values)
    body = render(body_src, values)
    params = {name: render(source, values) for name, source in provider_params.items()}
    check_size(channel, subject=subject, body=body, params=params)
    return Rendered(
        subject=subject,
        body=body,
        provider_template=provider_template,
        params=params,
        template_id=template.pk if template is not None else None,
        template_version=template.version if template is not None else 0,
    )


def _candidate(
    *,
    unit: OrgUnit,
    event: events.Event,
    recipient: Recipient,
    channel: str,
    context: dict[str, Any],
    configured: set[str],
    contacts: list[ContactMethod] | None,
) -> Candidate | Skip:
    if channel == Channel.INAPP:
        if recipient.membership is None:
            return Skip(channel, "channel.not_for_recipient", _("In-app messages are for staff only."))
    elif channel not in configured:
        return Skip(
            channel,
            "channel.not_configured",
            _("%(channel)s is not set up for this unit.") % {"channel": Channel(channel).label},
        )
    if recipient.type == RecipientType.ENDPOINT and channel != Channel.WEBHOOK:
        return Skip(channel, "channel.not_for_recipient", _("Only webhooks reach integration endpoints."))
    if recipient.type != RecipientType.ENDPOINT and channel == Channel.WEBHOOK:
        return Skip(channel, "channel.not_for_recipient", _("Webhooks reach integration endpoints only."))
    if recipient.customer is not None and channel == Channel.WECOM:
        return Skip(channel, "channel.not_for_recipient", _("WeCom reaches staff only."))
    address = _address(recipient, channel, contacts)
    if recipient.type != RecipientType.ENDPOINT and not address:
        return Skip(
            channel,
            "recipient.no_address",
            _("%(name)s has no %(channel)s contact.") % {"name": recipient.name, "channel": Channel(channel).label},
        )
    if (
        recipient.customer is not None
        and event.purpose != events.SERVICE
        and not has_consent(
            customer=recipient.customer, purpose=event.purpose, channel=CONSENT_CHANNEL.get(channel, channel)
        )
    ):
        return Skip(
            channel,
            "recipient.no_consent",
            _("The customer has not agreed to these messages on %(channel)s.") % {"channel": Channel(channel).label},
        )
    try:
        rendered = render_for(unit=unit, event=event, channel=channel, context=context)
    except TemplateProblem as problem:
        logger.warning(
            "notification template problem",
            extra={"event": event.key, "channel": channel, "code": problem.code, "unit": unit.pk},
        )
        return Skip(channel, problem.code, problem.message)
    return Candidate(channel, address, rendered)


def _plan(
    *, unit: OrgUnit, event: events.Event, recipient: Recipient, channels: Sequence[str], context: dict[str, Any]
) -> tuple[Candidate | None, list[str], list[Skip]]:
    configured = configuration.configured_channels(unit)
    contacts = list(recipient.customer.contacts.all()) if recipient.customer is not None else None
    skipped: list[Skip] = []
    for index, channel in enumerate(channels):
        outcome = _candidate(
            unit=unit,
            event=event,
            recipient=recipient,
            channel=channel,
            context=context,
            configured=configured,
            contacts=contacts,
        )
        if isinstance(outcome, Candidate):
            return outcome, list(channels[index + 1 :]), skipped
        skipped.append(outcome)
    return None, [], skipped


def _jsonable(context: dict[str, Any]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in context.items()}


def base_values(
    *,
    organisation: OrgUnit,
    spec: events.Event,
    source_key: str,
    recipient: Recipient,
    context: dict[str, Any],
    url: str,
) -> dict[str, Any]:
    """The fields every message of one event to one recipient shares, whichever channel it takes."""
    return {
        "organisation": organisation,
        "event": spec.key,
        "source_key": source_key[:120],
        "recipient_type": recipient.type,
        "customer": recipient.customer,
        "membership": recipient.membership,
        "recipient_name": recipient.name[:100],
        "context": _jsonable(context),
        "url": url[:500],
        "is_urgent": spec.urgent,
        "purpose": spec.purpose,
        "counts_toward_cap": spec.capped and not spec.urgent and recipient.customer is not None,
    }


def suppressed_values(skipped: list[Skip], now: datetime) -> dict[str, Any]:
    """A message no channel could take, recorded with every reason."""
    first = skipped[0]
    return {
        "channel": first.channel,
        "status": Status.SUPPRESSED,
        "error_code": first.code,
        "error": "；".join(s.reason for s in skipped)[:500],
        "finished_at": now,
    }


def candidate_values(candidate: Candidate, fallback: list[str], now: datetime) -> dict[str, Any]:
    """A message on the channel the plan chose, due now."""
    return {
        "channel": candidate.channel,
        "address": candidate.address,
        "subject": candidate.rendered.subject,
        "body": candidate.rendered.body,
        "provider_template": candidate.rendered.provider_template,
        "params": candidate.rendered.params,
        "template_id": candidate.rendered.template_id,
        "template_version": candidate.rendered.template_version,
        "fallback": fallback,
        "status": Status.PENDING,
        "next_attempt_at": now,
    }


def cap_suppressed_values(now: datetime) -> dict[str, Any]:
    return {
        "status": Status.SUPPRESSED,
        "error_code": "policy.daily_cap",
        "error": _("The customer has had the most messages allowed for one day."),
        "finished_at": now,
        "fallback": [],
    }


@transaction.atomic
def notify(
    *,
    event: str,
    organisation: OrgUnit,
    source_key: str,
    context: dict[str, Any],
    customer: Customer | None = None,
    membership: Membership | None = None,
    endpoint: bool = False,
    url: str = "",
    prefer: str | None = None,
    now: datetime | None = None,
) -> NotifyResult:
    """Ask for `event` to reach one recipient: a customer, a staff member or the unit's
    integration endpoint. Call it inside the transaction of the change it reports; the same
    (source_key, recipient) twice gives the first answer back and no second message."""
    spec = events.get(event)
    now = now or timezone.now()
    if sum(x is not None and x is not False for x in (customer, membership, endpoint or None)) != 1:
        raise ValueError("notify needs exactly one of customer, membership or endpoint")
    recipient = Recipient(
        type=RecipientType.CUSTOMER if customer else RecipientType.STAFF if membership else RecipientType.ENDPOINT,
        customer=customer,
        membership=membership,
    )
    enabled, route = configuration.route_for(organisation, spec)
    if prefer in route:
        # The channel the caller knows the recipient is on goes first; the unit's route, which an
        # administrator may have narrowed, still decides which channels there are.
        route = (prefer, *(c for c in route if c != prefer))
    keys = [
        idempotency_key(organisation=organisation, source_key=source_key, recipient=recipient, channel=c)
        for c in spec.channels
    ]
    existing = list(OutboxMessage.objects.filter(idempotency_key__in=keys).order_by("pk"))
    if existing:
        return NotifyResult(messages=existing, duplicate=True)
    if not enabled or not route:
        return NotifyResult()

    candidate, fallback, skipped = _plan(
        unit=organisation, event=spec, recipient=recipient, channels=route, context=context
    )
    if candidate is None and recipient.type == RecipientType.ENDPOINT:
        # No integration is set up: nothing to tell anyone.
        return NotifyResult(skipped=skipped)

    base = base_values(
        organisation=organisation, spec=spec, source_key=source_key, recipient=recipient, context=context, url=url
    )
    if candidate is None:
        message = _create(
            key=idempotency_key(
                organisation=organisation, source_key=source_key, recipient=recipient, channel=skipped[0].channel
            ),
            values={**base, **suppressed_values(skipped, now)},
        )
        if message is None:
            return _existing(keys)
        _timeline(message, gettext_noop("%(channel)s · %(event)s: not sent: %(reason)s"), reason=message.error)
        return NotifyResult(messages=[message], skipped=skipped)

    values = {**base, **candidate_values(candidate, fallback, now)}
    if base["counts_toward_cap"] and _over_cap(customer=customer, unit=organisation, now=now):  # type: ignore[arg-type]
        values.update(cap_suppressed_values(now))
    elif customer is not None and not spec.urgent and candidate.channel in policy.QUIET_CHANNELS:
        until = policy.quiet_until(now, configuration.policy_for(organisation), organisation.timezone)
        if until is not None:
            values.update(status=Status.HELD, next_attempt_at=until)

    message = _create(
        key=idempotency_key(
            organisation=organisation, source_key=source_key, recipient=recipient, channel=candidate.channel
        ),
        values=values,
    )
    if message is None:
        return _existing(keys)
    if message.channel == Channel.INAPP:
        deliver_inapp(message, now=now)
    elif message.status == Status.SUPPRESSED:
        _timeline(message, gettext_noop("%(channel)s · %(event)s: not sent: %(reason)s"), reason=message.error)
    return NotifyResult(messages=[message], skipped=skipped)


def _existing(keys: list[str]) -> NotifyResult:
    return NotifyResult(messages=list(OutboxMessage.objects.filter(idempotency_key__in=keys)), duplicate=True)


def _create(*, key: str, values: dict[str, Any]) -> OutboxMessage | None:
    """Insert under the unique key; None when a concurrent transaction inserted it first."""
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(idempotency_key=key, **values)
    except IntegrityError:
        if OutboxMessage.objects.filter(idempotency_key=key).exists():
            return None
        raise


def _over_cap(*, customer: Customer, unit: OrgUnit, now: datetime) -> bool:
    cap = configuration.policy_for(unit).daily_cap
    # One writer per customer at a time, so two events at once cannot both take the last place.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    day_start = policy.local_day_start(now, unit.timezone)
    used = (
        OutboxMessage.objects.filter(customer=customer, counts_toward_cap=True, created_at__gte=day_start)
        .exclude(status__in=[Status.SUPPRESSED, Status.CANCELLED])
        .values("source_key")
        .distinct()
        .count()
    )
    return used >= cap


def notify_staff(
    *,
    event: str,
    organisation: OrgUnit,
    source_key: str,
    context: dict[str, Any],
    members: Iterable[Membership],
    url: str = "",
) -> list[NotifyResult]:
    return [
        notify(event=event, organisation=organisation, source_key=source_key, context=context, membership=m, url=url)
        for m in members
    ]


def deliver_inapp(message: OutboxMessage, *, now: datetime | None = None) -> InAppNotification:
    """In-app messages are delivered in the transaction that asks for them: the bell row is the delivery."""
    now = now or timezone.now()
    note, _created = InAppNotification.objects.get_or_create(
        message=message,
        defaults={
            "membership_id": message.membership_id,
            "event": message.event,
            "title": message.subject or events.get(message.event).label,
            "body": message.body,
            "url": message.url,
            "is_urgent": message.is_urgent,
            "created_at": now,
        },
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.DELIVERED, sent_at=now, delivered_at=now, finished_at=now, next_attempt_at=None, attempts=1
    )
    message.status, message.sent_at, message.delivered_at = Status.DELIVERED, now, now
    return note


def html_body(body: str) -> str:
    return linebreaks(escape(body))


def _timeline(message: OutboxMessage, text: str, **params: Any) -> None:
    """Messages to customers are on their timeline: what was sent, how, and what became of it.
    `text` is a gettext_noop msgid with %(channel)s and %(event)s."""
    if message.customer_id is None:
        return
    from kefu.customers.services import timeline_record

    summary = stored_text(text, channel=Channel(message.channel).label, event=events.get(message.event).label, **params)
    timeline_record(
        customer=message.customer,  # type: ignore[arg-type]
        kind=f"notification.{message.status}",
        summary=summary,
        target=message,
        data={"channel": message.channel, "event": message.event, "status": message.status},
    )


def _recipient_of(message: OutboxMessage) -> Recipient:
    return Recipient(type=message.recipient_type, customer=message.customer, membership=message.membership)


def plan_fallback(message: OutboxMessage, *, now: datetime | None = None) -> OutboxMessage | None:
    """After `message` failed for good, try the next channel of its event's fallback order.
    Runs inside the transaction that records the failure, so the two land together."""
    now = now or timezone.now()
    if not message.fallback:
        return None
    spec = events.get(message.event)
    unit = message.organisation
    recipient = _recipient_of(message)
    candidate, rest, skipped = _plan(
        unit=unit, event=spec, recipient=recipient, channels=list(message.fallback), context=dict(message.context)
    )
    if candidate is None:
        logger.info("no fallback channel left", extra={"message_id": message.pk, "skipped": [s.code for s in skipped]})
        return None
    status, next_at = Status.PENDING, now
    if message.customer_id is not None and not message.is_urgent and candidate.channel in policy.QUIET_CHANNELS:
        until = policy.quiet_until(now, configuration.policy_for(unit), unit.timezone)
        if until is not None:
            status, next_at = Status.HELD, until
    created = _create(
        key=idempotency_key(
            organisation=unit, source_key=message.source_key, recipient=recipient, channel=candidate.channel
        ),
        values={
            "organisation": unit,
            "event": message.event,
            "source_key": message.source_key,
            "recipient_type": message.recipient_type,
            "customer_id": message.customer_id,
            "membership_id": message.membership_id,
            "recipient_name": message.recipient_name,
            "context": message.context,
            "url": message.url,
            "is_urgent": message.is_urgent,
            "purpose": message.purpose,
            "counts_toward_cap": False,
            **candidate_values(candidate, rest, now),
            "previous": message,
            "status": status,
            "next_attempt_at": next_at,
        },
    )
    if created is not None and created.channel == Channel.INAPP:
        deliver_inapp(created, now=now)
    return created


@transaction.atomic
def report_delivery(*, config: Any, reports: Iterable[Any], now: datetime | None = None) -> int:
    """Apply a provider's delivery reports (kefu.notifications.channels.reports.StatusReport) to
    the messages they are about; only messages of the configuration's unit and below, on its
    channel. A failed delivery moves on to the event's next channel. Returns how many matched."""
    from kefu.core.scoping import visible_to_unit
    from kefu.notifications.models import DeliveryAttempt

    now = now or timezone.now()
    matched = 0
    scope = visible_to_unit(OutboxMessage, config.organisation).filter(
        channel=config.channel, status__in=[Status.SENT, Status.DELIVERED, Status.FAILED]
    )
    for report in reports:
        lookup = scope.filter(provider_message_id=report.provider_message_id) if report.provider_message_id else None
        if (lookup is None or not lookup.exists()) and report.idempotency_key:
            lookup = scope.filter(idempotency_key=report.idempotency_key)
        message = (
            lookup.select_for_update(of=("self",)).select_related("organisation", "customer").first()
            if lookup is not None
            else None
        )
        if message is None:
            logger.info("delivery report for no known message", extra={"channel": config.channel})
            continue
        matched += 1
        already = message.delivered_at is not None or message.status == Status.FAILED
        DeliveryAttempt.objects.create(
            message=message,
            number=message.attempts,
            started_at=report.at or now,
            finished_at=now,
            outcome=DeliveryAttempt.Outcome.DELIVERED if report.delivered else DeliveryAttempt.Outcome.UNDELIVERED,
            error_code=report.code[:60],
            error=report.description[:500],
            provider_message_id=report.provider_message_id[:100],
            worker="callback",
        )
        if already:
            continue  # a provider repeating its report changes nothing more
        if report.delivered:
            OutboxMessage.objects.filter(pk=message.pk).update(status=Status.DELIVERED, delivered_at=report.at or now)
            message.status = Status.DELIVERED
            _timeline(message, gettext_noop("%(channel)s · %(event)s: delivered"))
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=Status.FAILED, error_code=report.code[:60], error=report.description[:500]
            )
            message.status = Status.FAILED
            _timeline(
                message,
                gettext_noop("%(channel)s · %(event)s: not delivered: %(reason)s"),
                reason=report.description or report.code,
            )
            plan_fallback(message, now=now)
    return matched
