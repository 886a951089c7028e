"""Customer voice at scale (issue 5): 1,000,000 tickets of which 200,000 open, in five city companies.

Measures the SLA scan (time per 10,000 tickets that fall due, and a pass that finds nothing),
the ticket list page and API (p50/p95, query count) and the daily complaint report of one city company.
"""

import random
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from benchmarks.run import measure, report
from kefu.core.roles import Role
from kefu.customers.models import Customer
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create
from kefu.standards.models import RequestKind, SlaPolicy
from kefu.tickets.models import Channel, Ticket, TicketEvent
from kefu.tickets.scan import sla_scan

TOTAL = 1_000_000
OPEN = 200_000
DUE_NOW = 10_000
CITIES = 5
DAYS = 730
RECENT_DAYS = 30
PASSWORD = "Bench-pass-2026!"


def _cities(admin: Membership) -> list[OrgUnit]:
    cities = []
    for n in range(CITIES):
        code = f"bench-city-{n}"
        unit = OrgUnit.objects.filter(code=code).first() or unit_create(
            actor=admin, parent=admin.unit, name=f"基准城市公司{n}", code=code, kind=OrgUnit.Kind.CITY_COMPANY
        )
        cities.append(unit)
    return cities


def _supervisor(city: OrgUnit) -> Membership:
    existing = Membership.objects.filter(user__username=f"bench-sup-{city.code}").first()
    return existing or staff_create(
        actor=None,
        unit=city,
        username=f"bench-sup-{city.code}",
        name="基准主管",
        password=PASSWORD,
        roles=[Role.SUPERVISOR],
    )


