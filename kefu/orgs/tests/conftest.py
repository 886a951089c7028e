from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def team(city: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="南山项目组", code="nanshan", kind=OrgUnit.Kind.PROJECT_TEAM, parent=city)


@pytest.fixture
def executive(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.EXECUTIVE, name="钱七")


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """A clock that stands still, so no session write sneaks into a measured request."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        yield traveller
