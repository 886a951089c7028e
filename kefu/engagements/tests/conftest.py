"""Fixtures of the commission tests: a consultancy under the city company, its people, and the
SMS channel that carries node pushes and evaluations."""

from collections.abc import Callable

import pytest

from kefu.core.roles import Role
from kefu.engagements.models import Commission, CommissionType
from kefu.engagements.tests.factories import appraisal_type, client_with_mobile, commission_sms, open_commission
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory


@pytest.fixture
def consultancy(city: OrgUnit) -> OrgUnit:
    unit = OrgUnitFactory(name="华景咨询", code="consult", kind=OrgUnit.Kind.CONSULTANCY, parent=city)
    commission_sms(unit)
    return unit


@pytest.fixture
def manager(consultancy: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(consultancy, Role.ENGAGEMENT_MANAGER, name="周明")


@pytest.fixture
def colleague(consultancy: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(consultancy, Role.ENGAGEMENT_MANAGER, name="吴婷")


@pytest.fixture
def boss(consultancy: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(consultancy, Role.SUPERVISOR, name="陈总监")


@pytest.fixture
def type_admin(consultancy: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(consultancy, Role.ADMIN, name="管理员")


@pytest.fixture
def appraisal(consultancy: OrgUnit, type_admin: Membership) -> CommissionType:
    return appraisal_type(consultancy, actor=type_admin)


@pytest.fixture
def commission(consultancy: OrgUnit, manager: Membership, appraisal: CommissionType) -> Commission:
    return open_commission(
        consultancy, manager=manager, type_=appraisal, client=client_with_mobile(consultancy, name="王总")
    )
