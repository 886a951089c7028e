"""The ledger's write services: what they change, the audit and timeline rows they leave, and
what they refuse."""

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.translation import gettext

from kefu.audit.models import AuditEntry
from kefu.core.crypto import keyed_hash
from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.customers.errors import (
    ContactTaken,
    CustomerMerged,
    HouseholdDatesOutOfOrder,
    HouseholdExists,
    IdNumberNeedsConsent,
    UnitOutsideScope,
)
from kefu.customers.models import Consent, ContactMethod, Customer, GradeRule, Household, TimelineEntry
from kefu.customers.services import (
    TimelineKind,
    consent_grant,
    consent_withdraw,
    contact_add,
    customer_create,
    customer_override_grade,
    customer_set_id_number,
    customer_set_scores,
    customer_update,
    grade_for_scores,
    has_consent,
    household_add,
    household_update,
    stage_for,
    timeline_record,
)
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.models import Unit
from kefu.properties.tests.factories import UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
VALID_ID = "11010519491231002X"
WRONG_CHECK_DIGIT_ID = "110105194912310021"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Stages depend on today's date: every test runs on the same day."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def customer(city) -> Customer:
    return CustomerFactory(organisation=city, name="张三", mobile="13812345678")


@pytest.fixture
def unit(city) -> Unit:
    return UnitFactory(building__project__organisation=city)


def _audit_entries(obj) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)))


def _timeline_kinds(customer: Customer) -> list[str]:
    return list(TimelineEntry.objects.filter(customer=customer).values_list("kind", flat=True))


# customer_create


def test_customer_create_stores_search_keys_and_primary_mobile(agent, city):
    customer = customer_create(actor=agent, organisation=city, name="张三", mobile="138 1234 5678")

    contact = customer.contacts.get()
    assert (customer.name_pinyin, customer.name_initials) == ("zhangsan", "zs")
    assert (contact.kind, contact.value, contact.last4, contact.is_primary) == ("mobile", "8613812345678", "5678", True)


def test_customer_create_writes_audit_entry_with_masked_mobile(agent, city):
    customer = customer_create(actor=agent, organisation=city, name="张三", mobile="13812345678")

    [entry] = _audit_entries(customer)
    assert (entry.action, entry.actor_id) == (AuditEntry.Action.CREATE, agent.user_id)
    assert entry.changes["mobile"] == {"old": None, "new": "138****5678"}


def test_customer_create_writes_timeline_entry(agent, city):
    customer = customer_create(actor=agent, organisation=city, name="张三", mobile="13812345678")

    entry = TimelineEntry.objects.get(customer=customer)
    assert (entry.kind, entry.actor_id) == (TimelineKind.CREATED, agent.user_id)


def test_customer_create_rejects_invalid_mobile_and_writes_nothing(agent, city):
    with pytest.raises(InvalidInput) as caught:
        customer_create(actor=agent, organisation=city, name="张三", mobile="12812345678")

    assert caught.value.field == "mobile"
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_customer_create_accepts_company_without_mobile(agent, city):
    customer = customer_create(actor=agent, organisation=city, name="华景物业有限公司", kind=Customer.Kind.COMPANY)

    assert customer.kind == Customer.Kind.COMPANY
    assert not customer.contacts.exists()


