"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kefu.core.roles import Role
from kefu.notifications.models import ChannelConfig, MessageTemplate
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import MembershipFactory
from kefu.surveys.models import Intervention, SurveyTemplate, SurveyTrigger
from kefu.surveys.services import trigger_save
from kefu.surveys.tests.factories import all_scores, answered, builtin, sent_invitation


def survey_sms(unit: OrgUnit) -> None:
    """An SMS channel and an approved template that carry survey invitations from `unit`."""
    if not ChannelConfig.objects.filter(organisation=unit, channel="sms").exists():
        configure(unit, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    if not MessageTemplate.objects.filter(organisation=unit, event="survey.invitation", channel="sms").exists():
        approved_template(
            unit,
            "survey.invitation",
            "sms",
            code="SMS_SURVEY",
            params={"name": "{customer_name}", "subject": "{subject}"},
            body="{customer_name}您好，请为{subject}评价：{link}",
        )


def low_evaluation(unit: OrgUnit, *, evaluated: Membership | None = None, **scores: int) -> Intervention:
    """A 3-PRO evaluation of `evaluated` answered with P2 一般 (3): an open intervention."""
    survey_sms(unit)
    evaluated = evaluated or MembershipFactory(unit=unit, roles=(Role.ENGAGEMENT_MANAGER,), name="刘顾问")
    invitation = sent_invitation(unit, evaluated=evaluated)
    answered(invitation, all_scores(5, **(scores or {"P2": 3})))
    return Intervention.objects.get(invitation=invitation)


def access_objects(city: OrgUnit, **context: Any) -> dict[str, Any]:
    """URL kwarg → value for every kwarg this app's URLs take, owned by `city`."""
    staff = context["staff"]
    intervention = low_evaluation(city)
    template = builtin(city, SurveyTemplate.Kind.CSAT)
    trigger = trigger_save(
        actor=staff[Role.ADMIN],
        organisation=city,
        event=SurveyTrigger.Event.TICKET_RESOLVED,
        template=template,
        delay=timedelta(hours=2),
    )
    return {"intervention_id": intervention.pk, "template_id": template.pk, "trigger_id": trigger.pk}


def api_seed(city: OrgUnit, **context: Any) -> None:
    """Objects that make this app's rows show up under schemathesis (it has no API of its own yet;
    customers' timelines list the evaluation and the intervention)."""
    low_evaluation(city)
