"""`notify_many`: the same messages `notify()` writes, for many customers at once.

A survey sent to every owner of a project asks for tens of thousands of messages in one go;
`notify()` spends about eleven queries on each. Here the unit's configuration, route, templates
and policy are resolved once per call, the customers' contact methods, consents and today's
message counts are read with one query each, and the messages are written with one bulk insert
under the idempotency keys `notify()` uses, so a later `notify()` for the same occurrence finds
them, and the other way round. Customers only: staff and endpoints go through `notify()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.customers.models import Consent, ContactMethod, Customer
from kefu.notifications import configuration, events, policy, services
from kefu.notifications.models import Channel, OutboxMessage, RecipientType, Status
from kefu.notifications.rendering import TemplateProblem, check_size, render
from kefu.notifications.services import (
    CONSENT_CHANNEL,
    Candidate,
    NotifyResult,
    Recipient,
    Rendered,
    Skip,
    _address,
    _jsonable,
    _timeline,
    idempotency_key,
    render_for,
)
from kefu.orgs.models import OrgUnit

Item = tuple[Customer, str, dict[str, Any]]


@dataclass
class _Source:
    """What `render_for` reads from the database for one channel, read once per call."""

    subject: str
    body: str
    provider_template: str
    provider_params: dict[str, str]
    template_id: int | None
    template_version: int
    problem: TemplateProblem | None = None


def _source(unit: OrgUnit, event: events.Event, channel: str, sample: dict[str, Any]) -> _Source:
    template = configuration.template_for(unit, event.key, channel)
    if template is not None:
        source = _Source(
            template.subject,
            template.body,
            template.provider_template,
            dict(template.provider_params),
            template.pk,
            template.version,
        )
    else:
        text = event.texts.get(channel)
        source = _Source(text.subject if text else "", text.body if text else "", "", {}, None, 0)
    try:
        # render_for's own checks (no text, no provider template, not approved) do not depend on
        # the customer: asked once with the first context, they hold for the whole call.
        render_for(unit=unit, event=event, channel=channel, context=sample)
    except TemplateProblem as problem:
        if problem.code in ("template.none", "template.no_provider_template", "template.not_approved"):
            source.problem = problem
    return source


def _render(source: _Source, channel: str, context: dict[str, Any]) -> Rendered:
    """render_for's rendering, from the source read once."""
    if source.problem is not None:
        raise source.problem
    values = _jsonable(context)
    subject = render(source.subject, values)
    body = render(source.body, values)
    params = {name: render(text, values) for name, text in source.provider_params.items()}
    check_size(channel, subject=subject, body=body, params=params)
    return Rendered(
        subject=subject,
        body=body,
        provider_template=source.provider_template,
        params=params,
        template_id=source.template_id,
        template_version=source.template_version,
    )


def _channel_skip(channel: str, configured: set[str]) -> Skip | None:
    """The reasons a channel cannot reach any customer of the unit (as `_candidate` words them)."""
    if channel == Channel.INAPP:
        return Skip(channel, "channel.not_for_recipient", _("In-app messages are for staff only."))
    if channel not in configured:
        return Skip(
            channel,
            "channel.not_configured",
            _("%(channel)s is not set up for this unit.") % {"channel": Channel(channel).label},
        )
    if channel == Channel.WEBHOOK:
        return Skip(channel, "channel.not_for_recipient", _("Webhooks reach integration endpoints only."))
    if channel == Channel.WECOM:
        return Skip(channel, "channel.not_for_recipient", _("WeCom reaches staff only."))
    return None


