"""invite_many asks each customer what invite() would, in a few queries per batch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import OutboxMessage
from kefu.orgs.models import OrgUnit
from kefu.portal.models import PortalLink
from kefu.surveys.fanout import FanOutResult, invite_many
from kefu.surveys.models import Invitation, SurveyTemplate
from kefu.surveys.services import fatigue_policy_save, invite
from kefu.surveys.tests.factories import builtin, customer_who_agrees

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
KEY = "project:7:owners:2026-11"

pytestmark = pytest.mark.usefixtures("sms")


def _world(unit: OrgUnit, admin) -> list[Customer]:  # type: ignore[no-untyped-def]
    fatigue_policy_save(actor=admin, organisation=unit, max_invitations=1, within_days=30)
    tired = customer_who_agrees(unit, name="疲劳")
    invite(
        template=builtin(unit, SurveyTemplate.Kind.CSAT),
        customer=tired,
        source_key="earlier",
        organisation=unit,
        subject="上次",
        now=NOW - timedelta(days=3),
    )
    asked = customer_who_agrees(unit, name="已问")
    invite(
        template=builtin(unit, SurveyTemplate.Kind.CSAT),
        customer=asked,
        source_key=KEY,
        organisation=unit,
        subject="交付",
        now=NOW - timedelta(days=40),
    )
    fresh = [customer_who_agrees(unit, name=f"业主{n}") for n in range(4)]
    refused = CustomerFactory(organisation=unit, name="未同意")
    return [tired, asked, *fresh, refused]


def _snapshot() -> list[dict[str, Any]]:
    """Invitations and their messages, with what differs between two runs by construction left out."""
    rows = []
    for invitation in Invitation.objects.select_related("message").order_by("customer_id", "source_key"):
        message = invitation.message
        rows.append(
            {
                "customer": invitation.customer_id,
                "source_key": invitation.source_key,
                "status": invitation.status,
                "skip_reason": invitation.skip_reason,
                "sent_at": invitation.sent_at,
                "expires_at": invitation.expires_at,
                "context": invitation.context,
                "links": PortalLink.objects.filter(object_id=invitation.pk, action="survey").count(),
                "message": None
                if message is None
                else (
                    message.channel,
                    message.status,
                    message.address,
                    message.error_code,
                    message.params["name"],
                    message.body.rsplit("/m/l/", 1)[0],
                ),
            }
        )
    return rows


def test_invite_many_equals_invite_for_each_customer(db, city, admin):
    customers = _world(city, admin)
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    for customer in customers:
        invite(template=template, customer=customer, source_key=KEY, organisation=city, subject="交付", now=NOW)
    one_by_one = _snapshot()
    created = Invitation.objects.filter(send_at=NOW)
    messages = list(created.exclude(message=None).values_list("message_id", flat=True))
    PortalLink.objects.filter(object_id__in=list(created.values_list("pk", flat=True))).delete()
    created.delete()
    OutboxMessage.objects.filter(pk__in=messages).delete()

    result = invite_many(
        actor=admin,
        template=template,
        customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        organisation=city,
        source_key=KEY,
        subject="交付",
        now=NOW,
        batch=3,
    )

    assert _snapshot() == one_by_one
    assert result == FanOutResult(sent=4, skipped_fatigue=1, skipped_consent=1, duplicates=1)
    assert OutboxMessage.objects.filter(source_key__startswith="survey:invitation:").count() == 4 + 2


def test_invite_many_run_again_asks_nobody_twice(db, city, admin):
    customers = _world(city, admin)
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    kwargs = {
        "actor": admin,
        "template": template,
        "customers": Customer.objects.filter(pk__in=[c.pk for c in customers]),
        "organisation": city,
        "source_key": KEY,
        "subject": "交付",
        "now": NOW,
    }
    invite_many(**kwargs)
    count = (Invitation.objects.count(), OutboxMessage.objects.count(), PortalLink.objects.count())

    again = invite_many(**kwargs)

    assert again == FanOutResult(duplicates=len(customers))
    assert (Invitation.objects.count(), OutboxMessage.objects.count(), PortalLink.objects.count()) == count


def test_invite_many_costs_the_same_queries_for_more_customers(db, city, admin):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    few = [customer_who_agrees(city).pk for _ in range(2)]
    many = [customer_who_agrees(city).pk for _ in range(10)]

    def run(ids: list[int], key: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            result = invite_many(
                actor=admin,
                template=template,
                customers=Customer.objects.filter(pk__in=ids),
                organisation=city,
                source_key=key,
                subject="交付",
                now=NOW,
            )
        assert result.sent == len(ids)
        return len(ctx.captured_queries)

    assert run(many, "b") == run(few, "a")