def _seed(admin: Membership, cities: list[OrgUnit]) -> None:
    if Ticket.objects.filter(number__startswith="B").count() >= TOTAL:
        return
    Ticket.objects.filter(number__startswith="B").delete()
    start = time.perf_counter()
    rng = random.Random(5)
    customers = list(Customer.objects.filter(organisation=admin.unit).values_list("id", flat=True)[:100_000])
    agents = [_supervisor(city) for city in cities]
    policy = SlaPolicy.objects.filter(organisation=admin.unit).first() or SlaPolicy.objects.create(
        organisation=admin.unit,
        name="基准标准",
        first_response_time=timedelta(hours=2),
        resolution_time=timedelta(hours=16),
    )
    now = timezone.now()
    open_ids = set(rng.sample(range(TOTAL), OPEN))
    due_now = set(rng.sample(sorted(open_ids), DUE_NOW))
    kinds = [RequestKind.REPAIR, RequestKind.REPAIR, RequestKind.COMPLAINT, RequestKind.INQUIRY]
    batch = 5000
    for offset in range(0, TOTAL, batch):
        rows = []
        for n in range(offset, offset + batch):
            city = n % CITIES
            received = now - timedelta(minutes=rng.randint(60, DAYS * 24 * 60))
            is_open = n in open_ids
            if n in due_now:
                # Fell due in the last hour and nobody has noticed yet: the scan's work.
                received = now - timedelta(days=3)
                due = now - timedelta(minutes=rng.randint(1, 59))
                breached = None
            elif is_open:
                due = received + timedelta(days=2)
                breached = due if due < now else None
            else:
                due = received + timedelta(days=2)
                breached = None
            rows.append(
                Ticket(
                    organisation_id=cities[city].pk,
                    number=f"B{n:09d}",
                    kind=kinds[n % len(kinds)],
                    channel=Channel.PHONE,
                    customer_id=customers[n % len(customers)],
                    title=f"基准工单{n}",
                    description="业主反映问题。",
                    status=Ticket.Status.IN_PROGRESS if is_open else Ticket.Status.CLOSED,
                    received_at=received,
                    first_responder_id=agents[city].pk,
                    assignee_id=agents[city].pk,
                    sla_policy_id=policy.pk,
                    first_response_due_at=received + timedelta(hours=2),
                    first_responded_at=received + timedelta(minutes=30),
                    resolution_due_at=due,
                    resolution_warn_at=due - timedelta(hours=3),
                    warned_at=due - timedelta(hours=3) if breached else None,
                    resolution_breached_at=breached,
                    escalation_level=2 if breached else 0,
                    head_escalation_due_at=due + timedelta(hours=4),
                    resolved_at=None if is_open else received + timedelta(hours=20),
                    closed_at=None if is_open else received + timedelta(hours=30),
                    resolution="已处理" if not is_open else "",
                )
            )
        Ticket.objects.bulk_create(rows, batch_size=1000)
    recent = Ticket.objects.filter(number__startswith="B", received_at__gte=now - timedelta(days=RECENT_DAYS))
    events = []
    rows = recent.values_list("id", "received_at", "assignee_id", "resolved_at")
    for ticket_id, received, assignee, resolved in rows.iterator():
        events.append(TicketEvent(ticket_id=ticket_id, kind="created", actor_id=assignee, created_at=received))
        if resolved is not None:
            events.append(TicketEvent(ticket_id=ticket_id, kind="resolved", actor_id=assignee, created_at=resolved))
        events.append(
            TicketEvent(
                ticket_id=ticket_id,
                kind="reply",
                actor_id=assignee,
                body="您好，已安排处理。",
                created_at=received + timedelta(minutes=30),
            )
        )
        if len(events) >= 10_000:
            TicketEvent.objects.bulk_create(events, batch_size=2000)
            events = []
    TicketEvent.objects.bulk_create(events, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {TOTAL:,} tickets ({OPEN:,} open) in {time.perf_counter() - start:.1f} s")


def _reset_due_now() -> int:
    """Put the 10,000 'fell due in the last hour' tickets back, so every run measures the same work."""
    now = timezone.now()
    ids = list(
        TicketEvent.objects.filter(kind__in=["breached", "escalated"], ticket__number__startswith="B").values_list(
            "ticket_id", flat=True
        )
    )
    TicketEvent.objects.filter(kind__in=["breached", "escalated", "warned"], ticket__number__startswith="B").delete()
    Ticket.objects.filter(pk__in=set(ids)).update(
        resolution_breached_at=None, escalation_level=0, escalated_at=None, resolution_due_at=now - timedelta(minutes=5)
    )
    return len(set(ids))


def run() -> None:
    admin = Membership.objects.get(user__username="bench-admin")
    cities = _cities(admin)
    _seed(admin, cities)
    _reset_due_now()
    size = f"{TOTAL:,} tickets, {OPEN:,} open"

    start = time.perf_counter()
    result = sla_scan(batch=500)
    elapsed = time.perf_counter() - start
    handled = result.resolution_breached
    per_10k = elapsed / max(handled, 1) * 10_000
    print(
        f"{'SLA scan: tickets falling due':<42} {size:<22} {handled:,} breached + escalated in {elapsed:.1f} s"
        f" = {per_10k:.1f} s per 10,000"
    )
    start = time.perf_counter()
    idle = sla_scan(batch=500)
    print(
        f"{'SLA scan: a pass with nothing due':<42} {size:<22} {(time.perf_counter() - start) * 1000:.0f} ms"
        f" (found {idle.resolution_breached})"
    )

    supervisor = _supervisor(cities[0])
    city_size = f"{Ticket.objects.filter(organisation=cities[0]).count():,} tickets in one city"
    for who, member, label in (("group admin", admin, size), ("city supervisor", supervisor, city_size)):
        client = Client()
        client.force_login(member.user)
        try:
            list_url = reverse("tickets:ticket_list")
        except NoReverseMatch:
            return
        report(f"ticket list page ({who})", label, measure(client, [list_url], repeat=15))
        report(
            f"ticket list page, filtered ({who})",
            label,
            measure(
                client, [f"{list_url}?status=open", f"{list_url}?q=B000012345", f"{list_url}?breached=1"], repeat=5
            ),
        )
        report(f"ticket list API ({who})", label, measure(client, ["/api/v1/tickets/"], repeat=15))
    client = Client()
    client.force_login(supervisor.user)
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    try:
        report_url = reverse("tickets:daily_report")
    except NoReverseMatch:
        return
    report(
        "daily complaint report (city company)",
        city_size,
        measure(client, [f"{report_url}?unit={cities[0].pk}&day={day}"], repeat=10),
    )