def test_customer_create_refuses_executive(city, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    with pytest.raises(Forbidden):
        customer_create(actor=executive, organisation=city, name="张三", mobile="13812345678")

    assert not Customer.objects.exists()


def test_customer_create_refuses_another_units_organisation(outsider, city):
    with pytest.raises(Forbidden):
        customer_create(actor=outsider, organisation=city, name="张三", mobile="13812345678")

    assert not Customer.objects.exists()


# customer_update


def test_customer_update_renames_and_refreshes_search_keys(agent, customer):
    customer = customer_update(actor=agent, customer=customer, name="李四")

    customer.refresh_from_db()
    assert (customer.name, customer.name_pinyin, customer.name_initials) == ("李四", "lisi", "ls")


def test_customer_update_writes_audit_and_timeline_entries(agent, customer):
    customer_update(actor=agent, customer=customer, name="李四")

    update = [e for e in _audit_entries(customer) if e.action == AuditEntry.Action.UPDATE]
    assert [e.changes["name"] for e in update] == [{"old": "张三", "new": "李四"}]
    assert TimelineKind.UPDATED in _timeline_kinds(customer)


def test_customer_update_without_changes_writes_no_timeline_entry(agent, customer):
    customer_update(actor=agent, customer=customer, name="张三")

    assert _timeline_kinds(customer) == [TimelineKind.CREATED]


def test_customer_update_refuses_merged_customer(agent, city, customer):
    survivor = CustomerFactory(organisation=city)
    Customer.objects.filter(pk=customer.pk).update(merged_into=survivor)
    customer.refresh_from_db()

    with pytest.raises(CustomerMerged):
        customer_update(actor=agent, customer=customer, name="李四")

    customer.refresh_from_db()
    assert customer.name == "张三"


def test_customer_update_refuses_another_units_staff(outsider, customer):
    with pytest.raises(Forbidden):
        customer_update(actor=outsider, customer=customer, name="李四")

    customer.refresh_from_db()
    assert customer.name == "张三"


# contact_add


def test_contact_add_stores_mobile_with_last_four(agent, customer):
    contact = contact_add(actor=agent, customer=customer, kind="mobile", value="139 0000 1234")

    assert (contact.value, contact.last4, contact.is_primary) == ("8613900001234", "1234", False)


def test_contact_add_as_primary_takes_over_from_the_old_primary(agent, customer):
    contact = contact_add(actor=agent, customer=customer, kind="mobile", value="13900001234", is_primary=True)

    primaries = list(customer.contacts.filter(is_primary=True, kind="mobile"))
    assert primaries == [contact]


def test_contact_add_writes_audit_and_timeline_entries(agent, customer):
    contact = contact_add(actor=agent, customer=customer, kind="email", value="zhangsan@example.com")

    [entry] = _audit_entries(contact)
    assert entry.changes == {"email": {"old": None, "new": "zhangsan@example.com"}}
    assert TimelineKind.CONTACT_ADDED in _timeline_kinds(customer)


def test_contact_add_rejects_duplicate(agent, customer):
    with pytest.raises(ContactTaken) as caught:
        contact_add(actor=agent, customer=customer, kind="mobile", value="138-1234-5678")

    assert caught.value.field == "value"
    assert customer.contacts.count() == 1


def test_contact_add_rejects_invalid_mobile(agent, customer):
    with pytest.raises(InvalidInput) as caught:
        contact_add(actor=agent, customer=customer, kind="mobile", value="1381234")

    assert caught.value.field == "value"
    assert customer.contacts.count() == 1


# household_add / household_update


def test_household_add_links_unit_in_the_units_organisation(agent, customer, unit):
    household = household_add(actor=agent, customer=customer, unit=unit, role=Household.Role.OWNER)

    assert (household.customer, household.unit, household.organisation_id) == (customer, unit, unit.organisation_id)


def test_household_add_moves_stage_from_the_dates(agent, customer, unit):
    household_add(actor=agent, customer=customer, unit=unit, signed_on=date(2025, 1, 10))

    customer.refresh_from_db()
    assert customer.stage == Customer.Stage.SIGNED


def test_household_add_writes_audit_and_timeline_entries(agent, customer, unit):
    household = household_add(actor=agent, customer=customer, unit=unit, signed_on=date(2025, 1, 10))

    [entry] = _audit_entries(household)
    assert entry.changes["unit"] == {"old": None, "new": unit.label}
    assert entry.changes["signed_on"] == {"old": None, "new": "2025-01-10"}
    assert TimelineKind.HOUSEHOLD_ADDED in _timeline_kinds(customer)


def test_household_add_rejects_delivery_before_signing(agent, customer, unit):
    with pytest.raises(HouseholdDatesOutOfOrder) as caught:
        household_add(
            actor=agent, customer=customer, unit=unit, signed_on=date(2025, 6, 1), delivered_on=date(2025, 5, 1)
        )

    assert caught.value.field == "delivered_on"
    assert not Household.objects.exists()


def test_household_add_rejects_unit_outside_scope(agent, customer, other_city):
    foreign = UnitFactory(building__project__organisation=other_city)

    with pytest.raises(UnitOutsideScope) as caught:
        household_add(actor=agent, customer=customer, unit=foreign)

    assert caught.value.field == "unit"
    assert not Household.objects.exists()


def test_household_add_rejects_duplicate(agent, customer, unit):
    household_add(actor=agent, customer=customer, unit=unit)

    with pytest.raises(HouseholdExists) as caught:
        household_add(actor=agent, customer=customer, unit=unit, role=Household.Role.TENANT)

    assert caught.value.field == "unit"
    assert Household.objects.filter(customer=customer).count() == 1


def test_household_add_refuses_executive(city, customer, unit, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    with pytest.raises(Forbidden):
        household_add(actor=executive, customer=customer, unit=unit)

    assert not Household.objects.exists()


def test_household_update_changes_dates_and_stage(agent, customer, unit):
    household = household_add(actor=agent, customer=customer, unit=unit, signed_on=date(2025, 1, 10))

    household_update(
        actor=agent, household=household, role="owner", signed_on=date(2025, 1, 10), delivered_on=date(2026, 1, 5)
    )

    household.refresh_from_db()
    customer.refresh_from_db()
    assert household.delivered_on == date(2026, 1, 5)
    assert customer.stage == Customer.Stage.DELIVERED


def test_household_update_writes_audit_and_timeline_entries(agent, customer, unit):
    household = household_add(actor=agent, customer=customer, unit=unit)

    household_update(actor=agent, household=household, role="tenant")

    update = [e for e in _audit_entries(household) if e.action == AuditEntry.Action.UPDATE]
    assert [e.changes for e in update] == [{"role": {"old": "owner", "new": "tenant"}}]
    assert TimelineKind.HOUSEHOLD_UPDATED in _timeline_kinds(customer)


def test_household_update_rejects_move_in_before_delivery(agent, customer, unit):
    household = household_add(actor=agent, customer=customer, unit=unit, delivered_on=date(2025, 6, 1))

    with pytest.raises(HouseholdDatesOutOfOrder) as caught:
        household_update(
            actor=agent, household=household, role="owner", delivered_on=date(2025, 6, 1), moved_in_on=date(2025, 5, 1)
        )

    household.refresh_from_db()
    assert caught.value.field == "moved_in_on"
    assert household.moved_in_on is None


def test_stage_for_takes_the_furthest_household(city):
    households = [
        Household(signed_on=date(2025, 1, 1)),
        Household(signed_on=date(2024, 1, 1), delivered_on=date(2025, 1, 1), moved_in_on=date(2025, 2, 1)),
    ]

    assert stage_for(households, today=date(2025, 3, 1)) == Customer.Stage.LIVING


def test_stage_for_ignores_dates_still_to_come(city):
    households = [Household(signed_on=date(2025, 1, 1), delivered_on=date(2025, 12, 1))]

    assert stage_for(households, today=date(2025, 3, 1)) == Customer.Stage.AWAITING_DELIVERY


# consent


def test_consent_grant_records_purpose_channel_and_method(agent, customer):
    consent = consent_grant(actor=agent, customer=customer, purpose="marketing", method="paper", channel="sms")

    assert (consent.purpose, consent.channel, consent.method, consent.recorded_by) == (
        "marketing",
        "sms",
        "paper",
        agent.user,
    )


def test_consent_grant_writes_audit_and_timeline_entries(agent, customer):
    consent = consent_grant(actor=agent, customer=customer, purpose="survey", method="phone")

    [entry] = _audit_entries(consent)
    assert entry.action == AuditEntry.Action.CREATE
    assert TimelineKind.CONSENT_GRANTED in _timeline_kinds(customer)


def test_has_consent_needs_none_for_service_messages(customer):
    assert has_consent(customer=customer, purpose=Consent.Purpose.SERVICE, channel="sms")


def test_has_consent_follows_the_channel(agent, customer):
    consent_grant(actor=agent, customer=customer, purpose="marketing", method="paper", channel="wechat")

    assert has_consent(customer=customer, purpose="marketing", channel="wechat")
    assert not has_consent(customer=customer, purpose="marketing", channel="sms")


def test_consent_withdraw_ends_consent(agent, customer):
    consent = consent_grant(actor=agent, customer=customer, purpose="marketing", method="paper")

    consent_withdraw(actor=agent, consent=consent)

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert not has_consent(customer=customer, purpose="marketing")


def test_consent_withdraw_writes_audit_and_timeline_entries(agent, customer):
    consent = consent_grant(actor=agent, customer=customer, purpose="marketing", method="paper")

    consent_withdraw(actor=agent, consent=consent)

    assert [e.action for e in _audit_entries(consent)] == [AuditEntry.Action.UPDATE, AuditEntry.Action.CREATE]
    assert TimelineKind.CONSENT_WITHDRAWN in _timeline_kinds(customer)


def test_consent_withdraw_of_id_consent_erases_the_id_number(agent, customer):
    customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID, consent_method="paper")
    consent = customer.consents.get(purpose=Consent.Purpose.ID_NUMBER)

    consent_withdraw(actor=agent, consent=consent)

    customer.refresh_from_db()
    assert (customer.id_number_encrypted, customer.id_number_hash, customer.id_number_masked) == ("", "", "")


# customer_set_id_number


def test_customer_set_id_number_stores_it_encrypted_hashed_and_masked(agent, customer):
    customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID, consent_method="paper")

    customer.refresh_from_db()
    assert customer.id_number_hash == keyed_hash(VALID_ID)
    assert customer.id_number_masked == "110***********002X"
    assert VALID_ID not in customer.id_number_encrypted


