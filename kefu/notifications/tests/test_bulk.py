"""notify_many writes what notify() writes, one customer at a time, in a handful of queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.customers.models import Consent, Customer
from kefu.customers.services import consent_grant
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.bulk import notify_many
from kefu.notifications.models import OutboxMessage
from kefu.notifications.services import notify
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.orgs.models import OrgUnit

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
NIGHT = datetime(2026, 11, 23, 22, 30, tzinfo=SH)
SKIP_FIELDS = {"id", "created_at", "updated_at"}


@pytest.fixture
def sms(group: OrgUnit) -> None:
    configure(group, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(
        group,
        "survey.invitation",
        "sms",
        code="SMS_SURVEY",
        params={"name": "{customer_name}", "subject": "{subject}"},
        body="{customer_name}您好，请为{subject}评价：{link}",
    )


def _customers(unit: OrgUnit) -> list[Customer]:
    agreed = CustomerFactory(organisation=unit, name="王先生")
    consent_grant(actor=None, customer=agreed, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    sms_only = CustomerFactory(organisation=unit, name="李女士")
    consent_grant(
        actor=None,
        customer=sms_only,
        purpose=Consent.Purpose.SURVEY,
        method=Consent.Method.PAPER,
        channel=Consent.Channel.SMS,
    )
    refused = CustomerFactory(organisation=unit, name="张先生")  # no consent: suppressed
    return [agreed, sms_only, refused]


def _context(customer: Customer) -> dict[str, Any]:
    return {
        "customer_name": customer.name,
        "survey_name": "3-PRO服务评价",
        "subject": "交付",
        "staff_name": "",
        "link": f"https://kefu.example.com/m/l/{customer.pk}/",
        "link_code": str(customer.pk),
        "expires": "11月30日",
    }


def _rows() -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in row.items() if k not in SKIP_FIELDS} for row in OutboxMessage.objects.values()),
        key=lambda row: row["idempotency_key"],
    )


@pytest.mark.parametrize("now", [DAY, NIGHT], ids=["day", "quiet-hours"])
def test_notify_many_writes_the_rows_notify_writes(db, sms, city, now):
    customers = _customers(city)
    items = [(c, f"fanout:{c.pk}", _context(c)) for c in customers]
    for customer, key, context in items:
        notify(
            event="survey.invitation", organisation=city, source_key=key, customer=customer, context=context, now=now
        )
    one_by_one = _rows()
    OutboxMessage.objects.all().delete()

    results = notify_many(event="survey.invitation", organisation=city, items=items, now=now)

    assert _rows() == one_by_one
    assert {r["status"] for r in one_by_one} == ({"pending", "suppressed"} if now == DAY else {"held", "suppressed"})
    assert all(len(results[(c.pk, k)].messages) == 1 for c, k, _x in items)


def test_notify_many_applies_the_daily_cap_like_notify(db, sms, city):
    customer = _customers(city)[0]
    items = [(customer, f"fanout:{n}", _context(customer)) for n in range(5)]
    for c, key, context in items:
        notify(event="survey.invitation", organisation=city, source_key=key, customer=c, context=context, now=DAY)
    one_by_one = _rows()
    OutboxMessage.objects.all().delete()

    notify_many(event="survey.invitation", organisation=city, items=items, now=DAY)

    assert _rows() == one_by_one
    assert [r["error_code"] for r in one_by_one].count("policy.daily_cap") == 2


def test_notify_many_drops_duplicates(db, sms, city):
    customers = _customers(city)
    first = customers[0]
    notify(
        event="survey.invitation",
        organisation=city,
        source_key="fanout:x",
        customer=first,
        context=_context(first),
        now=DAY,
    )
    items = [(c, "fanout:x", _context(c)) for c in customers] + [(first, "fanout:x", _context(first))]

    results = notify_many(event="survey.invitation", organisation=city, items=items, now=DAY)
    again = notify_many(event="survey.invitation", organisation=city, items=items, now=DAY)

    assert OutboxMessage.objects.count() == 3
    assert results[(first.pk, "fanout:x")].duplicate
    assert not results[(customers[1].pk, "fanout:x")].duplicate
    assert all(result.duplicate for result in again.values())


def test_notify_many_costs_a_fixed_number_of_queries(db, sms, city):
    few = [(c, f"fanout:{c.pk}", _context(c)) for c in _customers(city)]
    more = [(c, f"fanout:{c.pk}", _context(c)) for c in _customers(city) + _customers(city) + _customers(city)]

    with CaptureQueriesContext(connection) as small:
        notify_many(event="survey.invitation", organisation=city, items=few, now=DAY)
    with CaptureQueriesContext(connection) as large:
        notify_many(event="survey.invitation", organisation=city, items=more, now=DAY)

    # The suppressed ones write a timeline entry each (as notify() does); the rest is fixed.
    assert len(large.captured_queries) - len(small.captured_queries) <= 2 * 3
