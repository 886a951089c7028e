"""A hundred identical submissions racing on PostgreSQL make exactly one ticket.

SQLite lets one writer in at a time, so the race only exists (and is only tested) on PostgreSQL,
with real transactions in real threads. The server allows 100 connections in all, shared with
other test runs, so 50 threads send two copies each; the first 50 leave together.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kefu.customers.models import Household
from kefu.portal import submissions
from kefu.portal.models import PortalSubmission
from kefu.portal.tests.helpers import resident
from kefu.tickets.models import Ticket, TicketEvent

THREADS = 50
COPIES_EACH = 2

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite allows one writer at a time; the race needs PostgreSQL"
    ),
]


def test_a_hundred_identical_submissions_make_one_ticket(transactional_db, city):
    customer = resident(city)
    unit = Household.objects.get(customer=customer).unit
    start = threading.Barrier(THREADS)
    answers: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            start.wait()
            for _ in range(COPIES_EACH):
                submitted = submissions.request_submit(
                    customer=customer,
                    unit=unit,
                    kind="repair",
                    description="厨房水管爆裂",
                    photos=[],
                    key="race-key-0001",
                )
                with lock:
                    answers.append(submitted.ticket.pk)
        except BaseException as exc:  # a thread's failure must reach the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    ticket = Ticket.objects.get()
    assert answers == [ticket.pk] * (THREADS * COPIES_EACH)
    assert PortalSubmission.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CREATED).count() == 1
