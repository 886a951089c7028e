"""The customer ledger API: scoped reads, writes through the services, masked personal data,
one error shape."""

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.customers.merge import customer_merge
from kefu.customers.models import Consent, ContactMethod, Customer, Household
from kefu.customers.services import consent_grant, customer_set_id_number, customer_set_scores, household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import BuildingFactory, UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
VALID_ID = "11010519491231002X"
WRONG_CHECK_DIGIT_ID = "110105194912310021"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def building(city):
    return BuildingFactory(project__organisation=city, project__name="H小区", code="3", floors_above=26)


@pytest.fixture
def customer(city, building) -> Customer:
    customer = CustomerFactory(organisation=city, name="张三", mobile="13812345678")
    household_add(actor=None, customer=customer, unit=UnitFactory(building=building, number="1202", floor=12))
    return customer


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR)


DETAIL_SUFFIXES = ["", "households/", "contacts/", "consents/", "timeline/"]


# Who may call what


@pytest.mark.parametrize("suffix", DETAIL_SUFFIXES)
def test_customer_api_detail_endpoint_answers_the_owner(suffix, api_client_for, agent, customer):
    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/{suffix}")

    assert response.status_code == 200


@pytest.mark.parametrize("suffix", DETAIL_SUFFIXES)
def test_customer_api_detail_endpoint_is_404_for_another_unit(suffix, api_client_for, outsider, customer):
    response = api_client_for(outsider).get(f"/api/v1/customers/{customer.pk}/{suffix}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("suffix", ["", "duplicates/", "1/", "1/timeline/"])
def test_customer_api_is_401_for_an_anonymous_caller(suffix, customer):
    response = APIClient().get(f"/api/v1/customers/{suffix}")

    assert response.status_code == 401


@pytest.mark.parametrize("suffix", ["", "duplicates/", "{id}/", "{id}/contacts/", "{id}/timeline/"])
def test_customer_api_is_403_for_a_contractor(suffix, api_client_for, city, make_staff, customer):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = api_client_for(contractor).get(f"/api/v1/customers/{suffix.format(id=customer.pk)}")

    assert response.status_code == 403


# The list


def test_customer_list_api_returns_own_customers_with_the_mobile_masked(api_client_for, agent, customer):
    response = api_client_for(agent).get("/api/v1/customers/")

    assert response.status_code == 200
    assert [(c["name"], c["mobile"], c["units"]) for c in response.json()["results"]] == [
        ("张三", "138****5678", ["3-1-1202"])
    ]


def test_customer_list_api_hides_another_units_customers(api_client_for, outsider, customer):
    response = api_client_for(outsider).get("/api/v1/customers/")

    assert response.json()["results"] == []


def test_customer_list_api_finds_by_pinyin_initials(api_client_for, agent, customer, city):
    CustomerFactory(organisation=city, name="李四")

    response = api_client_for(agent).get("/api/v1/customers/?q=zs")

    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_customer_list_api_finds_by_the_last_four_digits(api_client_for, agent, customer, city):
    CustomerFactory(organisation=city, mobile="13900000000")

    response = api_client_for(agent).get("/api/v1/customers/?q=5678")

    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_customer_list_api_filters_by_grade(api_client_for, agent, admin, customer, city):
    from kefu.customers.services import customer_override_grade

    customer_override_grade(actor=admin, customer=customer, grade="vip", note="集团大客户")
    CustomerFactory(organisation=city)

    response = api_client_for(agent).get("/api/v1/customers/?grade=vip")

    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_customer_list_api_filters_by_kind(api_client_for, agent, customer, city):
    company = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, mobile="")

    response = api_client_for(agent).get("/api/v1/customers/?kind=company")

    assert [c["id"] for c in response.json()["results"]] == [company.pk]


def test_customer_list_api_filters_by_stage(api_client_for, agent, customer, city, building):
    signed = CustomerFactory(organisation=city)
    household_add(actor=None, customer=signed, unit=UnitFactory(building=building), signed_on=date(2025, 1, 1))

    response = api_client_for(agent).get("/api/v1/customers/?stage=signed")

    assert [c["id"] for c in response.json()["results"]] == [signed.pk]


def test_customer_list_api_filters_by_project(api_client_for, agent, customer, city):
    elsewhere = CustomerFactory(organisation=city)
    household_add(actor=None, customer=elsewhere, unit=UnitFactory(building__project__organisation=city))

    response = api_client_for(agent).get(f"/api/v1/customers/?project={customer.households.get().unit.project_id}")

    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_customer_list_api_rejects_a_bad_filter_naming_it(api_client_for, agent):
    response = api_client_for(agent).get("/api/v1/customers/?grade=z")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["grade"]


