from typing import Any

import factory

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import _insert_unit, staff_create

TEST_PASSWORD = "Kefu-test-2026!"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    """A unit; pass parent= for a sub-unit. Paths come from the same code as production."""

    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    code = factory.Sequence(lambda n: f"unit-{n}")
    kind = OrgUnit.Kind.GROUP
    parent = None
    timezone = "Asia/Shanghai"

    @classmethod
    def _create(cls, model_class: type[OrgUnit], *args: Any, **kwargs: Any) -> OrgUnit:
        return _insert_unit(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A staff member with a usable password (TEST_PASSWORD) and the given roles."""

    class Meta:
        model = Membership

    unit = factory.SubFactory(OrgUnitFactory)
    username = factory.Sequence(lambda n: f"staff{n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    roles = (Role.AGENT,)

    @classmethod
    def _create(cls, model_class: type[Membership], *args: Any, **kwargs: Any) -> Membership:
        return staff_create(actor=None, password=TEST_PASSWORD, **kwargs)
