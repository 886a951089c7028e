"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from datetime import timedelta
from typing import Any

from kefu.orgs.models import OrgUnit
from kefu.standards.models import RequestKind, Severity
from kefu.standards.services import calendar_create
from kefu.standards.tests.factories import RequestCategoryFactory, SlaPolicyFactory


def access_objects(city: OrgUnit, **context: Any) -> dict[str, int]:
    """URL kwarg → id of an object owned by `city`, for every kwarg this app's URLs take."""
    calendar = calendar_create(actor=None, unit=city, name="深圳公司工作日历")
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="水电维修")
    policy = SlaPolicyFactory(organisation=city, name="报修标准", kind=RequestKind.REPAIR, category=category)
    return {"calendar_id": calendar.pk, "category_id": category.pk, "policy_id": policy.pk}


def api_seed(city: OrgUnit, **context: Any) -> None:
    """Objects that make this app's API answer with real rows under schemathesis."""
    calendar_create(actor=None, unit=city, name="深圳公司工作日历")
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.COMPLAINT, name="物业服务")
    SlaPolicyFactory(organisation=city, name="通用标准")
    SlaPolicyFactory(
        organisation=city,
        name="群诉",
        kind=RequestKind.COMPLAINT,
        category=category,
        severity=Severity.GROUP,
        first_response_time=timedelta(minutes=30),
        resolution_time=timedelta(hours=4),
        handling_guide="立即上报主管。",
    )
