"""Likely duplicates and merging: what a merge moves, the trail it leaves, and what it refuses."""

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden
from kefu.core.roles import Role
from kefu.customers import selectors
from kefu.customers.errors import CustomerAnonymised, CustomerMerged, MergeWithItself
from kefu.customers.merge import DuplicateKey, customer_merge, duplicate_groups
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, Household, Tag, TimelineEntry
from kefu.customers.services import (
    TimelineKind,
    consent_grant,
    contact_add,
    customer_set_id_number,
    household_add,
)
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import BuildingFactory, UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id_number(first17: str) -> str:
    """A GB 11643 ID number: the 17 digits given and their check digit."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


ID_A = valid_id_number("11010519491231002")
ID_B = valid_id_number("44030019800101123")


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def building(city):
    return BuildingFactory(project__organisation=city, project__name="H小区", code="3")


def _with_id(customer: Customer, id_number: str) -> Customer:
    return customer_set_id_number(
        actor=None, customer=customer, id_number=id_number, consent_method=Consent.Method.PAPER
    )


# Duplicate groups


def test_duplicate_groups_finds_customers_sharing_a_mobile(admin, city):
    first = CustomerFactory(organisation=city, mobile="13812345678")
    second = CustomerFactory(organisation=city, mobile="138 1234 5678")
    CustomerFactory(organisation=city, mobile="13900000000")

    groups = duplicate_groups(viewer=admin)

    assert [[c.pk for c in g.customers] for g in groups] == [[first.pk, second.pk]]
    assert groups[0].keys == [DuplicateKey(DuplicateKey.MOBILE, "138****5678")]


def test_duplicate_groups_finds_customers_sharing_an_id_number(admin, city):
    first = _with_id(CustomerFactory(organisation=city), ID_A)
    second = _with_id(CustomerFactory(organisation=city), ID_A)
    _with_id(CustomerFactory(organisation=city), ID_B)

    groups = duplicate_groups(viewer=admin)

    assert [[c.pk for c in g.customers] for g in groups] == [[first.pk, second.pk]]
    assert groups[0].keys == [DuplicateKey(DuplicateKey.ID_NUMBER, "110***********002X")]


def test_duplicate_groups_gives_a_pair_sharing_mobile_and_id_one_group(admin, city):
    first = _with_id(CustomerFactory(organisation=city, mobile="13812345678"), ID_A)
    _with_id(CustomerFactory(organisation=city, mobile="13812345678"), ID_A)

    groups = duplicate_groups(viewer=admin)

    assert len(groups) == 1
    assert groups[0].target.pk == first.pk
    assert {key.kind for key in groups[0].keys} == {DuplicateKey.MOBILE, DuplicateKey.ID_NUMBER}


def test_duplicate_groups_leaves_out_merged_customers(admin, city):
    target = _with_id(CustomerFactory(organisation=city), ID_A)
    source = _with_id(CustomerFactory(organisation=city), ID_B)  # kept on the retired record
    _with_id(CustomerFactory(organisation=city), ID_B)
    customer_merge(actor=admin, target=target, source=source)

    assert duplicate_groups(viewer=admin) == []


def test_duplicate_groups_leaves_out_anonymised_customers(admin, city):
    CustomerFactory(organisation=city, mobile="13812345678")
    erased = CustomerFactory(organisation=city, mobile="13812345678")
    Customer.objects.filter(pk=erased.pk).update(is_anonymised=True)

    assert duplicate_groups(viewer=admin) == []


def test_duplicate_groups_ignores_customers_of_another_unit(admin, city, other_city):
    CustomerFactory(organisation=city, mobile="13812345678")
    CustomerFactory(organisation=other_city, mobile="13812345678")

    assert duplicate_groups(viewer=admin) == []


def test_duplicate_groups_runs_a_constant_number_of_queries(admin, city, django_assert_num_queries):
    for n in range(3):
        CustomerFactory(organisation=city, mobile=f"1381234567{n}")
        _with_id(CustomerFactory(organisation=city, mobile=f"1381234567{n}"), valid_id_number(f"1101051949123100{n}"))
        _with_id(CustomerFactory(organisation=city), valid_id_number(f"1101051949123100{n}"))

    with django_assert_num_queries(2):
        groups = duplicate_groups(viewer=admin)

    assert len(groups) == 6


# Merge: what moves


def test_customer_merge_moves_households_contacts_consents_tags_and_timeline(admin, city, building):
    target = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    source = CustomerFactory(organisation=city, name="张三", mobile="13900001111")
    household = household_add(actor=None, customer=source, unit=UnitFactory(building=building))
    consent = consent_grant(actor=None, customer=source, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    tag = Tag.objects.create(organisation=city, name="业主代表")
    source.tags.add(tag)
    source_entries = set(TimelineEntry.objects.filter(customer=source).values_list("pk", flat=True))

    customer_merge(actor=admin, target=target, source=source, note="同一人")

    household.refresh_from_db()
    consent.refresh_from_db()
    assert household.customer_id == target.pk
    assert consent.customer_id == target.pk
    assert set(target.contacts.values_list("value", flat=True)) == {"8613812345678", "8613900001111"}
    assert list(target.tags.all()) == [tag]
    assert not source.tags.exists()
    assert source_entries <= set(TimelineEntry.objects.filter(customer=target).values_list("pk", flat=True))
    assert not TimelineEntry.objects.filter(customer=source).exists()


def test_customer_merge_keeps_the_target_primary_mobile(admin, city):
    target = CustomerFactory(organisation=city, mobile="13812345678")
    source = CustomerFactory(organisation=city, mobile="13900001111")

    customer_merge(actor=admin, target=target, source=source)

    assert list(target.contacts.filter(is_primary=True).values_list("value", flat=True)) == ["8613812345678"]


def test_customer_merge_drops_a_contact_the_target_already_has(admin, city):
    target = CustomerFactory(organisation=city, mobile="13812345678")
    source = CustomerFactory(organisation=city, mobile="13812345678")
    contact_add(actor=None, customer=source, kind=ContactMethod.Kind.EMAIL, value="zs@example.com")

    customer_merge(actor=admin, target=target, source=source)

    assert sorted(target.contacts.values_list("kind", "value")) == [
        ("email", "zs@example.com"),
        ("mobile", "8613812345678"),
    ]
    assert not ContactMethod.objects.filter(customer=source).exists()


def test_customer_merge_combines_households_of_the_same_unit(admin, city, building):
    unit = UnitFactory(building=building)
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)
    kept = household_add(actor=None, customer=target, unit=unit, signed_on=date(2024, 5, 1))
    household_add(
        actor=None, customer=source, unit=unit, subscribed_on=date(2024, 4, 1), delivered_on=date(2025, 12, 1)
    )

    customer_merge(actor=admin, target=target, source=source)

    kept.refresh_from_db()
    assert list(Household.objects.filter(unit=unit).values_list("pk", flat=True)) == [kept.pk]
    assert (kept.subscribed_on, kept.signed_on, kept.delivered_on) == (
        date(2024, 4, 1),
        date(2024, 5, 1),
        date(2025, 12, 1),
    )


def test_customer_merge_leaves_out_a_date_that_would_break_the_order(admin, city, building):
    unit = UnitFactory(building=building)
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)
    kept = household_add(actor=None, customer=target, unit=unit, signed_on=date(2024, 5, 1))
    household_add(actor=None, customer=source, unit=unit, subscribed_on=date(2024, 6, 1))

    customer_merge(actor=admin, target=target, source=source)

    kept.refresh_from_db()
    assert (kept.subscribed_on, kept.signed_on) == (None, date(2024, 5, 1))


def test_customer_merge_refreshes_the_target_stage(admin, city, building):
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)
    household_add(
        actor=None,
        customer=source,
        unit=UnitFactory(building=building),
        signed_on=date(2024, 5, 1),
        delivered_on=date(2025, 12, 1),
    )

    customer_merge(actor=admin, target=target, source=source)

    target.refresh_from_db()
    assert target.stage == Customer.Stage.DELIVERED


def test_customer_merge_moves_company_contact_people(admin, city):
    target = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, mobile="")
    source = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, mobile="")
    person = ContactPerson.objects.create(company=source, name="王经理")

    customer_merge(actor=admin, target=target, source=source)

    person.refresh_from_db()
    assert person.company_id == target.pk


def test_customer_merge_moves_the_id_number_when_the_target_has_none(admin, city):
    target = CustomerFactory(organisation=city)
    source = _with_id(CustomerFactory(organisation=city), ID_A)
    hashed = source.id_number_hash

    customer_merge(actor=admin, target=target, source=source)

    target.refresh_from_db()
    source.refresh_from_db()
    assert (target.id_number_hash, target.id_number_masked) == (hashed, "110***********002X")
    assert source.id_number_hash == ""


def test_customer_merge_keeps_the_target_id_number(admin, city):
    target = _with_id(CustomerFactory(organisation=city), ID_A)
    source = _with_id(CustomerFactory(organisation=city), ID_B)
    kept_hash = target.id_number_hash

    customer_merge(actor=admin, target=target, source=source)

    target.refresh_from_db()
    assert target.id_number_hash == kept_hash


def test_customer_merge_marks_the_source_as_merged_into_the_target(admin, city):
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)

    customer_merge(actor=admin, target=target, source=source)

    source.refresh_from_db()
    assert source.merged_into_id == target.pk


# Merge: the trail


def test_customer_merge_writes_a_merge_audit_entry_for_both(supervisor, city):
    target = CustomerFactory(organisation=city, name="张三")
    source = CustomerFactory(organisation=city, name="张三 (重复)")

    customer_merge(actor=supervisor, target=target, source=source, note="同一人，两次登记")

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.MERGE).order_by("sequence")
    assert [(e.object_id, e.actor_id, e.note) for e in entries] == [
        (str(target.pk), supervisor.user_id, "同一人，两次登记"),
        (str(source.pk), supervisor.user_id, "同一人，两次登记"),
    ]
    assert entries[1].changes["merged_into"]["new"] == f"张三 #{target.pk}"


def test_customer_merge_records_where_the_records_came_from_on_the_target_timeline(admin, city):
    target = CustomerFactory(organisation=city, name="张三")
    source = CustomerFactory(organisation=city, name="张三丰")

    customer_merge(actor=admin, target=target, source=source)

    entry = TimelineEntry.objects.get(customer=target, kind=TimelineKind.MERGED)
    assert (entry.data["source_id"], entry.object_id, entry.actor_id) == (source.pk, str(source.pk), admin.user_id)


# Merge: what it refuses


def test_customer_merge_refuses_a_customer_with_itself(admin, city):
    customer = CustomerFactory(organisation=city)

    with pytest.raises(MergeWithItself) as caught:
        customer_merge(actor=admin, target=customer, source=customer)

    assert caught.value.field == "source"
    customer.refresh_from_db()
    assert customer.merged_into_id is None


def test_customer_merge_refuses_an_actor_of_another_unit(outsider, city):
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)

    with pytest.raises(Forbidden):
        customer_merge(actor=outsider, target=target, source=source)

    source.refresh_from_db()
    assert source.merged_into_id is None


def test_customer_merge_refuses_a_source_outside_the_actors_scope(admin, city, other_city):
    target = CustomerFactory(organisation=city, mobile="13812345678")
    source = CustomerFactory(organisation=other_city, mobile="13812345678")

    with pytest.raises(Forbidden):
        customer_merge(actor=admin, target=target, source=source)

    source.refresh_from_db()
    assert source.merged_into_id is None


def test_customer_merge_refuses_an_agent(agent, city):
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)

    with pytest.raises(Forbidden):
        customer_merge(actor=agent, target=target, source=source)

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGE).exists()


def test_customer_merge_refuses_an_already_merged_source(admin, city):
    first = CustomerFactory(organisation=city)
    second = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)
    customer_merge(actor=admin, target=first, source=source)

    with pytest.raises(CustomerMerged):
        customer_merge(actor=admin, target=second, source=source)

    source.refresh_from_db()
    assert source.merged_into_id == first.pk


def test_customer_merge_refuses_an_anonymised_customer(admin, city):
    target = CustomerFactory(organisation=city)
    source = CustomerFactory(organisation=city)
    Customer.objects.filter(pk=source.pk).update(is_anonymised=True)

    with pytest.raises(CustomerAnonymised):
        customer_merge(actor=admin, target=target, source=source)

    source.refresh_from_db()
    assert source.merged_into_id is None


# After a merge


def test_customer_list_leaves_out_a_merged_customer(admin, city):
    target = CustomerFactory(organisation=city, name="张三")
    source = CustomerFactory(organisation=city, name="张三")
    customer_merge(actor=admin, target=target, source=source)

    found = selectors.customer_list(viewer=admin, q="张三")

    assert [c.pk for c in found] == [target.pk]
