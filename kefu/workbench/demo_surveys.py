"""Demo surveys: the built-in templates, a 3-PRO evaluation sent when a ticket is resolved,
survey consent for most customers, and answers to most invitations — a few below 良好, so that
interventions are open on the supervisors' workbench and the results pages show real shapes."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from kefu.customers.models import Consent, Customer
from kefu.notifications.models import MessageTemplate
from kefu.orgs.models import Membership, OrgUnit
from kefu.surveys import services
from kefu.surveys.models import Invitation, SurveyTemplate


def prepare(*, admin: Membership, root: OrgUnit) -> None:
    """Before the voices are seeded: templates, the trigger, consent and the invitation texts."""
    services.ensure_builtin_templates(unit=root)
    three_pro = SurveyTemplate.objects.get(organisation=root, kind=SurveyTemplate.Kind.THREE_PRO)
    services.trigger_save(actor=admin, organisation=root, event="ticket.resolved", template=three_pro)
    now = timezone.now()
    consents = [
        Consent(
            customer=customer,
            purpose=Consent.Purpose.SURVEY,
            channel=Consent.Channel.ANY,
            method=Consent.Method.PAPER,
            granted_at=now - timedelta(days=90),
            evidence="购房合同附件：服务评价授权",
        )
        for index, customer in enumerate(Customer.objects.order_by("pk"))
        if index % 5 != 4
    ]
    Consent.objects.bulk_create(consents)
    MessageTemplate.objects.create(
        organisation=root,
        event="survey.invitation",
        channel="wechat",
        body="{customer_name}您好，请为{subject}评价：{link}",
        provider_template="kefu-demo-survey",
        provider_params={"first": "{customer_name}您好，请为{subject}评价", "keyword1": "{expires}", "url": "{link}"},
        is_approved=True,
    )
    MessageTemplate.objects.create(
        organisation=root,
        event="survey.invitation",
        channel="sms",
        body="【华景物业】{customer_name}您好，请为我们的服务评价：https://kefu.example.com/m/l/{link_code}/",
        provider_template="SMS_460770002",
        provider_params={"name": "{customer_name}", "code": "{link_code}"},
        is_approved=True,
    )


HIGH_SCORES = (5, 5, 5, 4, 4, 4, 5)
COMMENTS = {
    "P1": "受理时把我的问题问得很清楚。",
    "A2": "回复有点慢，等了两天才有人联系。",
    "F2": "维修师傅处理得很专业。",
    "P3": "处理后没有人回访确认。",
}


def answer_some(*, seed: int = 7) -> int:
    """Answer most of the invitations the seeded voices sent, as their customers would."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    current = timezone.now()
    answered = 0
    for invitation in Invitation.objects.filter(status=Invitation.Status.SENT).select_related("version").order_by("pk"):
        if rng.random() < 0.55:
            continue  # most people never answer
        codes = list(invitation.version.questions.order_by("order").values_list("code", flat=True))
        aspects = [code for code in codes if code[:1] in "PFA" and len(code) == 2]
        # About one answer in five marks one or two aspects below 良好: those open interventions.
        low = set(rng.sample(aspects, rng.choice((1, 1, 2)))) if rng.random() < 0.2 else set()
        answers = {}
        for code in aspects:
            score = rng.choice((2, 3, 3)) if code in low else rng.choice(HIGH_SCORES)
            values: dict[str, object] = {"score": score}
            if code in COMMENTS and (score <= 3 or rng.random() < 0.15):
                values["text"] = COMMENTS[code]
            answers[code] = values
        # Most answer within a day of the message, as the doctrine's benchmark expects.
        when = invitation.sent_at + timedelta(hours=rng.choice((1, 2, 3, 5, 8, 20, 30, 60)))
        if when >= min(current, invitation.expires_at or current):
            continue
        services.mark_opened(invitation=invitation, now=when - timedelta(minutes=5))
        services.answer(invitation=invitation, answers=answers, submit=True, now=when)
        answered += 1
    return answered
