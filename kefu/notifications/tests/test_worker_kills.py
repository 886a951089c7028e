"""Outbox workers killed with SIGKILL again and again while 1,000 messages go out.

Real `manage.py deliver_outbox` processes deliver to a local Aliyun SMS that deduplicates by our
key (OutId); this test kills one every few tenths of a second and starts another. Afterwards no
message is lost, none is stuck in "sending", the provider accepted each message exactly once,
and every repeat it saw comes from an attempt the log shows as interrupted.

Worker processes need to see the test's rows, so this runs on PostgreSQL (a shared server);
SQLite's test database lives in the test process's memory.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.fakes.aliyun_sms import ACCESS_KEY_SECRET, TEMPLATE_CODE, FakeAliyunSms
from kefu.notifications.models import DeliveryAttempt, OutboxMessage, Status
from kefu.notifications.tests.helpers import approved_template, configure

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes need a database server they can share"
)

MESSAGES = 1000
ROOT = Path(settings.BASE_DIR)


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "KEFU_OUTBOX_LEASE_SECONDS": "2",
        "KEFU_LOG_LEVEL": "WARNING",
    }


def _start(env: dict[str, str], n: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "deliver_outbox", "--batch", "10", "--idle", "0.1", "--worker", f"w{n}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _seed(city) -> None:
    from kefu.notifications.services import notify

    customer = CustomerFactory(organisation=city, mobile="13812345678")
    first = notify(
        event="ticket.reply",
        organisation=city,
        source_key="kill:0",
        customer=customer,
        context={
            "customer_name": "王先生",
            "ticket_number": "KF1",
            "kind": "投诉",
            "unit": "1栋",
            "link": "l",
            "reply": "r",
            "agent_name": "a",
        },
    ).messages[0]
    rows = []
    for i in range(1, MESSAGES):
        clone = OutboxMessage(
            **{
                f.attname: getattr(first, f.attname)
                for f in OutboxMessage._meta.concrete_fields
                if f.attname not in ("id", "idempotency_key", "source_key")
            }
        )
        clone.source_key = f"kill:{i}"
        clone.idempotency_key = f"kill:{i}"
        rows.append(clone)
    OutboxMessage.objects.bulk_create(rows, batch_size=500)
    # Urgent, so that quiet hours never hold them whatever the time of the run.
    OutboxMessage.objects.update(is_urgent=True, status=Status.PENDING, next_attempt_at=timezone.now())


def test_sigkilled_workers_lose_nothing_and_double_nothing(transactional_db, city):
    with FakeAliyunSms() as fake:
        config = fake.channel_settings()
        configure(city, "sms", dict(config.settings), access_key_secret=ACCESS_KEY_SECRET)
        approved_template(
            city, "ticket.reply", "sms", code=TEMPLATE_CODE, params={"ticket": "{ticket_number}", "status": "新回复"}
        )
        _seed(city)
        assert OutboxMessage.objects.filter(status=Status.PENDING).count() == MESSAGES

        env = _worker_env()
        rng = random.Random(6)
        workers = [_start(env, n) for n in range(3)]
        started, kills, n = time.monotonic(), 0, 3
        while time.monotonic() - started < 90:
            time.sleep(rng.uniform(0.15, 0.5))
            victim = workers.pop(rng.randrange(len(workers)))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
            workers.append(_start(env, n))
            n += 1
            if not OutboxMessage.objects.exclude(status=Status.SENT).exists():
                break
            if kills >= 25:
                break
        # Let the survivors finish; leases of the killed ones run out after 2 s.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and OutboxMessage.objects.exclude(status=Status.SENT).exists():
            time.sleep(0.2)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=20)

        assert kills >= 5
        statuses = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
        assert statuses == {Status.SENT: MESSAGES}, statuses
        assert not DeliveryAttempt.objects.filter(finished_at__isnull=True).exists()
        out_ids = [sms.out_id for sms in fake.accepted]
        assert len(out_ids) == MESSAGES and len(set(out_ids)) == MESSAGES
        interrupted = DeliveryAttempt.objects.filter(outcome="interrupted").count()
        assert fake.duplicates <= interrupted, f"{kills} kills, {interrupted} interrupted, {fake.duplicates} repeats"
