"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.roles import Role
from kefu.engagements.models import FollowUpTask, Risk
from kefu.engagements.services import deliverable_add, node_complete, node_skip, risk_raise
from kefu.engagements.tests.factories import appraisal_type, commission_sms, open_commission
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import MembershipFactory


def sample(city: OrgUnit, **context: Any) -> dict[str, Any]:
    # The schema test passes only its administrator; the access walk passes one member per role.
    staff = context.get("staff") or {
        Role.ADMIN: context["admin"],
        Role.ENGAGEMENT_MANAGER: MembershipFactory(unit=city, roles=(Role.ENGAGEMENT_MANAGER,), name="周明"),
    }
    commission_sms(city)
    type_ = appraisal_type(city, actor=staff[Role.ADMIN])
    commission = open_commission(city, manager=staff[Role.ENGAGEMENT_MANAGER], type_=type_)
    first = commission.nodes.order_by("order").first()
    assert first is not None
    node_complete(actor=staff[Role.ENGAGEMENT_MANAGER], node=first, actual_on=commission.starts_on)
    risk = risk_raise(
        actor=staff[Role.ENGAGEMENT_MANAGER], commission=commission, description="产权证明未齐", level=Risk.Level.HIGH
    )
    second = commission.nodes.order_by("order")[1]
    # A delivered commission, so that its follow-up tasks exist.
    delivered = open_commission(city, manager=staff[Role.ENGAGEMENT_MANAGER], type_=type_)
    for node in delivered.nodes.order_by("order"):
        node_skip(actor=staff[Role.ENGAGEMENT_MANAGER], node=node, reason="客户已自行办理")
    return {"type": type_, "commission": commission, "node": second, "risk": risk}


def access_objects(city: OrgUnit, **context: Any) -> dict[str, Any]:
    """URL kwarg → value for every kwarg this app's URLs take, owned by `city`."""
    objects = sample(city, **context)
    task = FollowUpTask.objects.filter(commission__organisation=city).order_by("pk").first()
    assert task is not None, "the delivered sample commission schedules its follow-up tasks"
    deliverable = deliverable_add(
        actor=objects["commission"].manager,
        commission=objects["commission"],
        file=SimpleUploadedFile("查勘记录.pdf", b"%PDF-1.4 sample", content_type="application/pdf"),
    )
    return {
        "commission_type_id": objects["type"].pk,
        "commission_id": objects["commission"].pk,
        "node_id": objects["node"].pk,
        "risk_id": objects["risk"].pk,
        "task_id": task.pk,
        "deliverable_id": deliverable.pk,
    }


def api_seed(city: OrgUnit, **context: Any) -> None:
    sample(city, **context)
