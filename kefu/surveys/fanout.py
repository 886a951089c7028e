"""`invite_many`: send one survey to many customers (say every owner of a project).

The rows and the policy are `invite()`'s, customer by customer: one invitation per
(customer, source_key), the fatigue limit, survey consent, a skipped invitation with its reason,
a signed link per invitation and one outbox message on the first channel that reaches the
customer. The work is done in batches of BATCH customers with set-based queries: one query each
for the batch's earlier invitations, consents and fatigue counts, and bulk inserts for the
invitations, links and messages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from kefu.core.permissions import ensure_can
from kefu.core.texts import stored_text
from kefu.core.zones import zone_of
from kefu.customers.models import Consent, Customer
from kefu.notifications.bulk import notify_many
from kefu.notifications.models import OutboxMessage
from kefu.notifications.models import Status as MessageStatus
from kefu.orgs.models import Membership, OrgUnit
from kefu.portal.models import PortalLink
from kefu.portal.services import secret_hash
from kefu.surveys.models import Invitation, SurveyTemplate
from kefu.surveys.services import (
    INVITATION_EVENT,
    MANAGE,
    SURVEY_CHANNELS,
    Fatigue,
    Status,
    current_version,
    fatigue_policy_for,
    invite,
)

BATCH = 1000
# The source key _send() gives an invitation's message.
SOURCE_PREFIX = "survey:invitation:"


@dataclass
class FanOutResult:
    sent: int = 0
    skipped_fatigue: int = 0
    skipped_consent: int = 0
    duplicates: int = 0
    skipped_other: int = 0


def invite_many(
    *,
    actor: Membership,
    template: SurveyTemplate,
    customers: QuerySet[Customer],
    organisation: OrgUnit,
    source_key: str,
    subject: str,
    now: datetime | None = None,
    batch: int = BATCH,
) -> FanOutResult:
    """Ask each of `customers` about one occurrence (`source_key`), as `invite()` would, sending
    at once. Each batch is its own transaction, so a long fan-out holds no lock for long and an
    interrupted one can be run again: the customers already asked count as duplicates."""
    ensure_can(actor, MANAGE, organisation)
    now = now or timezone.now()
    result = FanOutResult()
    ids = list(customers.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            _batch(
                template=template,
                ids=ids[start : start + batch],
                organisation=organisation,
                source_key=source_key[:120],
                subject=subject,
                now=now,
                result=result,
            )
    return result


def _batch(
    *,
    template: SurveyTemplate,
    ids: list[int],
    organisation: OrgUnit,
    source_key: str,
    subject: str,
    now: datetime,
    result: FanOutResult,
) -> None:
    # One writer per customer at a time, as in invite().
    customers = list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    asked = set(
        Invitation.objects.filter(customer_id__in=ids, source_key=source_key).values_list("customer_id", flat=True)
    )
    result.duplicates += len(asked)
    customers = [c for c in customers if c.pk not in asked]
    if not customers:
        return
    policy = fatigue_policy_for(organisation)
    pending = [c.pk for c in customers]
    consenting = set(
        Consent.objects.filter(
            customer_id__in=pending,
            purpose=Consent.Purpose.SURVEY,
            withdrawn_at__isnull=True,
            channel__in=[Consent.Channel.ANY, *SURVEY_CHANNELS],
        ).values_list("customer_id", flat=True)
    )
    recent = dict(
        Invitation.objects.filter(customer_id__in=pending, send_at__gt=now - timedelta(days=policy.within_days))
        .exclude(status=Status.SKIPPED)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    version = current_version(template)
    context = {"survey_name": template.name, "staff_name": "", "project_name": ""}
    rows: list[Invitation] = []
    counters: dict[int, str] = {}
    for customer in customers:
        reason, counter = _reason(
            template=template,
            customer=customer,
            consenting=consenting,
            recent=recent.get(customer.pk, 0),
            policy=policy,
        )
        counters[customer.pk] = counter or "skipped_other"
        rows.append(
            Invitation(
                organisation=organisation,
                version=version,
                customer=customer,
                source_key=source_key,
                subject=subject[:200],
                context=dict(context),
                status=Status.SKIPPED if reason else Status.SCHEDULED,
                send_at=now,
                skip_reason=reason[:300],
            )
        )
    try:
        with transaction.atomic():
            Invitation.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent invite() asked one of them first: let invite() settle each, one by one.
        for customer in customers:
            before = Invitation.objects.filter(customer=customer, source_key=source_key).exists()
            invitation = invite(
                template=template,
                customer=customer,
                source_key=source_key,
                organisation=organisation,
                subject=subject,
                now=now,
            )
            if before:
                result.duplicates += 1
            elif invitation.status == Status.SENT:
                result.sent += 1
            else:
                _count(result, counters[customer.pk])
        return
    for invitation in rows:
        if invitation.status == Status.SKIPPED:
            _count(result, counters[invitation.customer_id])
    _send_many(rows=[r for r in rows if r.status == Status.SCHEDULED], template=template, now=now, result=result)


def _count(result: FanOutResult, counter: str) -> None:
    setattr(result, counter, getattr(result, counter) + 1)


def _reason(
    *, template: SurveyTemplate, customer: Customer, consenting: set[int], recent: int, policy: Fatigue
) -> tuple[str, str]:
    """invite()'s skip reason, in its order, and the counter it goes to."""
    if not template.is_active:
        return stored_text(gettext_noop("The survey %(name)s is archived."), name=template.name), "skipped_other"
    if customer.merged_into_id or customer.is_anonymised:
        return stored_text(gettext_noop("The customer record is closed.")), "skipped_other"
    if customer.pk not in consenting:
        return stored_text(gettext_noop("The customer has not agreed to receive surveys.")), "skipped_consent"
    if recent >= policy.max_invitations:
        return (
            stored_text(
                gettext_noop("The customer has had %(count)s surveys in %(days)s days, the most allowed."),
                count=recent,
                days=policy.within_days,
            ),
            "skipped_fatigue",
        )
    return "", ""


