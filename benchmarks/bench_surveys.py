"""Surveys (issue 7): fan-out of a survey into the outbox, and the 3-PRO results page.

- Fan-out: `invite_many` of the built-in 3-PRO survey to 100,000 customers of one unit (each with
  a mobile and survey consent; an SMS channel with an approved survey.invitation template), in
  invitations per second written into the outbox (invitation, signed link, OutboxMessage each).
  The previous run's invitations are removed first, so every run asks everybody once.
- Results: /surveys/results/ grouped by staff member, and the selector `aspect_results`, over
  1,000,000 answers (111,112 submitted 3-PRO responses × 9 aspects, across 50 staff members and
  12 months), p50/p95 over 20 requests as a group administrator, with the query count.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarks.run import analyze, measure, percentiles, report
from kefu.core.roles import Role
from kefu.customers.models import Consent, ContactMethod, Customer
from kefu.notifications import configuration
from kefu.notifications.models import ChannelConfig, MessageTemplate, OutboxMessage
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create_root
from kefu.portal.models import PortalLink
from kefu.surveys import selectors
from kefu.surveys.fanout import invite_many
from kefu.surveys.models import Answer, FatiguePolicy, Invitation, Response, SurveyTemplate
from kefu.surveys.services import current_version, ensure_builtin_templates

CUSTOMERS = 100_000
RESPONSES = 111_112  # × 9 aspects = 1,000,008 answers
STAFF = 50
MONTHS = 12
CHUNK = 10_000
REQUESTS = 20
PASSWORD = "Bench-2026-secret!"
FANOUT_PREFIX = "bench-fanout:"
RESULTS_PREFIX = "bench-results:"


def _unit() -> OrgUnit:
    unit = OrgUnit.objects.filter(code="bench-surveys").first()
    return unit or unit_create_root(name="基准问卷集团", code="bench-surveys")


def _admin(unit: OrgUnit) -> Membership:
    found = Membership.objects.filter(user__username="bench-surveys-admin").first()
    return found or staff_create(
        actor=None, unit=unit, username="bench-surveys-admin", name="问卷管理员", password=PASSWORD, roles=[Role.ADMIN]
    )


def _configure(unit: OrgUnit) -> None:
    if not ChannelConfig.objects.filter(organisation=unit, channel="sms").exists():
        config = ChannelConfig(
            organisation=unit,
            channel="sms",
            settings={"sign_name": "华景物业"},
            callback_key=f"bench-surveys-{time.time_ns()}",
        )
        configuration.write_secrets(config, {"access_key_secret": "s"})
        config.save()
    MessageTemplate.objects.update_or_create(
        organisation=unit,
        event="survey.invitation",
        channel="sms",
        defaults={
            "body": "{customer_name}您好，请为{subject}评价：{link}",
            "provider_template": "SMS_SURVEY",
            "provider_params": {"name": "{customer_name}", "subject": "{subject}"},
            "is_approved": True,
        },
    )
    # The fan-out measures sending; the results seed's invitations must not use up the limit.
    FatiguePolicy.objects.update_or_create(organisation=unit, defaults={"max_invitations": 50, "within_days": 30})


def _seed_customers(unit: OrgUnit) -> None:
    have = Customer.objects.filter(organisation=unit).count()
    if have >= CUSTOMERS:
        return
    start = time.perf_counter()
    now = timezone.now()
    for first in range(have, CUSTOMERS, CHUNK):
        with transaction.atomic():
            batch = Customer.objects.bulk_create(
                Customer(organisation=unit, name=f"业主{n:06d}") for n in range(first, min(first + CHUNK, CUSTOMERS))
            )
            ContactMethod.objects.bulk_create(
                ContactMethod(
                    customer=c, kind=ContactMethod.Kind.MOBILE, value=f"86139{c.pk:08d}", last4=f"{c.pk % 10000:04d}"
                )
                for c in batch
            )
            Consent.objects.bulk_create(
                Consent(
                    customer=c,
                    purpose=Consent.Purpose.SURVEY,
                    channel=Consent.Channel.ANY,
                    method=Consent.Method.PAPER,
                    granted_at=now,
                )
                for c in batch
            )
    print(f"seeded {CUSTOMERS - have:,} customers in {time.perf_counter() - start:.1f} s")


def _staff(unit: OrgUnit) -> list[Membership]:
    members = list(Membership.objects.filter(unit=unit, user__username__startswith="bench-surveys-pro-"))
    for n in range(len(members), STAFF):
        members.append(
            staff_create(
                actor=None,
                unit=unit,
                username=f"bench-surveys-pro-{n:02d}",
                name=f"顾问{n:02d}",
                password=PASSWORD,
                roles=[Role.ENGAGEMENT_MANAGER],
            )
        )
    return members


def _seed_answers(unit: OrgUnit, template: SurveyTemplate) -> None:
    version = current_version(template)
    if Response.objects.filter(invitation__version=version, submitted_at__isnull=False).count() >= RESPONSES:
        return
    start = time.perf_counter()
    Invitation.objects.filter(organisation=unit, source_key__startswith=RESULTS_PREFIX).delete()
    staff = _staff(unit)
    questions = list(version.questions.order_by("order"))
    customers = list(Customer.objects.filter(organisation=unit).order_by("pk").values_list("pk", flat=True))
    rng = random.Random(7)
    now = timezone.now()
    for first in range(0, RESPONSES, CHUNK):
        size = min(CHUNK, RESPONSES - first)
        with transaction.atomic():
            invitations = []
            for n in range(first, first + size):
                submitted = now - timedelta(days=rng.uniform(0, MONTHS * 30.4), hours=1)
                invitations.append(
                    Invitation(
                        organisation=unit,
                        version=version,
                        customer_id=customers[n % len(customers)],
                        source_key=f"{RESULTS_PREFIX}{n}",
                        evaluated=staff[n % STAFF],
                        subject="交付",
                        context={"survey_name": template.name},
                        status=Invitation.Status.ANSWERED,
                        send_at=submitted - timedelta(hours=2),
                        sent_at=submitted - timedelta(hours=2),
                        opened_at=submitted - timedelta(minutes=5),
                        answered_at=submitted,
                        expires_at=submitted + timedelta(days=5),
                    )
                )
            Invitation.objects.bulk_create(invitations, batch_size=CHUNK)
            responses = Response.objects.bulk_create(
                (Response(invitation=i, started_at=i.opened_at, submitted_at=i.answered_at) for i in invitations),
                batch_size=CHUNK,
            )
            answers = []
            for response in responses:
                bias = rng.random()
                for question in questions:
                    score = rng.choices(
                        (1, 2, 3, 4, 5), weights=(1, 2, 6, 30, 61) if bias > 0.1 else (5, 10, 25, 40, 20)
                    )[0]
                    text = "沟通及时，服务到位" if score == 5 and rng.random() < 0.02 else ""
                    if score <= 3 and rng.random() < 0.2:
                        text = "回复有些慢"
                    answers.append(Answer(response=response, question=question, score=score, text=text))
            Answer.objects.bulk_create(answers, batch_size=CHUNK)
    print(f"seeded {RESPONSES:,} responses × {len(questions)} answers in {time.perf_counter() - start:.1f} s")


def _clear_fanout(unit: OrgUnit) -> None:
    invitations = Invitation.objects.filter(organisation=unit, source_key__startswith=FANOUT_PREFIX)
    ids = list(invitations.values_list("pk", flat=True))
    with transaction.atomic():
        for first in range(0, len(ids), CHUNK):
            chunk = ids[first : first + CHUNK]
            PortalLink.objects.filter(action="survey", object_id__in=chunk).delete()
        invitations.delete()
        OutboxMessage.objects.filter(organisation=unit, source_key__startswith="survey:invitation:").delete()


def run() -> None:
    unit = _unit()
    admin = _admin(unit)
    _configure(unit)
    template = next(t for t in ensure_builtin_templates(unit=unit) if t.kind == SurveyTemplate.Kind.THREE_PRO)
    _seed_customers(unit)

    _clear_fanout(unit)
    customers = Customer.objects.filter(organisation=unit)
    start = time.perf_counter()
    result = invite_many(
        actor=admin,
        template=template,
        customers=customers,
        organisation=unit,
        source_key=f"{FANOUT_PREFIX}{time.time_ns()}",
        subject="交付服务",
    )
    elapsed = time.perf_counter() - start
    queued = OutboxMessage.objects.filter(organisation=unit, source_key__startswith="survey:invitation:").count()
    print(
        f"{'survey fan-out: invite_many → outbox':<42} {f'{CUSTOMERS:,} customers':<22} "
        f"{result.sent:,} sent, {queued:,} in outbox in {elapsed:.1f} s = {result.sent / elapsed:,.0f} invitations/s"
        f" (skipped: fatigue {result.skipped_fatigue}, consent {result.skipped_consent}, other {result.skipped_other})"
    )

    _seed_answers(unit, template)
    analyze()
    answers = Answer.objects.filter(response__invitation__organisation=unit).count()
    size = f"{answers:,} answers"
    samples: list[float] = []
    queries = 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as ctx:
            begin = time.perf_counter()
            groups = selectors.aspect_results(admin, by="staff")
            samples.append(time.perf_counter() - begin)
        queries = max(queries, len(ctx.captured_queries))
    assert len(groups) == STAFF, len(groups)
    report("aspect_results by staff (selector)", size, (*percentiles(samples), queries))
    client = Client()
    client.force_login(admin.user)
    report("3-PRO results page by staff", size, measure(client, [reverse("surveys:results")], repeat=REQUESTS))
