"""Small builders for survey tests: every object is made by the real services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kefu.customers.models import Consent, Customer
from kefu.customers.services import consent_grant
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project
from kefu.surveys.models import Invitation, SurveyTemplate
from kefu.surveys.services import answer, ensure_builtin_templates, invite


def builtin(unit: OrgUnit, kind: str) -> SurveyTemplate:
    return next(t for t in ensure_builtin_templates(unit=unit) if t.kind == kind)


def customer_who_agrees(unit: OrgUnit, **kwargs: Any) -> Customer:
    """A customer with a mobile who agreed to surveys on any channel."""
    customer = CustomerFactory(organisation=unit, **kwargs)
    consent_grant(actor=None, customer=customer, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    return customer


def sent_invitation(
    unit: OrgUnit,
    *,
    template: SurveyTemplate | None = None,
    customer: Customer | None = None,
    evaluated: Membership | None = None,
    project: Project | None = None,
    source_key: str = "",
    now: datetime | None = None,
) -> Invitation:
    customer = customer or customer_who_agrees(unit)
    template = template or builtin(unit, SurveyTemplate.Kind.THREE_PRO)
    invitation = invite(
        template=template,
        customer=customer,
        source_key=source_key or f"test:{customer.pk}:{Invitation.objects.count()}",
        organisation=unit,
        subject="投诉KS202611230007的处理",
        evaluated=evaluated,
        project=project,
        now=now,
    )
    assert invitation.status == Invitation.Status.SENT, invitation.skip_reason
    return invitation


def all_scores(score: int, **overrides: int) -> dict[str, dict[str, Any]]:
    from kefu.surveys.builtin import THREE_PRO_CODES

    return {code: {"score": overrides.get(code, score)} for code in THREE_PRO_CODES}


def answered(invitation: Invitation, scores: dict[str, dict[str, Any]], *, at: datetime | None = None) -> Invitation:
    answer(invitation=invitation, answers=scores, submit=True, now=at)
    invitation.refresh_from_db()
    return invitation


HOUR = timedelta(hours=1)