def test_customer_set_id_number_records_its_consent(agent, customer):
    customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID, consent_method="paper")

    assert has_consent(customer=customer, purpose=Consent.Purpose.ID_NUMBER)


def test_customer_set_id_number_writes_masked_audit_and_timeline_entries(agent, customer):
    customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID, consent_method="paper")

    entries = [e for e in _audit_entries(customer) if "id_number" in e.changes]
    assert [e.changes["id_number"] for e in entries] == [{"old": None, "new": "110***********002X"}]
    assert VALID_ID not in str(AuditEntry.objects.values_list("changes", flat=True))
    assert TimelineKind.ID_NUMBER_SET in _timeline_kinds(customer)


def test_customer_set_id_number_rejects_wrong_check_digit(agent, customer):
    with pytest.raises(InvalidInput) as caught:
        customer_set_id_number(actor=agent, customer=customer, id_number=WRONG_CHECK_DIGIT_ID, consent_method="paper")

    customer.refresh_from_db()
    assert caught.value.field == "id_number"
    assert customer.id_number_hash == ""
    assert not customer.consents.exists()


def test_customer_set_id_number_refuses_without_consent(agent, customer):
    with pytest.raises(IdNumberNeedsConsent) as caught:
        customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID)

    customer.refresh_from_db()
    assert caught.value.field == "consent_method"
    assert customer.id_number_hash == ""


