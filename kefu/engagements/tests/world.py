"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from __future__ import annotations

from typing import Any

from kefu.core.roles import Role
from kefu.engagements.models import FollowUpTask, Risk
from kefu.engagements.services import node_complete, risk_raise
from kefu.engagements.tests.factories import appraisal_type, commission_sms, open_commission
from kefu.orgs.models import OrgUnit


def sample(city: OrgUnit, **context: Any) -> dict[str, Any]:
    staff = context["staff"]
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
    return {"type": type_, "commission": commission, "node": second, "risk": risk}


def access_objects(city: OrgUnit, **context: Any) -> dict[str, Any]:
    """URL kwarg → value for every kwarg this app's URLs take, owned by `city`."""
    objects = sample(city, **context)
    task = FollowUpTask.objects.filter(commission=objects["commission"]).first()
    return {
        "commission_type_id": objects["type"].pk,
        "commission_id": objects["commission"].pk,
        "node_id": objects["node"].pk,
        "risk_id": objects["risk"].pk,
        **({"task_id": task.pk} if task is not None else {}),
    }


def api_seed(city: OrgUnit, **context: Any) -> None:
    sample(city, **context)
