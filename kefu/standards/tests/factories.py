from datetime import timedelta
from typing import Any

import factory

from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards.models import BusinessCalendar, RequestCategory, RequestKind, SlaPolicy, TimeBasis
from kefu.standards.services import calendar_create


class RequestCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestCategory

    organisation = factory.SubFactory(OrgUnitFactory)
    kind = RequestKind.REPAIR
    name = factory.Sequence(lambda n: f"类别{n}")


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """A catch-all policy: 2 business hours to first response, 8 to resolution."""

    class Meta:
        model = SlaPolicy

    organisation = factory.SubFactory(OrgUnitFactory)
    name = factory.Sequence(lambda n: f"标准{n}")
    first_response_time = timedelta(hours=2)
    resolution_time = timedelta(hours=8)
    time_basis = TimeBasis.BUSINESS


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """A calendar made by the real service: office hours and every published year's days.

    BusinessCalendarFactory(organisation=unit)."""

    class Meta:
        model = BusinessCalendar

    organisation = factory.SubFactory(OrgUnitFactory)
    name = factory.Sequence(lambda n: f"日历{n}")

    @classmethod
    def _create(cls, model_class: type[BusinessCalendar], *args: Any, **kwargs: Any) -> BusinessCalendar:
        return calendar_create(actor=None, unit=kwargs["organisation"], name=kwargs["name"])
