"""The ledger's read queries: every form of search, the filters, scoping and query counts."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404

from kefu.customers.models import Consent, Customer, Household, Tag
from kefu.customers.selectors import (
    consent_get,
    contact_get,
    customer_get,
    customer_list,
    household_get,
    timeline_for,
)
from kefu.customers.services import (
    consent_grant,
    customer_set_id_number,
    household_add,
    timeline_record,
)
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import OrgUnit
from kefu.properties.models import Unit
from kefu.properties.tests.factories import BuildingFactory, UnitFactory


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Stages depend on today's date: every test runs on the same day."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@dataclass(frozen=True)
class Ledger:
    zhang: Customer
    li: Customer
    unit: Unit


@pytest.fixture
def ledger(city: OrgUnit) -> Ledger:
    """张三 (13812345678) owns 3-1-1202 in H小区; 李四 (13998765432) owns nothing."""
    building = BuildingFactory(project__organisation=city, project__name="H小区", code="3")
    unit = UnitFactory(building=building, entrance="1", floor=12, number="1202")
    zhang = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    li = CustomerFactory(organisation=city, name="李四", mobile="13998765432")
    household_add(actor=None, customer=zhang, unit=unit, signed_on=date(2024, 5, 1))
    return Ledger(zhang=zhang, li=li, unit=unit)


def _names(customers) -> list[str]:
    return sorted(c.name for c in customers)


# search


@pytest.mark.parametrize(
    "q",
    ["张三", "张", "zhangsan", "zhang san", "ZhangSan", "zs", "ZS"],
    ids=["name", "part-of-name", "pinyin", "pinyin-with-space", "pinyin-capitals", "initials", "initials-capitals"],
)
def test_customer_list_finds_by_name_pinyin_or_initials(q, ledger, agent):
    assert _names(customer_list(viewer=agent, q=q)) == ["张三"]


@pytest.mark.parametrize(
    "q",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "5678", "1381234", "3812345"],
    ids=["full", "spaces", "dashes", "country-code", "last-four", "first-digits", "digits-inside"],
)
def test_customer_list_finds_by_mobile(q, ledger, agent):
    assert _names(customer_list(viewer=agent, q=q)) == ["张三"]


def test_customer_list_matches_last_four_exactly(ledger, agent):
    assert _names(customer_list(viewer=agent, q="1234")) == []


@pytest.mark.parametrize("q", ["3-1-1202", "3-1-12", "3-1-"], ids=["exact", "prefix", "entrance"])
def test_customer_list_finds_by_unit_label(q, ledger, agent):
    assert _names(customer_list(viewer=agent, q=q)) == ["张三"]


def test_customer_list_unit_label_does_not_match_inside_another_label(ledger, agent, city):
    other = UnitFactory(building__project__organisation=city, building__code="13", entrance="1", number="1202")
    household_add(actor=None, customer=ledger.li, unit=other)

    assert _names(customer_list(viewer=agent, q="3-1-1202")) == ["张三"]


def test_customer_list_finds_by_id_number(ledger, agent):
    customer_set_id_number(actor=None, customer=ledger.li, id_number="11010519491231002X", consent_method="paper")

    assert _names(customer_list(viewer=agent, q="11010519491231002x")) == ["李四"]


def test_customer_list_search_returns_each_customer_once(ledger, agent, city):
    household_add(actor=None, customer=ledger.zhang, unit=UnitFactory(building=ledger.unit.building, number="1201"))

    assert [c.name for c in customer_list(viewer=agent, q="3-1-120")] == ["张三"]


# filters


def test_customer_list_filters_by_grade(ledger, agent):
    Customer.objects.filter(pk=ledger.li.pk).update(grade="vip")

    assert _names(customer_list(viewer=agent, grade="vip")) == ["李四"]


def test_customer_list_filters_by_stage(ledger, agent):
    assert _names(customer_list(viewer=agent, stage=Customer.Stage.SIGNED)) == ["张三"]


def test_customer_list_filters_by_kind(ledger, agent, city):
    CustomerFactory(organisation=city, name="华景物业有限公司", kind=Customer.Kind.COMPANY, mobile="")

    assert _names(customer_list(viewer=agent, kind=Customer.Kind.COMPANY)) == ["华景物业有限公司"]


def test_customer_list_filters_by_tag(ledger, agent, city):
    tag = Tag.objects.create(organisation=city, name="老业主")
    ledger.li.tags.add(tag)

    assert _names(customer_list(viewer=agent, tag=tag.pk)) == ["李四"]


def test_customer_list_filters_by_project(ledger, agent, city):
    elsewhere = UnitFactory(building__project__organisation=city)
    household_add(actor=None, customer=ledger.li, unit=elsewhere)

    assert _names(customer_list(viewer=agent, project_id=ledger.unit.project_id)) == ["张三"]


# what the rows carry


def test_customer_list_carries_primary_mobile_and_units(ledger, agent):
    [zhang] = customer_list(viewer=agent, q="张三")

    assert zhang.primary_mobile == "8613812345678"
    assert [h.unit.label for h in zhang.households.all()] == ["3-1-1202"]


def test_customer_list_puts_newest_first(ledger, agent):
    assert [c.name for c in customer_list(viewer=agent)] == ["李四", "张三"]


def test_customer_list_leaves_out_households_outside_the_viewers_scope(ledger, agent, other_city):
    foreign = UnitFactory(building__project__organisation=other_city)
    household_add(actor=None, customer=ledger.zhang, unit=foreign)

    [zhang] = customer_list(viewer=agent, q="张三")

    assert [h.unit for h in zhang.households.all()] == [ledger.unit]


@pytest.mark.parametrize("rows", [3, 6])
def test_customer_list_runs_constant_queries(rows, agent, city, django_assert_num_queries):
    building = BuildingFactory(project__organisation=city)
    for n in range(rows):
        customer = CustomerFactory(organisation=city)
        household_add(actor=None, customer=customer, unit=UnitFactory(building=building))
        customer.tags.add(Tag.objects.create(organisation=city, name=f"标签{n}"))

    # The rows with their primary mobile, then the households (with units) and the tags.
    with django_assert_num_queries(3):
        rows_seen = [
            (c.primary_mobile, [h.unit.label for h in c.households.all()], [t.name for t in c.tags.all()])
            for c in customer_list(viewer=agent)
        ]

    assert len(rows_seen) == rows


# scope


def test_customer_list_shows_outsider_nothing(ledger, outsider):
    assert list(customer_list(viewer=outsider)) == []


@pytest.mark.parametrize("q", ["张三", "zs", "5678", "13812345678", "3-1-1202"])
def test_customer_list_search_finds_nothing_for_outsider(q, ledger, outsider):
    assert list(customer_list(viewer=outsider, q=q)) == []


def test_customer_list_shows_a_group_viewer_every_city(ledger, group_admin, other_city):
    CustomerFactory(organisation=other_city, name="王五")

    assert _names(customer_list(viewer=group_admin)) == ["张三", "李四", "王五"]


def test_customer_list_hides_merged_customers(ledger, agent):
    Customer.objects.filter(pk=ledger.li.pk).update(merged_into=ledger.zhang)

    assert _names(customer_list(viewer=agent)) == ["张三"]


# one customer and its parts


def test_customer_get_returns_own_customer_with_its_parts_loaded(ledger, agent, django_assert_num_queries):
    customer = customer_get(viewer=agent, customer_id=ledger.zhang.pk)

    with django_assert_num_queries(0):
        parts = (
            [h.unit.project.name for h in customer.households.all()],
            [c.value for c in customer.contacts.all()],
            list(customer.consents.all()),
            list(customer.tags.all()),
            list(customer.contact_people.all()),
        )

    assert parts == (["H小区"], ["8613812345678"], [], [], [])


def test_customer_get_hides_another_units_customer(ledger, outsider):
    with pytest.raises(Http404):
        customer_get(viewer=outsider, customer_id=ledger.zhang.pk)


def test_customer_get_still_opens_a_merged_customer(ledger, agent):
    Customer.objects.filter(pk=ledger.li.pk).update(merged_into=ledger.zhang)

    assert customer_get(viewer=agent, customer_id=ledger.li.pk).merged_into == ledger.zhang


def test_timeline_for_lists_newest_first(ledger, agent):
    timeline_record(customer=ledger.li, kind="tickets.opened", summary="Ticket opened")

    kinds = [e.kind for e in timeline_for(viewer=agent, customer=ledger.li)]

    assert kinds == ["tickets.opened", "customers.created"]


def test_timeline_for_pages_with_limit_and_offset(ledger, agent):
    for n in range(3):
        timeline_record(customer=ledger.li, kind=f"test.{n}", summary=str(n))

    kinds = [e.kind for e in timeline_for(viewer=agent, customer=ledger.li, limit=2, offset=1)]

    assert kinds == ["test.1", "test.0"]


def test_timeline_for_shows_outsider_nothing(ledger, outsider):
    assert list(timeline_for(viewer=outsider, customer=ledger.zhang)) == []


def test_household_get_returns_own_household(ledger, agent):
    household = Household.objects.get(customer=ledger.zhang)

    assert household_get(viewer=agent, household_id=household.pk) == household


def test_household_get_hides_another_units_household(ledger, outsider):
    household = Household.objects.get(customer=ledger.zhang)

    with pytest.raises(Http404):
        household_get(viewer=outsider, household_id=household.pk)


def test_contact_get_returns_own_contact(ledger, agent):
    contact = ledger.zhang.contacts.get()

    assert contact_get(viewer=agent, contact_id=contact.pk) == contact


def test_contact_get_hides_another_units_contact(ledger, outsider):
    with pytest.raises(Http404):
        contact_get(viewer=outsider, contact_id=ledger.zhang.contacts.get().pk)


def test_consent_get_returns_own_consent(ledger, agent):
    consent = consent_grant(actor=None, customer=ledger.zhang, purpose="marketing", method="paper")

    assert consent_get(viewer=agent, consent_id=consent.pk) == consent


def test_consent_get_hides_another_units_consent(ledger, outsider):
    consent = consent_grant(actor=None, customer=ledger.zhang, purpose=Consent.Purpose.SURVEY, method="paper")

    with pytest.raises(Http404):
        consent_get(viewer=outsider, consent_id=consent.pk)
