"""Factories for projects, buildings, units and common parts.

Org consistency comes from SelfAttribute: a building takes its project's organisation, a unit
its building's project and organisation, so `UnitFactory(building=b)` is always consistent.
"""

from decimal import Decimal

import factory

from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.properties.models import Building, CommonPart, Project, Unit


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project; pass organisation=unit to place it in a unit's scope."""

    class Meta:
        model = Project

    organisation = factory.SubFactory(OrgUnitFactory)
    name = factory.Sequence(lambda n: f"华景花园{n}期")
    code = factory.Sequence(lambda n: f"project-{n}")
    city = "深圳"


class BuildingFactory(factory.django.DjangoModelFactory):
    """A building of `project`, in the project's organisation."""

    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SelfAttribute("project.organisation")
    # Far above the small numbers tests spell out ("1", "3"), so a default never collides with them.
    code = factory.Sequence(lambda n: str(n + 1001))
    name = factory.LazyAttribute(lambda o: f"{o.code}栋")
    floors_above = 18
    floors_below = 0


class UnitFactory(factory.django.DjangoModelFactory):
    """A unit of `building`; project, organisation and label are derived from it."""

    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    project = factory.SelfAttribute("building.project")
    organisation = factory.SelfAttribute("building.organisation")
    entrance = "1"
    floor = 1
    number = factory.Sequence(lambda n: str(101 + n))
    label = factory.LazyAttribute(lambda o: Unit.make_label(o.building.code, o.entrance, o.number))
    gross_area = Decimal("98.50")
    usable_area = Decimal("78.20")
    layout = "3室2厅2卫"
    delivery_standard = Unit.DeliveryStandard.SHELL


class CommonPartFactory(factory.django.DjangoModelFactory):
    """A common part of `project` (no building or floor unless given)."""

    class Meta:
        model = CommonPart

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SelfAttribute("project.organisation")
    building = None
    floor = None
    kind = CommonPart.Kind.LOBBY
    name = factory.Sequence(lambda n: f"大堂{n}")
