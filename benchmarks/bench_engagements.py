"""Commissions (issue 8): the manager scorecard and the report by commission type.

Seeds once, in its own unit, with bulk inserts: 20,000 commissions of 4 types across 50
engagement managers and 12 months, 10 nodes each (200,000: most done on time, some done late,
some open past their day, the rest not yet due), and 100,000 answered 3-PRO evaluations
(Evaluation → Invitation → Response, 2–3 aspect answers each) with an intervention for the low
ones. Measures `selectors.scorecard` and `selectors.statistics(by="type")` and their pages,
p50/p95 over 20 runs as the unit's administrator, with the query count.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from benchmarks.run import analyze, measure, percentiles, report
from kefu.core.roles import Role
from kefu.customers.models import Customer
from kefu.engagements import selectors
from kefu.engagements.models import ASPECT_CODES, Commission, CommissionType, Evaluation, Node
from kefu.engagements.services import commission_type_create
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create_root
from kefu.surveys.models import Answer, Intervention, Invitation, Response, SurveyTemplate
from kefu.surveys.services import current_version, ensure_builtin_templates

COMMISSIONS = 20_000
NODES = 10  # per commission
EVALUATIONS = 100_000
MANAGERS = 50
CLIENTS = 2_000
MONTHS = 12
CHUNK = 5_000
REQUESTS = 20
PASSWORD = "Bench-2026-secret!"
PREFIX = "bench-eng:"
TYPES = ("抵押评估", "可行性研究", "项目策划", "全过程管理")


def _unit() -> OrgUnit:
    unit = OrgUnit.objects.filter(code="bench-engagements").first()
    return unit or unit_create_root(name="基准咨询公司", code="bench-engagements")


def _member(unit: OrgUnit, username: str, name: str, role: str) -> Membership:
    found = Membership.objects.filter(user__username=username).first()
    return found or staff_create(actor=None, unit=unit, username=username, name=name, password=PASSWORD, roles=[role])


def _types(unit: OrgUnit, admin: Membership) -> list[CommissionType]:
    types = []
    for name in TYPES:
        found = CommissionType.objects.filter(organisation=unit, name=name).first()
        types.append(
            found
            or commission_type_create(
                actor=admin,
                unit=unit,
                name=name,
                nodes=[
                    {"name": f"节点{n + 1}", "offset_days": n * 5, "aspects": list(ASPECT_CODES[n % 9 : n % 9 + 2])}
                    for n in range(NODES)
                ],
            )
        )
    return types


def _seed(unit: OrgUnit, admin: Membership) -> None:
    if Commission.objects.filter(organisation=unit).count() >= COMMISSIONS:
        return
    start = time.perf_counter()
    managers = [
        _member(unit, f"bench-eng-pm-{n:02d}", f"顾问{n:02d}", Role.ENGAGEMENT_MANAGER) for n in range(MANAGERS)
    ]
    types = _types(unit, admin)
    template = next(t for t in ensure_builtin_templates(unit=unit) if t.kind == SurveyTemplate.Kind.THREE_PRO)
    version = current_version(template)
    questions = {q.code: q for q in version.questions.all()}
    rng = random.Random(8)
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        clients = Customer.objects.bulk_create(
            Customer(organisation=unit, kind=Customer.Kind.COMPANY, name=f"委托客户{n:05d}") for n in range(CLIENTS)
        )
    evaluations_per_commission = EVALUATIONS / COMMISSIONS
    made = 0
    for first in range(0, COMMISSIONS, CHUNK):
        with transaction.atomic():
            commissions = []
            for n in range(first, min(first + CHUNK, COMMISSIONS)):
                starts_on = today - timedelta(days=rng.randint(0, MONTHS * 30))
                commissions.append(
                    Commission(
                        organisation=unit,
                        number=f"BE{n:08d}",
                        type=types[n % len(types)],
                        client=clients[n % CLIENTS],
                        title=f"委托{n:05d}",
                        manager=managers[n % MANAGERS],
                        starts_on=starts_on,
                        due_on=starts_on + timedelta(days=(NODES - 1) * 5),
                    )
                )
            Commission.objects.bulk_create(commissions, batch_size=CHUNK)
            nodes = []
            for commission in commissions:
                for order in range(NODES):
                    planned = commission.starts_on + timedelta(days=order * 5)
                    node = Node(
                        commission=commission,
                        order=order + 1,
                        name=f"节点{order + 1}",
                        owner=commission.manager,
                        aspects=list(ASPECT_CODES[order % 9 : order % 9 + 2]),
                        planned_on=planned,
                    )
                    roll = rng.random()
                    if planned < today and roll < 0.92:
                        delay = 0 if roll < 0.75 else rng.randint(1, 12)
                        node.actual_on = min(planned + timedelta(days=delay), today)
                        node.delay_days = (node.actual_on - planned).days
                        node.status = Node.Status.DONE
                    nodes.append(node)
                if all(node.status == Node.Status.DONE for node in nodes[-NODES:]):
                    commission.status = rng.choice((Commission.Status.DELIVERED, Commission.Status.CLOSED))
                    commission.delivered_on = nodes[-1].actual_on
            Node.objects.bulk_create(nodes, batch_size=CHUNK)
            Commission.objects.bulk_update(
                [c for c in commissions if c.status != Commission.Status.ACTIVE], ["status", "delivered_on"]
            )
            # Evaluations of done nodes, about five per commission.
            done = [node for node in nodes if node.status == Node.Status.DONE]
            want = min(round(len(commissions) * evaluations_per_commission), EVALUATIONS - made, len(done))
            picked = rng.sample(done, want)
            invitations = []
            for node in picked:
                at = datetime.combine(node.actual_on, datetime.min.time(), tzinfo=timezone.get_current_timezone())
                at += timedelta(hours=17)
                invitations.append(
                    Invitation(
                        organisation=unit,
                        version=version,
                        customer_id=node.commission.client_id,
                        source_key=f"{PREFIX}{node.commission_id}:node:{node.pk}",
                        codes=node.aspects,
                        evaluated=node.commission.manager,
                        subject=node.name,
                        context={"survey_name": template.name},
                        status=Invitation.Status.ANSWERED,
                        send_at=at,
                        sent_at=at,
                        opened_at=at + timedelta(hours=3),
                        answered_at=at + timedelta(hours=4),
                        expires_at=at + timedelta(days=7),
                    )
                )
            Invitation.objects.bulk_create(invitations, batch_size=CHUNK)
            Evaluation.objects.bulk_create(
                (
                    Evaluation(
                        commission=node.commission,
                        node=node,
                        invitation=invitation,
                        evaluated=node.commission.manager,
                        created_at=invitation.sent_at,
                    )
                    for node, invitation in zip(picked, invitations, strict=True)
                ),
                batch_size=CHUNK,
            )
            responses = Response.objects.bulk_create(
                (Response(invitation=i, started_at=i.opened_at, submitted_at=i.answered_at) for i in invitations),
                batch_size=CHUNK,
            )
            answers, interventions = [], []
            for invitation, response in zip(invitations, responses, strict=True):
                codes = list(invitation.codes) + ([rng.choice(ASPECT_CODES)] if rng.random() < 0.5 else [])
                low = False
                for code in dict.fromkeys(codes):
                    score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 5, 32, 60))[0]
                    low = low or score <= 3
                    answers.append(Answer(response=response, question=questions[code], score=score))
                if low:
                    closed = rng.random() < 0.7
                    interventions.append(
                        Intervention(
                            organisation=unit,
                            invitation=invitation,
                            response=response,
                            evaluated=invitation.evaluated,
                            reason_text="低分",
                            status=Intervention.Status.CLOSED if closed else Intervention.Status.OPEN,
                            due_at=invitation.answered_at + timedelta(days=2),
                            closed_at=invitation.answered_at + timedelta(days=1) if closed else None,
                        )
                    )
            Answer.objects.bulk_create(answers, batch_size=CHUNK)
            Intervention.objects.bulk_create(interventions, batch_size=CHUNK)
            made += want
    print(f"seeded {COMMISSIONS:,} commissions, {made:,} evaluations in {time.perf_counter() - start:.1f} s")


def _timed(label: str, size: str, call: Callable[[], object]) -> None:
    samples: list[float] = []
    queries = 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as ctx:
            begin = time.perf_counter()
            call()
            samples.append(time.perf_counter() - begin)
        queries = max(queries, len(ctx.captured_queries))
    report(label, size, (*percentiles(samples), queries))


def run() -> None:
    unit = _unit()
    admin = _member(unit, "bench-eng-admin", "咨询管理员", Role.ADMIN)
    _seed(unit, admin)
    analyze()
    commissions = Commission.objects.filter(organisation=unit)
    nodes = Node.objects.filter(commission__organisation=unit)
    evaluations = Evaluation.objects.filter(commission__organisation=unit)
    answers = Answer.objects.filter(response__invitation__organisation=unit).count()
    interventions = Intervention.objects.filter(organisation=unit).count()
    print(
        f"data: {commissions.count():,} commissions, {nodes.count():,} nodes "
        f"({nodes.filter(status=Node.Status.DONE, delay_days=0).count():,} on time, "
        f"{nodes.filter(status=Node.Status.DONE, delay_days__gt=0).count():,} late, "
        f"{nodes.exclude(status=Node.Status.DONE).count():,} open), {evaluations.count():,} evaluations, "
        f"{answers:,} answers, {interventions:,} interventions"
    )
    size = f"{commissions.count():,} commissions"
    rows = selectors.scorecard(admin)
    assert len(rows) == MANAGERS, len(rows)
    assert len(selectors.statistics(admin, by="type")) == len(TYPES)
    _timed("scorecard (selector)", size, lambda: selectors.scorecard(admin))
    _timed("statistics by type (selector)", size, lambda: selectors.statistics(admin, by="type"))
    try:
        pages = [("scorecard page", reverse("engagements:scorecard")),
                 ("statistics page by type", reverse("engagements:statistics") + "?by=type")]  # fmt: skip
    except NoReverseMatch:
        print("pages: engagements:scorecard / engagements:statistics do not exist yet; not measured")
        return
    client = Client()
    client.force_login(admin.user)
    for label, url in pages:
        try:
            report(label, size, measure(client, [url], repeat=REQUESTS))
        except AssertionError as error:
            print(f"{label}: not measured ({error})")
