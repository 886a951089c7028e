"""Building blocks of the commission tests: a consultancy's commission type, a client with a
mobile, an SMS channel that carries node pushes and evaluations, and an open commission."""

from __future__ import annotations

from datetime import date
from typing import Any

from kefu.core.roles import Role
from kefu.customers.models import Consent, Customer
from kefu.customers.services import consent_grant
from kefu.customers.tests.factories import CustomerFactory
from kefu.engagements.models import Commission, CommissionType, FollowUpTemplate
from kefu.engagements.services import commission_create, commission_type_create
from kefu.notifications.models import ChannelConfig, MessageTemplate
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import MembershipFactory

APPRAISAL_NODES: list[dict[str, Any]] = [
    {
        "name": "确认核心诉求",
        "offset_days": 0,
        "standard": "受理前与客户书面确认核心诉求",
        "push_text": "您的核心诉求已书面确认。",
        "aspects": ["P1"],
    },
    {
        "name": "现场查勘",
        "offset_days": 3,
        "standard": "查勘记录当日上传",
        "push_text": "现场查勘已完成。",
        "client_action": "请提供产权证复印件",
        "aspects": ["P2", "A2"],
    },
    {"name": "出具报告", "offset_days": 7, "standard": "报告经复核后出具", "push_text": "评估报告已出具。"},
]
APPRAISAL_FOLLOW_UPS: list[dict[str, Any]] = [
    {"kind": FollowUpTemplate.Kind.EXTENDED, "days_after": 7, "title": "提醒客户办理抵押登记"},
    {"kind": FollowUpTemplate.Kind.FOLLOW_UP, "days_after": 30, "title": "30天回访：报告使用情况"},
]


def commission_sms(unit: OrgUnit) -> None:
    """An SMS channel with approved templates for node pushes and survey invitations, on `unit`."""
    if not ChannelConfig.objects.filter(organisation=unit, channel="sms").exists():
        configure(unit, "sms", {"sign_name": "华景咨询"}, access_key_secret="s")
    for event, code in (
        ("commission.node_reached", "SMS_NODE"),
        ("commission.node_late", "SMS_LATE"),
        ("survey.invitation", "SMS_SURVEY"),
    ):
        if not MessageTemplate.objects.filter(organisation=unit, event=event, channel="sms").exists():
            approved_template(
                unit,
                event,
                "sms",
                code=code,
                params={"name": "{customer_name}"},
                body="{customer_name}您好，委托有新进展：{link}",
            )


def client_with_mobile(unit: OrgUnit, **kwargs: Any) -> Customer:
    customer = CustomerFactory(organisation=unit, **kwargs)
    consent_grant(actor=None, customer=customer, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    return customer


def appraisal_type(unit: OrgUnit, *, actor: Membership | None = None, strict_order: bool = True) -> CommissionType:
    actor = actor or MembershipFactory(unit=unit, roles=(Role.ADMIN,))
    return commission_type_create(
        actor=actor,
        unit=unit,
        name="抵押评估",
        strict_order=strict_order,
        nodes=APPRAISAL_NODES,
        follow_ups=APPRAISAL_FOLLOW_UPS,
    )


def open_commission(
    unit: OrgUnit,
    *,
    manager: Membership | None = None,
    client: Customer | None = None,
    type_: CommissionType | None = None,
    starts_on: date = date(2026, 11, 2),
    **kwargs: Any,
) -> Commission:
    manager = manager or MembershipFactory(unit=unit, roles=(Role.ENGAGEMENT_MANAGER,), name="周明")
    return commission_create(
        actor=manager,
        unit=unit,
        type_=type_ or appraisal_type(unit),
        client=client or client_with_mobile(unit, name="王总"),
        title="前海湾住宅抵押评估",
        manager=manager,
        starts_on=starts_on,
        **kwargs,
    )
