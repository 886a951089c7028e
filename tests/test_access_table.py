"""Every URL pattern, as anonymous, as each role, and as a user of another unit.

The access table (kefu.core.access) is the contract; this test fails when a pattern is missing
from it, when the table names a pattern that does not exist, or when any response differs
from what the table promises.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kefu.core.access import PUBLIC, access_table, roles_allowed
from kefu.core.roles import Role
from kefu.customers.models import Consent, ContactPerson, CustomerImport, Grade, GradeRule, Tag
from kefu.customers.services import consent_grant, household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.engagements.tests import world as engagements_world
from kefu.notifications.tests import world as notifications_world
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import MembershipFactory, OrgUnitFactory
from kefu.portal.tests import world as portal_world
from kefu.properties.models import ImportJob
from kefu.properties.tests.factories import BuildingFactory, CommonPartFactory, ProjectFactory, UnitFactory
from kefu.standards.tests import world as standards_world
from kefu.surveys.tests import world as surveys_world
from kefu.tickets.tests import world as tickets_world


@dataclass(frozen=True)
class Pattern:
    name: str
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:") or self.name.startswith("api-")


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[Pattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield Pattern(f"{namespace}{entry.name}", tuple(entry.pattern.converters))


ALL_PATTERNS = sorted({p.name: p for p in _walk(get_resolver().url_patterns)}.values(), key=lambda p: p.name)


@dataclass
class World:
    home: OrgUnit
    staff: dict[str, Membership]
    outsider: Membership
    objects: dict[str, int]


@pytest.fixture
def world(group: OrgUnit, city: OrgUnit, other_city: OrgUnit) -> World:
    staff = {role: MembershipFactory(unit=city, roles=(role,)) for role in Role.values}
    outsider = MembershipFactory(unit=other_city, roles=tuple(Role.values))
    project = ProjectFactory(organisation=city)
    building = BuildingFactory(project=project)
    unit = UnitFactory(building=building)
    part = CommonPartFactory(project=project, building=building)
    job = ImportJob.objects.create(
        organisation=city,
        project=project,
        created_by=staff[Role.ADMIN].user,
        file_name="units.xlsx",
        mode=ImportJob.Mode.ALL_OR_NOTHING,
        status=ImportJob.Status.IMPORTED,
    )
    sub_unit = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    objects = {
        "orgunit_id": sub_unit.pk,
        "staff_id": staff[Role.AGENT].pk,
        "project_id": project.pk,
        "building_id": building.pk,
        "unit_id": unit.pk,
        "commonpart_id": part.pk,
        "import_id": job.pk,
        **_customer_objects(city, unit),
    }
    context = {"staff": staff, "project": project, "building": building, "unit": unit}
    objects |= standards_world.access_objects(city, **context)
    objects |= tickets_world.access_objects(city, **context)
    objects |= notifications_world.access_objects(city, **context)
    objects |= portal_world.access_objects(city, **context)
    objects |= surveys_world.access_objects(city, **context)
    objects |= engagements_world.access_objects(city, **context)
    return World(home=city, staff=staff, outsider=outsider, objects=objects)


def _customer_objects(city: OrgUnit, unit: Any) -> dict[str, int]:
    """A customer with a household, a contact and a consent; a likely duplicate of it; a grade
    rule and a tag: the objects the customer ledger's URLs take."""
    customer = CustomerFactory(organisation=city, mobile="13800000001")
    duplicate = CustomerFactory(organisation=city, mobile="13800000001")
    household = household_add(actor=None, customer=customer, unit=unit)
    consent = consent_grant(actor=None, customer=customer, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    tag = Tag.objects.create(organisation=city, name="业主代表")
    customer.tags.add(tag)
    return {
        "customer_id": customer.pk,
        "household_id": household.pk,
        "contact_id": customer.contacts.get().pk,
        "consent_id": consent.pk,
        "target_id": customer.pk,
        "source_id": duplicate.pk,
        "graderule_id": GradeRule.objects.create(organisation=city, grade=Grade.A).pk,
        "tag_id": tag.pk,
        "contactperson_id": ContactPerson.objects.create(company=duplicate, name="刘经理").pk,
        "customerimport_id": CustomerImport.objects.create(
            organisation=city,
            project=unit.project,
            file_name="台账.xlsx",
            mode=CustomerImport.Mode.ALL_OR_NOTHING,
            status=CustomerImport.Status.IMPORTED,
            created_by=MembershipFactory(unit=city, roles=(Role.ADMIN,)).user,
        ).pk,
    }


def _url(pattern: Pattern, world: World) -> str:
    missing = [k for k in pattern.kwargs if k not in world.objects]
    assert not missing, f"{pattern.name}: add sample objects for URL kwargs {missing} to this test's world"
    return reverse(pattern.name, kwargs={k: world.objects[k] for k in pattern.kwargs})


def _client(membership: Membership | None) -> Client:
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


# A GET that the table allows may still be answered 405 (POST-only actions) or redirect
# (logout, language switch, sign-in page for a signed-in user); it is never 403 or 404.
ALLOWED_STATUSES = {200, 302, 405}
# Callbacks that a bare GET cannot satisfy by design: WeChat's OAuth return without its state.
BAD_REQUEST_BY_DESIGN = {"portal:wechat_callback"}


def test_every_url_pattern_is_in_the_access_table() -> None:
    missing = [p.name for p in ALL_PATTERNS if p.name not in access_table()]

    assert missing == []


def test_every_access_table_row_names_a_url_pattern() -> None:
    names = {p.name for p in ALL_PATTERNS}

    assert sorted(set(access_table()) - names) == []


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=lambda p: p.name)
def test_url_pattern_answers_each_role_as_the_table_says(pattern: Pattern, world: World) -> None:
    rule = access_table()[pattern.name]
    url = _url(pattern, world)
    seen: dict[str, int] = {}
    expected: dict[str, object] = {}

    seen["anonymous"] = _client(None).get(url).status_code
    if rule == PUBLIC:
        expected["anonymous"] = "allowed"
    else:
        expected["anonymous"] = 401 if pattern.is_api else 302
    for role, membership in world.staff.items():
        seen[role] = _client(membership).get(url).status_code
        expected[role] = "allowed" if roles_allowed(rule, frozenset({role})) else 403

    allowed = ALLOWED_STATUSES | ({400} if pattern.name in BAD_REQUEST_BY_DESIGN else set())

    def verdict(status: int, want: object) -> object:
        return "allowed" if want == "allowed" and status in allowed else status

    assert {who: verdict(status, expected[who]) for who, status in seen.items()} == expected


# Public patterns with kwargs (providers' delivery-report URLs) are reached by whoever holds their
# secret key, signed in or not: no unit owns the caller, so there is nothing to hide from one.
OBJECT_PATTERNS = [p for p in ALL_PATTERNS if p.kwargs and access_table()[p.name] != PUBLIC]


@pytest.mark.parametrize("pattern", OBJECT_PATTERNS, ids=lambda p: p.name)
def test_url_pattern_hides_objects_of_another_unit(pattern: Pattern, world: World) -> None:
    url = _url(pattern, world)
    client = _client(world.outsider)

    statuses = {client.get(url).status_code, client.post(url).status_code}

    # POST-only actions answer a GET with 405 before they look anything up; everything else
    # must be the same 404 a missing object gets.
    assert 404 in statuses
    assert statuses <= {404, 405}
