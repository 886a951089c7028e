"""Notifications outbox (issue 6): delivery throughput and the cost of asking for a message.

- Throughput: 5,000 due SMS messages delivered by two `manage.py deliver_outbox` processes to a
  local Aliyun SMS (kefu.notifications.fakes.aliyun_sms, which checks every signature), in
  messages per second, wall clock from the workers' start to the last message sent.
- Cost added to a business transaction: a transaction that writes a customer timeline entry,
  with and without a `notify()` of a ticket reply by SMS (p50/p95 and queries added).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.run import percentiles
from kefu.customers.models import Customer
from kefu.customers.services import customer_create, timeline_record
from kefu.notifications import configuration
from kefu.notifications.fakes.aliyun_sms import ACCESS_KEY_SECRET, TEMPLATE_CODE, FakeAliyunSms
from kefu.notifications.models import ChannelConfig, DeliveryAttempt, MessageTemplate, OutboxMessage, Status
from kefu.notifications.services import notify
from kefu.orgs.models import OrgUnit

MESSAGES = 5_000
WORKERS = 2
SAMPLES = 300
ROOT = Path(settings.BASE_DIR)
CONTEXT = {
    "customer_name": "王先生",
    "ticket_number": "KF1",
    "kind": "投诉",
    "unit": "1栋",
    "link": "https://kefu.example.com/",
    "reply": "明天上门",
    "agent_name": "李娜",
}


def _unit() -> OrgUnit:
    unit = OrgUnit.objects.filter(code="bench-outbox").first()
    if unit is None:
        unit = OrgUnit.objects.create(name="基准消息单位", code="bench-outbox", kind=OrgUnit.Kind.GROUP, path="x")
        unit.path = f"{unit.pk:06d}."
        unit.save(update_fields=["path"])
    return unit


def _configure(unit: OrgUnit, fake: FakeAliyunSms) -> None:
    ChannelConfig.objects.filter(organisation=unit).delete()
    config = ChannelConfig(
        organisation=unit,
        channel="sms",
        settings=dict(fake.channel_settings().settings),
        callback_key=f"bench-{time.time_ns()}",
    )
    configuration.write_secrets(config, {"access_key_secret": ACCESS_KEY_SECRET})
    config.save()
    MessageTemplate.objects.update_or_create(
        organisation=unit,
        event="ticket.reply",
        channel="sms",
        defaults={
            "body": "{customer_name}您好，您的{kind}{ticket_number}有新回复。",
            "provider_template": TEMPLATE_CODE,
            "provider_params": {"ticket": "{ticket_number}", "status": "新回复"},
            "is_approved": True,
        },
    )


def _customer(unit: OrgUnit) -> Customer:
    return Customer.objects.filter(organisation=unit).first() or customer_create(
        actor=None, organisation=unit, name="基准客户", mobile="13812345678"
    )


def _seed(unit: OrgUnit, customer: Customer) -> None:
    run = time.time_ns()
    first = notify(
        event="ticket.reply", organisation=unit, source_key=f"bench:{run}:0", customer=customer, context=CONTEXT
    ).messages[0]
    fields = [f.attname for f in OutboxMessage._meta.concrete_fields if f.attname not in ("id",)]
    rows = []
    for i in range(1, MESSAGES):
        clone = OutboxMessage(**{name: getattr(first, name) for name in fields})
        clone.source_key = clone.idempotency_key = f"bench:{run}:{i}"
        rows.append(clone)
    OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    OutboxMessage.objects.filter(source_key__startswith=f"bench:{run}:").update(
        is_urgent=True, status=Status.PENDING, next_attempt_at=timezone.now()
    )


def _throughput(unit: OrgUnit, customer: Customer, fake: FakeAliyunSms) -> None:
    OutboxMessage.objects.filter(organisation=unit).delete()
    _seed(unit, customer)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    started = time.perf_counter()
    workers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "deliver_outbox", "--until-empty", "--batch", "50", "--worker", f"bench{n}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.wait()
    elapsed = time.perf_counter() - started
    sent = OutboxMessage.objects.filter(organisation=unit, status=Status.SENT).count()
    attempts = DeliveryAttempt.objects.filter(message__organisation=unit).count()
    print(
        f"{'outbox: 2 workers → local Aliyun SMS':<42} {MESSAGES:,} messages      "
        f"{sent / elapsed:8.0f} msg/s   ({sent:,} sent in {elapsed:.1f} s, {attempts:,} attempts, "
        f"{len(fake.accepted):,} accepted, {fake.duplicates} duplicates)"
    )


def _transaction_cost(unit: OrgUnit, customer: Customer) -> None:
    def business(with_message: bool, n: int) -> None:
        with transaction.atomic():
            timeline_record(customer=customer, kind="bench", summary="基准业务操作")
            if with_message:
                notify(
                    event="ticket.reply",
                    organisation=unit,
                    source_key=f"bench-cost:{time.time_ns()}:{n}",
                    customer=customer,
                    context=CONTEXT,
                )

    results = {}
    for with_message in (False, True):
        samples = []
        queries = 0
        for n in range(SAMPLES):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                business(with_message, n)
                samples.append(time.perf_counter() - start)
            queries = len(ctx.captured_queries)
        results[with_message] = (*percentiles(samples), queries)
    base, with_notify = results[False], results[True]
    print(
        f"{'outbox: cost of notify() in a transaction':<42} {SAMPLES} transactions      "
        f"p50 +{with_notify[0] - base[0]:.2f} ms   p95 +{with_notify[1] - base[1]:.2f} ms   "
        f"queries +{with_notify[2] - base[2]} (transaction alone: p50 {base[0]:.2f} ms, {base[2]} queries)"
    )


def run() -> None:
    unit = _unit()
    customer = _customer(unit)
    with FakeAliyunSms() as fake:
        _configure(unit, fake)
        _transaction_cost(unit, customer)
        _throughput(unit, customer, fake)