def test_customer_list_api_leaves_out_merged_customers(api_client_for, admin, customer, city):
    source = CustomerFactory(organisation=city, name="张三")
    customer_merge(actor=admin, target=customer, source=source)

    response = api_client_for(admin).get("/api/v1/customers/?q=张三")

    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_customer_list_api_runs_a_constant_number_of_queries(
    client_for, agent, city, building, django_assert_num_queries
):
    client = client_for(agent)  # a real session: the count includes loading the user and roles
    client.get("/api/v1/customers/")
    for _ in range(3):
        customer = CustomerFactory(organisation=city)
        household_add(actor=None, customer=customer, unit=UnitFactory(building=building))

    with django_assert_num_queries(7):
        response = client.get("/api/v1/customers/")

    assert len(response.json()["results"]) == 3


# Create and update


def test_customer_create_api_creates_a_customer_in_the_callers_unit(api_client_for, agent, city):
    response = api_client_for(agent).post(
        "/api/v1/customers/", {"name": "王五", "mobile": "13812345678"}, format="json"
    )

    assert response.status_code == 201
    created = Customer.objects.get(pk=response.json()["id"])
    assert (created.organisation_id, created.name) == (city.pk, "王五")


def test_customer_create_api_rejects_an_invalid_mobile_naming_the_field(api_client_for, agent):
    response = api_client_for(agent).post("/api/v1/customers/", {"name": "王五", "mobile": "12345"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["mobile"]
    assert not Customer.objects.exists()


def test_customer_create_api_stores_an_id_number_with_its_consent(api_client_for, agent):
    body = {"name": "王五", "mobile": "13812345678", "id_number": VALID_ID, "consent_method": "paper"}

    response = api_client_for(agent).post("/api/v1/customers/", body, format="json")

    assert response.status_code == 201
    assert response.json()["id_number"] == "110***********002X"


def test_customer_create_api_rejects_a_wrong_check_digit_and_creates_nothing(api_client_for, agent):
    body = {"name": "王五", "mobile": "13812345678", "id_number": WRONG_CHECK_DIGIT_ID, "consent_method": "paper"}

    response = api_client_for(agent).post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["id_number"]
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_customer_create_api_asks_for_consent_with_an_id_number(api_client_for, agent):
    body = {"name": "王五", "id_number": VALID_ID}

    response = api_client_for(agent).post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["consent_method"]
    assert not Customer.objects.exists()


def test_customer_create_api_rejects_an_organisation_outside_scope(api_client_for, agent, other_city):
    body = {"name": "王五", "organisation": other_city.pk}

    response = api_client_for(agent).post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["organisation"]


def test_customer_create_api_is_403_for_an_executive(api_client_for, city, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    response = api_client_for(executive).post("/api/v1/customers/", {"name": "王五"}, format="json")

    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_customer_detail_api_shows_the_id_number_masked(api_client_for, agent, customer):
    customer_set_id_number(actor=None, customer=customer, id_number=VALID_ID, consent_method="paper")

    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/")

    assert response.json()["id_number"] == "110***********002X"
    assert VALID_ID not in response.content.decode()


def test_customer_update_api_changes_the_name(api_client_for, agent, customer):
    response = api_client_for(agent).put(
        f"/api/v1/customers/{customer.pk}/", {"name": "张叁", "notes": "喜欢电话联系"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.notes) == ("张叁", "喜欢电话联系")


def test_customer_update_api_is_404_for_another_unit(api_client_for, outsider, customer):
    response = api_client_for(outsider).put(f"/api/v1/customers/{customer.pk}/", {"name": "x"}, format="json")

    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.name == "张三"


def test_customer_update_api_rejects_a_missing_name(api_client_for, agent, customer):
    response = api_client_for(agent).put(f"/api/v1/customers/{customer.pk}/", {"notes": "x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]


# Households


def test_customer_households_api_lists_the_units(api_client_for, agent, customer):
    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/households/")

    assert [(h["unit_label"], h["role"]) for h in response.json()["results"]] == [("3-1-1202", "owner")]


def test_customer_households_api_adds_a_unit(api_client_for, agent, customer, building):
    unit = UnitFactory(building=building, number="1301", floor=13)
    body = {"unit": unit.pk, "role": "co_owner", "signed_on": "2025-01-10", "delivered_on": "2026-01-15"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/households/", body, format="json")

    assert response.status_code == 201
    assert Household.objects.get(pk=response.json()["id"]).unit_id == unit.pk


def test_customer_households_api_rejects_dates_out_of_order_naming_the_field(api_client_for, agent, customer, building):
    unit = UnitFactory(building=building, number="1301", floor=13)
    body = {"unit": unit.pk, "signed_on": "2025-01-10", "delivered_on": "2024-12-01"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/households/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["delivered_on"]
    assert not Household.objects.filter(unit=unit).exists()


def test_customer_households_api_rejects_a_unit_of_another_unit_as_a_field_error(
    api_client_for, agent, customer, other_city
):
    unit = UnitFactory(building__project__organisation=other_city)

    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/households/", {"unit": unit.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["unit"]


def test_customer_households_api_answers_409_for_a_unit_already_linked(api_client_for, agent, customer):
    unit = customer.households.get().unit

    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/households/", {"unit": unit.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "household_exists"


def test_customer_households_api_runs_a_constant_number_of_queries(
    client_for, agent, customer, building, django_assert_num_queries
):
    client = client_for(agent)
    url = f"/api/v1/customers/{customer.pk}/households/"
    client.get(url)
    for n in range(3):
        household_add(actor=None, customer=customer, unit=UnitFactory(building=building, number=f"{n + 2}01"))

    with django_assert_num_queries(11):
        response = client.get(url)

    assert len(response.json()["results"]) == 4


# Contacts


def test_customer_contacts_api_shows_mobiles_masked(api_client_for, agent, customer):
    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/contacts/")

    assert [(c["kind"], c["value"]) for c in response.json()["results"]] == [("mobile", "138****5678")]
    assert "13812345678" not in response.content.decode()


def test_customer_contacts_api_adds_an_email(api_client_for, agent, customer):
    body = {"kind": "email", "value": "zs@example.com"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/contacts/", body, format="json")

    assert response.status_code == 201
    assert customer.contacts.filter(kind=ContactMethod.Kind.EMAIL, value="zs@example.com").exists()


def test_customer_contacts_api_rejects_an_invalid_mobile_naming_the_field(api_client_for, agent, customer):
    body = {"kind": "mobile", "value": "1234567"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/contacts/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["value"]
    assert customer.contacts.count() == 1


def test_customer_contacts_api_answers_409_for_a_number_the_customer_has(api_client_for, agent, customer):
    body = {"kind": "mobile", "value": "138 1234 5678"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/contacts/", body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "contact_taken"


def test_customer_contacts_api_runs_a_constant_number_of_queries(
    client_for, agent, customer, django_assert_num_queries
):
    from kefu.customers.services import contact_add

    client = client_for(agent)
    url = f"/api/v1/customers/{customer.pk}/contacts/"
    client.get(url)
    for n in range(3):
        contact_add(actor=None, customer=customer, kind="email", value=f"zs{n}@example.com")

    with django_assert_num_queries(11):
        response = client.get(url)

    assert len(response.json()["results"]) == 4


# Consents


def test_customer_consents_api_grants_a_consent(api_client_for, agent, customer):
    body = {"purpose": "survey", "method": "phone", "channel": "sms"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/consents/", body, format="json")

    assert response.status_code == 201
    assert customer.consents.get().channel == Consent.Channel.SMS


def test_customer_consents_api_lists_consents(api_client_for, agent, customer):
    consent_grant(actor=None, customer=customer, purpose="marketing", method="paper")

    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/consents/")

    assert [(c["purpose"], c["is_active"]) for c in response.json()["results"]] == [("marketing", True)]


def test_customer_consents_api_rejects_an_unknown_purpose(api_client_for, agent, customer):
    body = {"purpose": "spam", "method": "paper"}

    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/consents/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["purpose"]


def test_customer_consents_api_runs_a_constant_number_of_queries(
    client_for, agent, customer, django_assert_num_queries
):
    client = client_for(agent)
    url = f"/api/v1/customers/{customer.pk}/consents/"
    client.get(url)
    for purpose in ("marketing", "survey", "service"):
        consent_grant(actor=None, customer=customer, purpose=purpose, method="paper")

    with django_assert_num_queries(11):
        response = client.get(url)

    assert len(response.json()["results"]) == 3


def test_consent_withdraw_api_withdraws(api_client_for, agent, customer):
    consent = consent_grant(actor=None, customer=customer, purpose="marketing", method="paper")

    response = api_client_for(agent).post(f"/api/v1/consents/{consent.pk}/withdraw/")

    assert response.status_code == 200
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_consent_withdraw_api_is_404_for_another_unit(api_client_for, outsider, customer):
    consent = consent_grant(actor=None, customer=customer, purpose="marketing", method="paper")

    response = api_client_for(outsider).post(f"/api/v1/consents/{consent.pk}/withdraw/")

    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


# Timeline


def test_customer_timeline_api_lists_newest_first(api_client_for, agent, customer):
    customer_set_scores(actor=None, customer=customer, contribution=50, influence=0, potential=0)

    response = api_client_for(agent).get(f"/api/v1/customers/{customer.pk}/timeline/")

    kinds = [e["kind"] for e in response.json()["results"]]
    assert kinds[-1] == "customers.created"
    assert kinds[0] == "customers.household_added"


def test_customer_timeline_api_pages_by_cursor(api_client_for, agent, customer):
    client = api_client_for(agent)

    first = client.get(f"/api/v1/customers/{customer.pk}/timeline/?page_size=1").json()
    second = client.get(first["next"]).json()

    assert [e["kind"] for e in first["results"] + second["results"]] == [
        "customers.household_added",
        "customers.created",
    ]


def test_customer_timeline_api_runs_a_constant_number_of_queries(
    client_for, agent, admin, customer, django_assert_num_queries
):
    from kefu.customers.services import timeline_record

    client = client_for(agent)
    url = f"/api/v1/customers/{customer.pk}/timeline/"
    client.get(url)
    for n in range(3):
        timeline_record(customer=customer, kind="tickets.created", summary=f"工单 {n}", actor=admin)

    with django_assert_num_queries(11):
        response = client.get(url)

    assert len(response.json()["results"]) == 5


# Merge


def test_customer_merge_api_merges_the_source(api_client_for, supervisor, customer, city):
    source = CustomerFactory(organisation=city, name="张三", mobile="13812345678")

    response = api_client_for(supervisor).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": source.pk, "note": "同一人"}, format="json"
    )

    assert response.status_code == 200
    source.refresh_from_db()
    assert source.merged_into_id == customer.pk


def test_customer_merge_api_refuses_the_customer_itself_naming_the_field(api_client_for, supervisor, customer):
    response = api_client_for(supervisor).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": customer.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["source"]


def test_customer_merge_api_treats_a_source_of_another_unit_as_a_field_error(
    api_client_for, supervisor, customer, other_city
):
    source = CustomerFactory(organisation=other_city)

    response = api_client_for(supervisor).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": source.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["source"]
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_customer_merge_api_is_404_for_a_target_of_another_unit(api_client_for, outsider, customer, other_city):
    source = CustomerFactory(organisation=other_city)

    response = api_client_for(outsider).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": source.pk}, format="json"
    )

    assert response.status_code == 404


def test_customer_merge_api_answers_409_for_a_merged_source(api_client_for, supervisor, customer, city):
    source = CustomerFactory(organisation=city)
    customer_merge(actor=supervisor, target=CustomerFactory(organisation=city), source=source)

    response = api_client_for(supervisor).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": source.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "customer_merged"


def test_customer_merge_api_is_403_for_an_agent(api_client_for, agent, customer, city):
    source = CustomerFactory(organisation=city)

    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/merge/", {"source": source.pk}, format="json"
    )

    assert response.status_code == 403
    source.refresh_from_db()
    assert source.merged_into_id is None


# Duplicates


def test_duplicate_list_api_returns_groups_with_the_key_masked(api_client_for, supervisor, customer, city):
    twin = CustomerFactory(organisation=city, name="张三", mobile="13812345678")

    response = api_client_for(supervisor).get("/api/v1/customers/duplicates/")

    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["keys"] == [{"kind": "mobile", "masked": "138****5678"}]
    assert [c["id"] for c in body["results"][0]["customers"]] == [customer.pk, twin.pk]
    assert "13812345678" not in response.content.decode()


def test_duplicate_list_api_hides_another_units_customers(api_client_for, outsider, customer, city):
    CustomerFactory(organisation=city, mobile="13812345678")

    response = api_client_for(outsider).get("/api/v1/customers/duplicates/")

    assert response.json() == {"count": 0, "results": []}


def test_duplicate_list_api_limits_the_groups_to_the_page_size(api_client_for, supervisor, city):
    for n in range(3):
        CustomerFactory.create_batch(2, organisation=city, mobile=f"1390000000{n}")

    response = api_client_for(supervisor).get("/api/v1/customers/duplicates/?page_size=2")

    assert (response.json()["count"], len(response.json()["results"])) == (3, 2)


def test_duplicate_list_api_runs_a_constant_number_of_queries(client_for, supervisor, city, django_assert_num_queries):
    client = client_for(supervisor)
    client.get("/api/v1/customers/duplicates/")
    for n in range(3):
        CustomerFactory.create_batch(2, organisation=city, mobile=f"1390000000{n}")

    with django_assert_num_queries(6):
        response = client.get("/api/v1/customers/duplicates/")

    assert response.json()["count"] == 3