def test_customer_set_id_number_uses_consent_on_file(agent, customer):
    consent_grant(actor=agent, customer=customer, purpose=Consent.Purpose.ID_NUMBER, method="portal")

    customer_set_id_number(actor=agent, customer=customer, id_number=VALID_ID)

    customer.refresh_from_db()
    assert customer.id_number_hash == keyed_hash(VALID_ID)
    assert customer.consents.count() == 1


# grades and scores


def test_grade_for_scores_takes_the_first_rule_met_by_priority(city):
    GradeRule.objects.create(organisation=city, grade="vip", priority=1, min_contribution=90)
    GradeRule.objects.create(organisation=city, grade="a", priority=2, min_contribution=60)

    grade, _reason = grade_for_scores(organisation=city, contribution=70, influence=0, potential=0)

    assert grade == "a"


def test_grade_for_scores_applies_a_rule_of_a_unit_above(group, city):
    GradeRule.objects.create(organisation=group, grade="b", priority=5, min_influence=10)

    grade, _reason = grade_for_scores(organisation=city, contribution=0, influence=20, potential=0)

    assert grade == "b"


def test_grade_for_scores_ignores_inactive_rules(city):
    GradeRule.objects.create(organisation=city, grade="vip", priority=1, is_active=False)

    grade, _reason = grade_for_scores(organisation=city, contribution=100, influence=100, potential=100)

    assert grade == ""


def test_customer_set_scores_grades_by_rule_with_reason(agent, city, customer):
    GradeRule.objects.create(organisation=city, grade="a", priority=1, min_contribution=60, description="A 级")

    customer_set_scores(actor=agent, customer=customer, contribution=80, influence=10, potential=10)

    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source) == ("a", Customer.GradeSource.RULE)
    assert customer.grade_reason == gettext(
        "Rule %(rule)s: contribution %(c)s ≥ %(mc)s, influence %(i)s ≥ %(mi)s, potential %(p)s ≥ %(mp)s"
    ) % {"rule": "A 级", "c": 80, "mc": 60, "i": 10, "mi": 0, "p": 10, "mp": 0}


def test_customer_set_scores_writes_grade_change_to_timeline(agent, city, customer):
    GradeRule.objects.create(organisation=city, grade="a", priority=1, min_contribution=60)

    customer_set_scores(actor=agent, customer=customer, contribution=80, influence=0, potential=0)

    entry = TimelineEntry.objects.get(customer=customer, kind=TimelineKind.GRADE_CHANGED)
    assert entry.data == {"old": "", "new": "a", "source": "rule"}


def test_customer_override_grade_is_kept_when_scores_change(agent, city, customer):
    GradeRule.objects.create(organisation=city, grade="c", priority=1)
    customer_override_grade(actor=agent, customer=customer, grade="vip", note="Board member's family")

    customer_set_scores(actor=agent, customer=customer, contribution=10, influence=10, potential=10)

    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source, customer.grade_reason) == (
        "vip",
        Customer.GradeSource.MANUAL,
        "Board member's family",
    )
    assert customer.contribution_score == 10


def test_customer_override_grade_refuses_executive(city, customer, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    with pytest.raises(Forbidden):
        customer_override_grade(actor=executive, customer=customer, grade="vip", note="x")

    customer.refresh_from_db()
    assert customer.grade == ""


# timeline_record


def test_timeline_record_links_any_record(agent, customer):
    contact = customer.contacts.get(kind=ContactMethod.Kind.MOBILE)

    entry = timeline_record(
        customer=customer, kind="tickets.opened", summary="Ticket opened", actor=agent, target=contact
    )

    assert (entry.target, entry.organisation_id, entry.actor) == (contact, customer.organisation_id, agent.user)