def _consents(customer_ids: list[int], purpose: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    rows = Consent.objects.filter(customer_id__in=customer_ids, purpose=purpose, withdrawn_at__isnull=True)
    for customer_id, channel in rows.values_list("customer_id", "channel"):
        found[customer_id].add(channel)
    return found


def _contacts(customer_ids: list[int]) -> dict[int, list[ContactMethod]]:
    found: dict[int, list[ContactMethod]] = defaultdict(list)
    for contact in ContactMethod.objects.filter(customer_id__in=customer_ids):  # primary first
        found[contact.customer_id].append(contact)
    return found


def _used_today(customer_ids: list[int], unit: OrgUnit, now: datetime) -> dict[int, int]:
    """Per customer, what `_over_cap` counts: today's capped occurrences that went or will go out."""
    day_start = policy.local_day_start(now, unit.timezone)
    rows = (
        OutboxMessage.objects.filter(customer_id__in=customer_ids, counts_toward_cap=True, created_at__gte=day_start)
        .exclude(status__in=[Status.SUPPRESSED, Status.CANCELLED])
        .values("customer_id")
        .annotate(used=Count("source_key", distinct=True))
    )
    return {row["customer_id"]: row["used"] for row in rows}


@transaction.atomic
def notify_many(
    *,
    event: str,
    organisation: OrgUnit,
    items: Sequence[Item],
    now: datetime | None = None,
) -> dict[tuple[int, str], NotifyResult]:
    """Ask for `event` to reach each (customer, source_key, context) of `items`, as `notify()`
    would one by one. Returns each item's result by (customer id, source key); an occurrence
    asked for before comes back with `duplicate` set and no second message."""
    spec = events.get(event)
    now = now or timezone.now()
    results: dict[tuple[int, str], NotifyResult] = {}
    if not items:
        return results
    enabled, route = configuration.route_for(organisation, spec)

    def keys_of(customer: Customer, source_key: str) -> list[str]:
        recipient = Recipient(type=RecipientType.CUSTOMER, customer=customer)
        return [
            idempotency_key(organisation=organisation, source_key=source_key, recipient=recipient, channel=c)
            for c in spec.channels
        ]

    all_keys = {
        key: (customer.pk, source_key) for customer, source_key, _c in items for key in keys_of(customer, source_key)
    }
    existing: dict[tuple[int, str], list[OutboxMessage]] = defaultdict(list)
    for message in OutboxMessage.objects.filter(idempotency_key__in=list(all_keys)).order_by("pk"):
        existing[all_keys[message.idempotency_key]].append(message)
    todo: list[Item] = []
    for customer, source_key, context in items:
        ident = (customer.pk, source_key)
        if ident in existing:
            results[ident] = NotifyResult(messages=existing[ident], duplicate=True)
        elif ident in results:
            continue  # the same occurrence twice in one call: one message
        elif not enabled or not route:
            results[ident] = NotifyResult()
        else:
            results[ident] = NotifyResult()
            todo.append((customer, source_key, context))
    if not todo:
        return results

    ids = sorted({customer.pk for customer, _s, _c in todo})
    configured = configuration.configured_channels(organisation)
    unit_skips = {channel: _channel_skip(channel, configured) for channel in route}
    sources = {
        channel: _source(organisation, spec, channel, todo[0][2]) for channel in route if unit_skips[channel] is None
    }
    contacts = _contacts(ids)
    consents = _consents(ids, spec.purpose) if spec.purpose != events.SERVICE else {}
    capped = spec.capped and not spec.urgent
    if capped:
        # One writer per customer at a time, as in `_over_cap`.
        list(Customer.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    used = _used_today(ids, organisation, now) if capped else {}
    cap = configuration.policy_for(organisation).daily_cap
    quiet = policy.quiet_until(now, configuration.policy_for(organisation), organisation.timezone)

    rows: list[OutboxMessage] = []
    skipped_of: dict[tuple[int, str], list[Skip]] = {}
    for customer, source_key, context in todo:
        recipient = Recipient(type=RecipientType.CUSTOMER, customer=customer)
        candidate, fallback, skipped = _plan_one(
            recipient=recipient,
            route=route,
            unit_skips=unit_skips,
            sources=sources,
            contacts=contacts.get(customer.pk, []),
            consents=consents.get(customer.pk, set()) if spec.purpose != events.SERVICE else None,
            context=context,
        )
        skipped_of[(customer.pk, source_key)] = skipped
        base = services.base_values(
            organisation=organisation, spec=spec, source_key=source_key, recipient=recipient, context=context, url=""
        )
        if candidate is None:
            values = {**base, **services.suppressed_values(skipped, now)}
        else:
            values = {**base, **services.candidate_values(candidate, fallback, now)}
            if capped and used.get(customer.pk, 0) >= cap:
                values.update(services.cap_suppressed_values(now))
            else:
                if capped:
                    used[customer.pk] = used.get(customer.pk, 0) + 1
                if not spec.urgent and candidate.channel in policy.QUIET_CHANNELS and quiet is not None:
                    values.update(status=Status.HELD, next_attempt_at=quiet)
        key = idempotency_key(
            organisation=organisation, source_key=source_key, recipient=recipient, channel=values["channel"]
        )
        rows.append(OutboxMessage(idempotency_key=key, **values))

    OutboxMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    # Read back: ignore_conflicts returns no ids, and a row a concurrent transaction wrote first
    # is that transaction's, reported as a duplicate like `notify()` does.
    mine = {row.idempotency_key: row for row in rows}
    stored = OutboxMessage.objects.filter(idempotency_key__in=list(mine)).select_related("customer")
    for message in stored:
        ident = all_keys[message.idempotency_key]
        ours = mine[message.idempotency_key]
        same = message.status == ours.status and message.body == ours.body and message.channel == ours.channel
        results[ident] = NotifyResult(messages=[message], skipped=skipped_of[ident], duplicate=not same)
        if same and message.status == Status.SUPPRESSED:
            _timeline(message, gettext_noop("%(channel)s · %(event)s: not sent: %(reason)s"), reason=message.error)
    return results


def _plan_one(
    *,
    recipient: Recipient,
    route: Sequence[str],
    unit_skips: dict[str, Skip | None],
    sources: dict[str, _Source],
    contacts: list[ContactMethod],
    consents: set[str] | None,
    context: dict[str, Any],
) -> tuple[Candidate | None, list[str], list[Skip]]:
    """`_plan` for one customer, from what was read for the whole call."""
    skipped: list[Skip] = []
    for index, channel in enumerate(route):
        skip = unit_skips[channel]
        if skip is None:
            address = _address(recipient, channel, contacts)
            if not address:
                skip = Skip(
                    channel,
                    "recipient.no_address",
                    _("%(name)s has no %(channel)s contact.")
                    % {"name": recipient.name, "channel": Channel(channel).label},
                )
            elif consents is not None and not consents & {Consent.Channel.ANY, CONSENT_CHANNEL.get(channel, channel)}:
                skip = Skip(
                    channel,
                    "recipient.no_consent",
                    _("The customer has not agreed to these messages on %(channel)s.")
                    % {"channel": Channel(channel).label},
                )
            else:
                try:
                    rendered = _render(sources[channel], channel, context)
                except TemplateProblem as problem:
                    skip = Skip(channel, problem.code, problem.message)
                else:
                    return Candidate(channel, address, rendered), list(route[index + 1 :]), skipped
        skipped.append(skip)
    return None, [], skipped
