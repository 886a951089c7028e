"""The ledger's staff pages: who may open them, what they show, and what their forms do."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import SUCCESS, get_messages
from django.urls import reverse
from django.utils.translation import gettext

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.customers.models import Consent, Customer, GradeRule, Household, TimelineEntry
from kefu.customers.services import consent_grant, customer_override_grade, household_add, timeline_record
from kefu.customers.tests.factories import CustomerFactory
from kefu.customers.views import TIMELINE_PAGE
from kefu.orgs.models import OrgUnit
from kefu.properties.models import Unit
from kefu.properties.tests.factories import BuildingFactory, UnitFactory

VALID_ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Stages depend on today's date, and a still clock keeps session writes out of query counts."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@dataclass(frozen=True)
class Ledger:
    customer: Customer
    unit: Unit
    household: Household
    consent: Consent


@pytest.fixture
def ledger(city: OrgUnit) -> Ledger:
    """张三 (13812345678) owns 3-1-1202 in H小区 and agreed to marketing on paper."""
    building = BuildingFactory(project__organisation=city, project__name="H小区", code="3", name="3栋")
    unit = UnitFactory(building=building, entrance="1", floor=12, number="1202")
    customer = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    household = household_add(actor=None, customer=customer, unit=unit, signed_on=date(2025, 5, 1))
    consent = consent_grant(actor=None, customer=customer, purpose="marketing", method="paper")
    return Ledger(customer=customer, unit=unit, household=household, consent=consent)


def _url(name: str, ledger: Ledger) -> str:
    kwargs = {
        "customers:household_edit": {"household_id": ledger.household.pk},
        "customers:consent_withdraw": {"consent_id": ledger.consent.pk},
        "customers:customer_list": {},
        "customers:customer_create": {},
    }.get(name, {"customer_id": ledger.customer.pk})
    return reverse(name, kwargs=kwargs)


def _success_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == SUCCESS]


def _detail_url(customer: Customer) -> str:
    return reverse("customers:customer_detail", kwargs={"customer_id": customer.pk})


OBJECT_PAGES = [
    "customers:customer_detail",
    "customers:customer_edit",
    "customers:household_add",
    "customers:household_edit",
    "customers:contact_add",
    "customers:consent_add",
    "customers:id_number_set",
    "customers:grade_override",
    "customers:scores_set",
]
FORM_PAGES = [name for name in OBJECT_PAGES if name != "customers:customer_detail"]
POST_PAGES = [*FORM_PAGES, "customers:consent_withdraw"]
MANAGE_PAGES = ["customers:customer_create", *POST_PAGES]
READ_PAGES = ["customers:customer_list", "customers:customer_detail"]


# who may open what


@pytest.mark.parametrize("name", ["customers:customer_list", *OBJECT_PAGES])
def test_page_opens_for_owner(name, ledger, agent, client_for):
    response = client_for(agent).get(_url(name, ledger))

    assert response.status_code == 200


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_object_page_hides_other_units_customer(name, ledger, outsider, client_for):
    response = client_for(outsider).get(_url(name, ledger))

    assert response.status_code == 404


@pytest.mark.parametrize("name", POST_PAGES)
def test_post_hides_other_units_customer_and_changes_nothing(name, ledger, outsider, client_for):
    audit_rows = AuditEntry.objects.count()

    response = client_for(outsider).post(_url(name, ledger), {"name": "改名", "value": "13900001111"})

    assert response.status_code == 404
    assert AuditEntry.objects.count() == audit_rows


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_page_refuses_contractor(name, ledger, city, make_staff, client_for):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = client_for(contractor).get(_url(name, ledger))

    assert response.status_code == 403


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_page_opens_for_executive(name, ledger, city, make_staff, client_for):
    executive = make_staff(city, Role.EXECUTIVE)

    response = client_for(executive).get(_url(name, ledger))

    assert response.status_code == 200


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_page_refuses_executive(name, ledger, city, make_staff, client_for):
    executive = make_staff(city, Role.EXECUTIVE)

    response = client_for(executive).post(_url(name, ledger), {"name": "改名"})

    assert response.status_code == 403


def test_consent_withdraw_refuses_get(ledger, agent, client_for):
    response = client_for(agent).get(_url("customers:consent_withdraw", ledger))

    ledger.consent.refresh_from_db()
    assert response.status_code == 405
    assert ledger.consent.withdrawn_at is None


# the list


def test_customer_list_shows_customer_with_masked_mobile_and_unit(ledger, agent, client_for):
    response = client_for(agent).get(reverse("customers:customer_list"))

    body = response.content.decode()
    assert list(response.context["page_obj"]) == [ledger.customer]
    assert "138****5678" in body
    assert "3-1-1202" in body
    assert "13812345678" not in body


@pytest.mark.parametrize("q", ["zs", "5678", "3-1-1202"])
def test_customer_list_searches(q, ledger, agent, city, client_for):
    CustomerFactory(organisation=city, name="李四", mobile="13998761234")

    response = client_for(agent).get(reverse("customers:customer_list"), {"q": q})

    assert list(response.context["page_obj"]) == [ledger.customer]


def test_customer_list_filters_by_grade_and_project(ledger, agent, city, client_for):
    customer_override_grade(actor=agent, customer=ledger.customer, grade="vip", note="x")
    other = CustomerFactory(organisation=city)
    customer_override_grade(actor=agent, customer=other, grade="vip", note="x")

    response = client_for(agent).get(
        reverse("customers:customer_list"), {"grade": "vip", "project": ledger.unit.project_id}
    )

    assert list(response.context["page_obj"]) == [ledger.customer]


def test_customer_list_htmx_renders_rows_only(ledger, agent, client_for):
    response = client_for(agent).get(reverse("customers:customer_list"), {"q": "zs"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert reverse("customers:customer_detail", kwargs={"customer_id": ledger.customer.pk}) in body
    assert "<html" not in body


def test_customer_list_hides_other_units_customers(ledger, outsider, client_for):
    response = client_for(outsider).get(reverse("customers:customer_list"), {"q": "张三"})

    assert list(response.context["page_obj"]) == []
    assert _detail_url(ledger.customer) not in response.content.decode()


def test_customer_list_without_customers_offers_create(agent, client_for):
    response = client_for(agent).get(reverse("customers:customer_list"))

    body = response.content.decode()
    assert gettext("No customers yet") in body
    assert reverse("customers:customer_create") in body


def test_customer_list_without_match_offers_clear_filters(ledger, agent, client_for):
    response = client_for(agent).get(reverse("customers:customer_list"), {"q": "nobody"})

    assert response.context["is_filtered"] is True
    assert gettext("Clear filters") in response.content.decode()


def test_customer_list_hides_new_customer_button_from_executive(ledger, city, make_staff, client_for):
    executive = make_staff(city, Role.EXECUTIVE)

    response = client_for(executive).get(reverse("customers:customer_list"))

    assert reverse("customers:customer_create") not in response.content.decode()


@pytest.mark.parametrize("rows", [3, 7])
def test_customer_list_page_runs_constant_queries(rows, agent, city, client_for, django_assert_num_queries):
    building = BuildingFactory(project__organisation=city)
    for _ in range(rows):
        customer = CustomerFactory(organisation=city)
        household_add(actor=None, customer=customer, unit=UnitFactory(building=building))
    client = client_for(agent)
    client.get(reverse("customers:customer_list"))

    # 4 for the session, user, membership and roles; 6 for the page: the paginator's COUNT, the
    # rows with their primary mobile, their households, their tags, the filter choices (projects, tags).
    with django_assert_num_queries(10):
        response = client.get(reverse("customers:customer_list"))

    assert len(response.context["page_obj"]) == rows


# create and edit


def test_customer_create_creates_customer_and_redirects(agent, city, client_for):
    data = {"kind": "person", "organisation": city.pk, "name": "王五", "mobile": "139 0000 1234"}

    response = client_for(agent).post(reverse("customers:customer_create"), data)

    customer = Customer.objects.get(name="王五")
    assert response["Location"] == _detail_url(customer)
    assert customer.contacts.get().value == "8613900001234"
    assert len(_success_messages(response)) == 1


def test_customer_create_shows_mobile_error_and_writes_nothing(agent, city, client_for):
    data = {"kind": "person", "organisation": city.pk, "name": "王五", "mobile": "12345"}

    response = client_for(agent).post(reverse("customers:customer_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["mobile"]
    assert not Customer.objects.exists()


def test_customer_create_needs_mobile_for_a_person(agent, city, client_for):
    data = {"kind": "person", "organisation": city.pk, "name": "王五"}

    response = client_for(agent).post(reverse("customers:customer_create"), data)

    assert list(response.context["form"].errors) == ["mobile"]
    assert not Customer.objects.exists()


def test_customer_create_accepts_company_without_mobile(agent, city, client_for):
    data = {"kind": "company", "organisation": city.pk, "name": "华景物业有限公司"}

    response = client_for(agent).post(reverse("customers:customer_create"), data)

    customer = Customer.objects.get()
    assert response["Location"] == _detail_url(customer)
    assert customer.kind == Customer.Kind.COMPANY


def test_customer_create_refuses_organisation_of_another_unit(agent, other_city, client_for):
    data = {"kind": "person", "organisation": other_city.pk, "name": "王五", "mobile": "13900001234"}

    response = client_for(agent).post(reverse("customers:customer_create"), data)

    assert list(response.context["form"].errors) == ["organisation"]
    assert not Customer.objects.exists()


def test_customer_edit_saves_and_redirects(ledger, agent, client_for):
    data = {"name": "张三丰", "notes": "VIP 家属"}

    response = client_for(agent).post(_url("customers:customer_edit", ledger), data)

    ledger.customer.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert (ledger.customer.name, ledger.customer.name_initials) == ("张三丰", "zsf")
    assert len(_success_messages(response)) == 1


def test_customer_edit_shows_name_error_and_writes_nothing(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:customer_edit", ledger), {"name": ""})

    ledger.customer.refresh_from_db()
    assert list(response.context["form"].errors) == ["name"]
    assert ledger.customer.name == "张三"


# the 360° page


def test_customer_detail_shows_the_customers_parts(ledger, agent, client_for):
    response = client_for(agent).get(_url("customers:customer_detail", ledger))

    body = response.content.decode()
    assert reverse("properties:unit_detail", kwargs={"unit_id": ledger.unit.pk}) in body
    assert "138****5678" in body
    assert "13812345678" not in body
    assert ledger.consent.get_purpose_display() in body
    assert response.context["households"] == [ledger.household]


def test_customer_detail_shows_masked_id_number_only(ledger, agent, client_for):
    from kefu.customers.services import customer_set_id_number

    customer_set_id_number(actor=agent, customer=ledger.customer, id_number=VALID_ID, consent_method="paper")

    body = client_for(agent).get(_url("customers:customer_detail", ledger)).content.decode()

    assert "110***********002X" in body
    assert VALID_ID not in body


def test_customer_detail_shows_timeline_newest_first_with_actor(ledger, agent, client_for):
    timeline_record(customer=ledger.customer, kind="tickets.opened", summary="报修：厨房漏水", actor=agent)

    response = client_for(agent).get(_url("customers:customer_detail", ledger))

    first = response.context["timeline"][0]
    assert (first.summary, first.actor.membership.name) == ("报修：厨房漏水", "张三")
    assert "报修：厨房漏水" in response.content.decode()


def test_customer_detail_pages_the_timeline(ledger, agent, client_for):
    for n in range(TIMELINE_PAGE + 5):
        timeline_record(customer=ledger.customer, kind="test.event", summary=f"event {n}")
    total = TimelineEntry.objects.filter(customer=ledger.customer).count()

    response = client_for(agent).get(_url("customers:customer_detail", ledger))

    assert len(response.context["timeline"]) == TIMELINE_PAGE
    assert response.context["timeline_next"] == TIMELINE_PAGE
    assert total > TIMELINE_PAGE


def test_customer_detail_show_more_returns_the_next_entries_only(ledger, agent, client_for):
    for n in range(TIMELINE_PAGE + 5):
        timeline_record(customer=ledger.customer, kind="test.event", summary=f"event {n}")
    total = TimelineEntry.objects.filter(customer=ledger.customer).count()

    response = client_for(agent).get(
        _url("customers:customer_detail", ledger), {"timeline": TIMELINE_PAGE}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert body.count("kefu-timeline-entry") == total - TIMELINE_PAGE
    assert 'id="timeline-more"' not in body
    assert "<html" not in body


def test_customer_detail_hides_manage_buttons_from_executive(ledger, city, make_staff, client_for):
    executive = make_staff(city, Role.EXECUTIVE)

    body = client_for(executive).get(_url("customers:customer_detail", ledger)).content.decode()

    assert _url("customers:customer_edit", ledger) not in body
    assert _url("customers:household_add", ledger) not in body


@pytest.mark.parametrize("extra", [1, 4])
def test_customer_detail_runs_constant_queries(extra, ledger, agent, client_for, django_assert_num_queries):
    for _ in range(extra):
        household_add(actor=None, customer=ledger.customer, unit=UnitFactory(building=ledger.unit.building))
        consent_grant(actor=None, customer=ledger.customer, purpose="survey", method="phone")
    client = client_for(agent)
    client.get(_url("customers:customer_detail", ledger))

    # 4 for the session, user, membership and roles; 6 for the customer and its households,
    # contacts, contact people, consents and tags; 1 for the timeline.
    with django_assert_num_queries(11):
        response = client.get(_url("customers:customer_detail", ledger))

    assert len(response.context["households"]) == 1 + extra


# households


def _household_data(ledger: Ledger, unit: Unit, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "project": ledger.unit.project_id,
        "building": ledger.unit.building_id,
        "unit": unit.pk,
        "role": "owner",
        "signed_on": "2025-06-01",
    }
    data.update(overrides)
    return data


def test_household_add_links_unit_and_redirects(ledger, agent, city, client_for):
    other = CustomerFactory(organisation=city, name="李四")
    url = reverse("customers:household_add", kwargs={"customer_id": other.pk})

    response = client_for(agent).post(url, _household_data(ledger, ledger.unit, role="co_owner"))

    household = Household.objects.get(customer=other)
    assert response["Location"] == _detail_url(other)
    assert (household.unit, household.role, household.signed_on) == (ledger.unit, "co_owner", date(2025, 6, 1))
    assert len(_success_messages(response)) == 1


def test_household_add_shows_date_error_on_the_field_and_writes_nothing(ledger, agent, client_for):
    unit = UnitFactory(building=ledger.unit.building)
    data = _household_data(ledger, unit, delivered_on="2025-05-01")

    response = client_for(agent).post(_url("customers:household_add", ledger), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["delivered_on"]
    assert not Household.objects.filter(unit=unit).exists()


def test_household_add_shows_duplicate_on_the_unit_field(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:household_add", ledger), _household_data(ledger, ledger.unit))

    assert list(response.context["form"].errors) == ["unit"]
    assert Household.objects.filter(customer=ledger.customer).count() == 1


def test_household_add_refuses_unit_of_another_unit(ledger, agent, other_city, client_for):
    foreign = UnitFactory(building__project__organisation=other_city)
    data = _household_data(ledger, foreign, project=foreign.project_id, building=foreign.building_id)

    response = client_for(agent).post(_url("customers:household_add", ledger), data)

    assert "unit" in response.context["form"].errors
    assert not Household.objects.filter(unit=foreign).exists()


def test_household_add_offers_units_of_the_chosen_building(ledger, agent, client_for):
    UnitFactory(building__project=ledger.unit.project)

    response = client_for(agent).get(
        _url("customers:household_add", ledger),
        {"project": ledger.unit.project_id, "building": ledger.unit.building_id},
    )

    assert list(response.context["form"].fields["unit"].queryset) == [ledger.unit]


def test_household_add_offers_buildings_of_the_chosen_project_only(ledger, agent, city, client_for):
    BuildingFactory(project__organisation=city)

    response = client_for(agent).get(_url("customers:household_add", ledger), {"project": ledger.unit.project_id})

    assert list(response.context["form"].fields["building"].queryset) == [ledger.unit.building]
    assert list(response.context["form"].fields["unit"].queryset) == []


def test_household_edit_shows_the_dates_on_file(ledger, agent, client_for):
    response = client_for(agent).get(_url("customers:household_edit", ledger))

    assert 'name="signed_on" value="2025-05-01"' in response.content.decode()


def test_household_edit_saves_dates_and_redirects(ledger, agent, client_for):
    data = {"role": "owner", "signed_on": "2025-05-01", "delivered_on": "2026-01-10"}

    response = client_for(agent).post(_url("customers:household_edit", ledger), data)

    ledger.household.refresh_from_db()
    ledger.customer.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert ledger.household.delivered_on == date(2026, 1, 10)
    assert ledger.customer.stage == Customer.Stage.DELIVERED


def test_household_edit_shows_date_error_and_writes_nothing(ledger, agent, client_for):
    data = {"role": "owner", "signed_on": "2025-05-01", "delivered_on": "2025-04-01"}

    response = client_for(agent).post(_url("customers:household_edit", ledger), data)

    ledger.household.refresh_from_db()
    assert list(response.context["form"].errors) == ["delivered_on"]
    assert ledger.household.delivered_on is None


# contacts, consent, ID number


def test_contact_add_adds_and_redirects(ledger, agent, client_for):
    data = {"kind": "mobile", "value": "139 0000 1234"}

    response = client_for(agent).post(_url("customers:contact_add", ledger), data)

    assert response["Location"] == _detail_url(ledger.customer)
    assert ledger.customer.contacts.filter(value="8613900001234").exists()
    assert len(_success_messages(response)) == 1


def test_contact_add_shows_duplicate_on_the_value_field(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:contact_add", ledger), {"kind": "mobile", "value": "13812345678"})

    assert list(response.context["form"].errors) == ["value"]
    assert ledger.customer.contacts.count() == 1


def test_contact_add_shows_invalid_mobile_on_the_value_field(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:contact_add", ledger), {"kind": "mobile", "value": "12345"})

    assert list(response.context["form"].errors) == ["value"]
    assert ledger.customer.contacts.count() == 1


def test_consent_add_records_and_redirects(ledger, agent, client_for):
    data = {"purpose": "survey", "channel": "wechat", "method": "wechat"}

    response = client_for(agent).post(_url("customers:consent_add", ledger), data)

    assert response["Location"] == _detail_url(ledger.customer)
    assert ledger.customer.consents.filter(purpose="survey", channel="wechat").exists()
    assert len(_success_messages(response)) == 1


def test_consent_add_shows_purpose_error_and_writes_nothing(ledger, agent, client_for):
    response = client_for(agent).post(
        _url("customers:consent_add", ledger), {"purpose": "spam", "channel": "any", "method": "paper"}
    )

    assert list(response.context["form"].errors) == ["purpose"]
    assert ledger.customer.consents.count() == 1


def test_consent_withdraw_withdraws_and_redirects(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:consent_withdraw", ledger))

    ledger.consent.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert ledger.consent.withdrawn_at is not None
    assert len(_success_messages(response)) == 1


def test_id_number_set_stores_it_with_consent_and_redirects(ledger, agent, client_for):
    data = {"id_number": VALID_ID.lower(), "consent_method": "paper", "evidence": "表格 2026-001"}

    response = client_for(agent).post(_url("customers:id_number_set", ledger), data)

    ledger.customer.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert ledger.customer.id_number_masked == "110***********002X"
    assert ledger.customer.consents.filter(purpose="id_number", evidence="表格 2026-001").exists()


def test_id_number_set_shows_check_digit_error_and_writes_nothing(ledger, agent, client_for):
    data = {"id_number": "110105194912310021", "consent_method": "paper"}

    response = client_for(agent).post(_url("customers:id_number_set", ledger), data)

    ledger.customer.refresh_from_db()
    assert list(response.context["form"].errors) == ["id_number"]
    assert ledger.customer.id_number_hash == ""


def test_id_number_set_without_consent_asks_how_they_agreed(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:id_number_set", ledger), {"id_number": VALID_ID})

    ledger.customer.refresh_from_db()
    assert list(response.context["form"].errors) == ["consent_method"]
    assert ledger.customer.id_number_hash == ""


def test_id_number_set_with_consent_on_file_asks_only_for_the_number(ledger, agent, client_for):
    consent_grant(actor=agent, customer=ledger.customer, purpose="id_number", method="portal")

    response = client_for(agent).get(_url("customers:id_number_set", ledger))

    assert list(response.context["form"].fields) == ["id_number"]


# grade and scores


def test_grade_override_sets_grade_by_hand(ledger, agent, client_for):
    data = {"grade": "vip", "note": "开发商高管亲属"}

    response = client_for(agent).post(_url("customers:grade_override", ledger), data)

    ledger.customer.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert (ledger.customer.grade, ledger.customer.grade_source, ledger.customer.grade_reason) == (
        "vip",
        Customer.GradeSource.MANUAL,
        "开发商高管亲属",
    )


def test_grade_override_needs_a_note(ledger, agent, client_for):
    response = client_for(agent).post(_url("customers:grade_override", ledger), {"grade": "vip", "note": ""})

    ledger.customer.refresh_from_db()
    assert list(response.context["form"].errors) == ["note"]
    assert ledger.customer.grade == ""


def test_grade_override_to_no_grade_hands_back_to_the_rules(ledger, agent, city, client_for):
    GradeRule.objects.create(organisation=city, grade="c", priority=1)
    customer_override_grade(actor=agent, customer=ledger.customer, grade="vip", note="x")

    client_for(agent).post(_url("customers:grade_override", ledger), {"grade": "", "note": "恢复按规则"})

    ledger.customer.refresh_from_db()
    assert (ledger.customer.grade, ledger.customer.grade_source) == ("c", Customer.GradeSource.RULE)


def test_scores_set_saves_scores_and_grades_by_rule(ledger, agent, city, client_for):
    GradeRule.objects.create(organisation=city, grade="a", priority=1, min_contribution=60)
    data = {"contribution": 80, "influence": 20, "potential": 30}

    response = client_for(agent).post(_url("customers:scores_set", ledger), data)

    ledger.customer.refresh_from_db()
    assert response["Location"] == _detail_url(ledger.customer)
    assert (ledger.customer.contribution_score, ledger.customer.grade) == (80, "a")


def test_scores_set_shows_range_error_and_writes_nothing(ledger, agent, client_for):
    data = {"contribution": 101, "influence": 20, "potential": 30}

    response = client_for(agent).post(_url("customers:scores_set", ledger), data)

    ledger.customer.refresh_from_db()
    assert list(response.context["form"].errors) == ["contribution"]
    assert ledger.customer.contribution_score == 0
