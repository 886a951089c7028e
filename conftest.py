"""Fixtures shared by every app's tests."""

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import MembershipFactory, OrgUnitFactory


@pytest.fixture(autouse=True)
def _db_and_clean_cache(db: None) -> None:
    """Every test may use the database; the cache never carries state from one test to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def group() -> OrgUnit:
    return OrgUnitFactory(name="华景集团", code="huajing", kind=OrgUnit.Kind.GROUP)


@pytest.fixture
def city(group: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="深圳公司", code="shenzhen", kind=OrgUnit.Kind.CITY_COMPANY, parent=group)


@pytest.fixture
def other_city(group: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="成都公司", code="chengdu", kind=OrgUnit.Kind.CITY_COMPANY, parent=group)


@pytest.fixture
def make_staff() -> Callable[..., Membership]:
    def make(unit: OrgUnit, *roles: str, **kwargs: object) -> Membership:
        return MembershipFactory(unit=unit, roles=roles or (Role.AGENT,), **kwargs)

    return make


@pytest.fixture
def agent(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.AGENT, name="张三")


@pytest.fixture
def admin(city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(city, Role.ADMIN, name="李四")


@pytest.fixture
def group_admin(group: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    return make_staff(group, Role.ADMIN, name="王五")


@pytest.fixture
def outsider(other_city: OrgUnit, make_staff: Callable[..., Membership]) -> Membership:
    """An administrator of a sibling unit: may do everything, but never with our data."""
    return make_staff(other_city, *Role.values, name="赵六")


@pytest.fixture
def client_for() -> Callable[[Membership], Client]:
    def make(membership: Membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client

    return make


@pytest.fixture
def api_client_for() -> Callable[[Membership], APIClient]:
    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.force_authenticate(membership.user)
        return client

    return make