def _send_many(*, rows: list[Invitation], template: SurveyTemplate, now: datetime, result: FanOutResult) -> None:
    """_send() for a batch: a signed link each (as kefu.portal.links.make_link stores it), one
    bulk notify, and the invitations updated with what became of them."""
    if not rows:
        return
    unit = rows[0].organisation
    expires_at = now + timedelta(days=template.valid_days)
    expires = date_format(timezone.localtime(expires_at, zone_of(unit)), "n月j日")
    created = timezone.now()
    tokens: list[str] = []
    links: list[PortalLink] = []
    for invitation in rows:
        token = secrets.token_urlsafe(24)
        tokens.append(token)
        links.append(
            PortalLink(
                token_hash=secret_hash(token),
                customer_id=invitation.customer_id,
                action=PortalLink.Action.SURVEY,
                object_id=invitation.pk,
                created_at=created,
                expires_at=created + (expires_at - now),
                is_single_use=False,
            )
        )
    PortalLink.objects.bulk_create(links, batch_size=1000)
    items = []
    for invitation, token in zip(rows, tokens, strict=True):
        link = settings.KEFU_BASE_URL + reverse("portal:link", kwargs={"token": token})
        items.append(
            (
                invitation.customer,
                f"{SOURCE_PREFIX}{invitation.pk}",
                {
                    "customer_name": invitation.customer.name,
                    "survey_name": invitation.context.get("survey_name") or template.name,
                    "subject": invitation.subject,
                    "staff_name": invitation.context.get("staff_name", ""),
                    "link": link,
                    "link_code": token,
                    "expires": expires,
                },
            )
        )
    outcomes = notify_many(event=INVITATION_EVENT, organisation=unit, items=items, now=now)
    sent: list[int] = []
    skipped: list[Invitation] = []
    for invitation, (customer, key, _context) in zip(rows, items, strict=True):
        outcome = outcomes.get((customer.pk, key))
        message = outcome.messages[0] if outcome is not None and outcome.messages else None
        if message is None or message.status in (MessageStatus.SUPPRESSED, MessageStatus.CANCELLED):
            invitation.message = message
            invitation.status = Status.SKIPPED
            invitation.skip_reason = (
                message.error[:300]
                if message is not None and message.error
                else stored_text(gettext_noop("Survey invitations are switched off for this unit."))
            )
            invitation.updated_at = created
            skipped.append(invitation)
        else:
            sent.append(invitation.pk)
    result.sent += len(sent)
    result.skipped_other += len(skipped)
    Invitation.objects.bulk_update(skipped, ["status", "skip_reason", "message", "updated_at"], batch_size=1000)
    # One statement for the sent ones: bulk_update's CASE per row costs more than the rest of
    # the batch; each invitation's message is the one asked for under its source key.
    message_of = (
        OutboxMessage.objects.filter(
            source_key=Concat(Value(SOURCE_PREFIX), Cast(OuterRef("pk"), CharField())),
            customer_id=OuterRef("customer_id"),
        )
        .order_by("pk")
        .values("pk")[:1]
    )
    Invitation.objects.filter(pk__in=sent).update(
        status=Status.SENT, sent_at=now, expires_at=expires_at, updated_at=created, message=Subquery(message_of)
    )
