from datetime import timedelta

import factory

from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards.models import RequestCategory, RequestKind, SlaPolicy, TimeBasis


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
