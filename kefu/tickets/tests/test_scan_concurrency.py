"""The SLA scan on several workers at once: each ticket is escalated once, closed tickets never.

SQLite lets one writer in at a time, so these races only exist (and are only tested) on PostgreSQL,
with real transactions in real threads.
"""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections, transaction

from kefu.core.roles import Role
from kefu.standards.tests.factories import SlaPolicyFactory
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.scan import sla_scan
from kefu.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite allows one writer at a time; the race needs PostgreSQL"
)
LATE = datetime(2025, 3, 12, 12, 0, tzinfo=SH)


@pytest.fixture
def breaching(transactional_db, city, make_staff):
    make_staff(city, Role.SUPERVISOR)
    agent = make_staff(city, Role.AGENT)
    SlaPolicyFactory(organisation=city, first_response_time=timedelta(hours=1), resolution_time=timedelta(hours=2))
    with time_machine.travel(datetime(2025, 3, 4, 9, 0, tzinfo=SH), tick=False):
        return [TicketFactory(actor=agent) for _ in range(40)]


def _run_in_threads(count: int, work) -> list[BaseException]:
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # a thread's failure must reach the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_sla_scan_on_four_workers_escalates_each_ticket_once(breaching):
    failures = _run_in_threads(4, lambda: sla_scan(now=LATE, batch=7))

    assert failures == []
    # A week late: each ticket reaches the supervisor, then the head, once each.
    for level in (1, 2):
        escalations = TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED, data__level=level)
        assert sorted(escalations.values_list("ticket_id", flat=True)) == sorted(t.pk for t in breaching)
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.BREACHED).count() == 2 * len(breaching)
    assert set(Ticket.objects.values_list("escalation_level", flat=True)) == {2}


def test_sla_scan_does_not_escalate_a_ticket_closed_while_it_runs(breaching):
    target = breaching[0]
    locked = threading.Event()
    release = threading.Event()

    def close_slowly() -> None:
        try:
            with transaction.atomic():
                ticket = Ticket.objects.select_for_update().get(pk=target.pk)
                locked.set()
                release.wait(timeout=10)
                ticket.status = Ticket.Status.CLOSED
                ticket.closed_at = LATE
                ticket.save(update_fields=["status", "closed_at"])
        finally:
            connections.close_all()

    closer = threading.Thread(target=close_slowly)
    closer.start()
    locked.wait(timeout=10)

    first = sla_scan(now=LATE)
    release.set()
    closer.join()
    second = sla_scan(now=LATE)

    assert first.resolution_breached == len(breaching) - 1
    assert second.resolution_breached == 0
    assert not TicketEvent.objects.filter(ticket_id=target.pk, kind=TicketEvent.Kind.ESCALATED).exists()
    target.refresh_from_db()
    assert target.status == Ticket.Status.CLOSED
    assert target.escalation_level == 0
