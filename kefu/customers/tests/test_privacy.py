"""Reveal, the customer's copy of their data, and erasure on request."""

import json
from datetime import date

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden
from kefu.core.roles import Role
from kefu.customers.errors import CustomerAnonymised, ErasureReasonMissing, NothingToReveal
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, Household, TimelineEntry
from kefu.customers.privacy import (
    contact_reveal,
    customer_erase,
    customer_reveal_id_number,
    customer_subject_export,
)
from kefu.customers.services import (
    consent_grant,
    contact_add,
    customer_set_id_number,
    customer_update,
    household_add,
)
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import ProjectFactory, UnitFactory

ID_NUMBER = "110105199001011232"
MOBILE = "13900001234"


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def executive(city, make_staff):
    return make_staff(city, Role.EXECUTIVE, name="吴总")


@pytest.fixture
def customer(city):
    customer = CustomerFactory(organisation=city, name="钱七", mobile=MOBILE)
    return customer_set_id_number(actor=None, customer=customer, id_number=ID_NUMBER, consent_method="paper")


@pytest.fixture
def mobile(customer):
    return customer.contacts.get(kind=ContactMethod.Kind.MOBILE)


def _erased(customer):
    return gettext("Erased customer #%(id)s") % {"id": customer.pk}


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


# Reveal: services


def test_customer_reveal_id_number_gives_a_supervisor_the_full_number(supervisor, customer):
    assert customer_reveal_id_number(actor=supervisor, customer=customer) == ID_NUMBER


def test_customer_reveal_id_number_is_audited_every_time(supervisor, customer):
    customer_reveal_id_number(actor=supervisor, customer=customer)
    customer_reveal_id_number(actor=supervisor, customer=customer)

    entries = _entries(AuditEntry.Action.REVEAL)
    assert [(e.object_id, e.actor_id, e.changes) for e in entries] == [
        (str(customer.pk), supervisor.user_id, {"id_number": "110***********1232"})
    ] * 2


def test_customer_reveal_id_number_refuses_an_agent(agent, customer):
    with pytest.raises(Forbidden):
        customer_reveal_id_number(actor=agent, customer=customer)

    assert _entries(AuditEntry.Action.REVEAL) == []


def test_customer_reveal_id_number_refuses_an_admin_of_another_unit(outsider, customer):
    with pytest.raises(Forbidden):
        customer_reveal_id_number(actor=outsider, customer=customer)


def test_customer_reveal_id_number_without_a_number_says_so(supervisor, city):
    customer = CustomerFactory(organisation=city)

    with pytest.raises(NothingToReveal):
        customer_reveal_id_number(actor=supervisor, customer=customer)


def test_contact_reveal_gives_the_mobile_as_people_write_it(supervisor, mobile):
    assert contact_reveal(actor=supervisor, contact=mobile) == "139 0000 1234"


def test_contact_reveal_is_audited_with_the_masked_value(supervisor, mobile):
    contact_reveal(actor=supervisor, contact=mobile)

    [entry] = _entries(AuditEntry.Action.REVEAL)
    assert (entry.object_type, entry.object_id, entry.changes) == (
        "customers.contactmethod",
        str(mobile.pk),
        {"mobile": "139****1234"},
    )


def test_contact_reveal_refuses_an_agent(agent, mobile):
    with pytest.raises(Forbidden):
        contact_reveal(actor=agent, contact=mobile)


# Reveal: pages


def test_reveal_id_page_returns_the_fragment_with_the_full_number(supervisor, customer, client_for):
    response = client_for(supervisor).post(reverse("customers:reveal_id", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 200
    assert f'id="id-number-{customer.pk}"' in response.content.decode()
    assert ID_NUMBER in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_reveal_id_page_refuses_an_agent(agent, customer, client_for):
    response = client_for(agent).post(reverse("customers:reveal_id", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 403
    assert _entries(AuditEntry.Action.REVEAL) == []


def test_reveal_id_page_hides_a_customer_of_another_unit(outsider, customer, client_for):
    response = client_for(outsider).post(reverse("customers:reveal_id", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 404


def test_reveal_id_page_refuses_get(supervisor, customer, client_for):
    response = client_for(supervisor).get(reverse("customers:reveal_id", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 405


def test_reveal_contact_page_returns_the_full_mobile(supervisor, mobile, client_for):
    response = client_for(supervisor).post(reverse("customers:reveal_contact", kwargs={"contact_id": mobile.pk}))

    assert f'id="contact-{mobile.pk}"' in response.content.decode()
    assert "139 0000 1234" in response.content.decode()


def test_reveal_contact_page_hides_a_contact_of_another_unit(outsider, mobile, client_for):
    response = client_for(outsider).post(reverse("customers:reveal_contact", kwargs={"contact_id": mobile.pk}))

    assert response.status_code == 404


def test_reveal_partial_shows_the_button_to_revealing_roles_only(customer):
    with_button = render_to_string("customers/privacy_reveal.html", {"customer": customer, "can_reveal": True})
    without = render_to_string("customers/privacy_reveal.html", {"customer": customer, "can_reveal": False})

    url = reverse("customers:reveal_id", kwargs={"customer_id": customer.pk})
    assert (f'hx-post="{url}"' in with_button, f'hx-post="{url}"' in without) == (True, False)
    assert ID_NUMBER not in with_button


# The customer's copy of their data


def test_customer_subject_export_holds_identity_contacts_households_consents_and_timeline(admin, customer, city):
    unit = UnitFactory(building__project=ProjectFactory(organisation=city))
    household_add(actor=None, customer=customer, unit=unit, signed_on=date(2025, 5, 1))
    summaries = list(
        TimelineEntry.objects.filter(customer=customer).order_by("occurred_at", "id").values_list("summary", flat=True)
    )

    data = customer_subject_export(actor=admin, customer=customer)

    assert data["customer"]["name"] == "钱七"
    assert data["customer"]["id_number"] == ID_NUMBER
    assert [c["value"] for c in data["contact_methods"]] == ["139 0000 1234"]
    assert [(h["unit"], h["signed_on"]) for h in data["households"]] == [(unit.label, "2025-05-01")]
    assert {c["purpose"] for c in data["consents"]} == {str(Consent.Purpose.ID_NUMBER.label)}
    assert [t["summary"] for t in data["timeline"]] == summaries


def test_customer_subject_export_masks_values_for_a_role_that_cannot_reveal(executive, customer):
    data = customer_subject_export(actor=executive, customer=customer)

    assert (data["customer"]["id_number"], data["contact_methods"][0]["value"]) == (
        "110***********1232",
        "139****1234",
    )


def test_customer_subject_export_is_audited(admin, customer):
    customer_subject_export(actor=admin, customer=customer)

    [entry] = _entries(AuditEntry.Action.EXPORT)
    assert (entry.object_id, entry.actor_id) == (str(customer.pk), admin.user_id)


def test_customer_subject_export_refuses_an_agent(agent, customer):
    with pytest.raises(Forbidden):
        customer_subject_export(actor=agent, customer=customer)


def test_privacy_export_page_downloads_json(admin, customer, client_for):
    response = client_for(admin).get(reverse("customers:privacy_export", kwargs={"customer_id": customer.pk}))

    assert response["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}-data.json"'
    assert json.loads(response.content)["customer"]["id"] == customer.pk


def test_privacy_export_page_hides_a_customer_of_another_unit(outsider, customer, client_for):
    response = client_for(outsider).get(reverse("customers:privacy_export", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 404


def test_privacy_export_page_refuses_an_agent(agent, customer, client_for):
    response = client_for(agent).get(reverse("customers:privacy_export", kwargs={"customer_id": customer.pk}))

    assert response.status_code == 403


# Erasure


@pytest.fixture
def company(city):
    company = CustomerFactory(organisation=city, name="华景建设有限公司", kind=Customer.Kind.COMPANY, mobile="")
    ContactPerson.objects.create(company=company, name="孙经理", mobile="8613700001111", email="sun@example.com")
    return company


def test_customer_erase_removes_every_personal_value(admin, customer):
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.EMAIL, value="qian@example.com")
    customer_update(actor=admin, customer=customer, name="钱七", credit_code="", notes="住在3栋")

    customer_erase(actor=admin, customer=customer, reason="本人书面申请 2026-03-01")

    customer.refresh_from_db()
    assert (customer.name, customer.name_pinyin, customer.name_initials, customer.notes) == (
        _erased(customer),
        "",
        "",
        "",
    )
    assert (customer.id_number_encrypted, customer.id_number_hash, customer.id_number_masked) == ("", "", "")
    assert customer.is_anonymised
    assert not ContactMethod.objects.filter(customer=customer).exists()


def test_customer_erase_deletes_a_companys_contact_people(admin, company):
    customer_erase(actor=admin, customer=company, reason="申请")

    assert not ContactPerson.objects.filter(company=company).exists()


def test_customer_erase_withdraws_consents_and_clears_their_evidence(admin, customer):
    consent_grant(actor=None, customer=customer, purpose="marketing", method="paper", evidence="签字表 钱七")

    customer_erase(actor=admin, customer=customer, reason="申请")

    consents = Consent.objects.filter(customer=customer)
    assert [(c.withdrawn_at is not None, c.evidence) for c in consents] == [(True, ""), (True, "")]


def test_customer_erase_keeps_households_grade_and_stage(admin, customer, city):
    unit = UnitFactory(building__project=ProjectFactory(organisation=city))
    household_add(actor=None, customer=customer, unit=unit, signed_on=date(2025, 5, 1), delivered_on=date(2025, 9, 1))
    Customer.objects.filter(pk=customer.pk).update(grade="a")
    customer.refresh_from_db()
    before = (customer.grade, customer.stage)

    customer_erase(actor=admin, customer=customer, reason="申请")

    customer.refresh_from_db()
    assert (customer.grade, customer.stage) == before
    assert list(Household.objects.filter(customer=customer).values_list("unit_id", "signed_on")) == [
        (unit.pk, date(2025, 5, 1))
    ]


def test_customer_erase_replaces_the_name_in_timeline_summaries(admin, customer):
    TimelineEntry.objects.create(
        organisation=customer.organisation,
        customer=customer,
        kind="x",
        summary="钱七 来电",
        occurred_at=customer.created_at,
    )

    customer_erase(actor=admin, customer=customer, reason="申请")

    assert not TimelineEntry.objects.filter(customer=customer, summary__contains="钱七").exists()


def test_customer_erase_writes_an_audit_entry_with_the_reason(admin, customer):
    customer_erase(actor=admin, customer=customer, reason="本人书面申请")

    [entry] = _entries(AuditEntry.Action.ERASE)
    assert (entry.object_id, entry.note, entry.object_label) == (
        str(customer.pk),
        "本人书面申请",
        _erased(customer),
    )
    assert entry.changes["id_number"] == {"old": "110***********1232", "new": None}


def test_customer_erase_also_erases_records_merged_into_the_customer(admin, customer, city):
    duplicate = CustomerFactory(organisation=city, name="钱七（重复）")
    Customer.objects.filter(pk=duplicate.pk).update(merged_into=customer)

    customer_erase(actor=admin, customer=customer, reason="申请")

    duplicate.refresh_from_db()
    assert (duplicate.name, duplicate.is_anonymised) == (_erased(duplicate), True)


def test_customer_erase_refuses_a_supervisor(supervisor, customer):
    with pytest.raises(Forbidden):
        customer_erase(actor=supervisor, customer=customer, reason="申请")

    customer.refresh_from_db()
    assert customer.name == "钱七"


def test_customer_erase_refuses_an_admin_of_another_unit(outsider, customer):
    with pytest.raises(Forbidden):
        customer_erase(actor=outsider, customer=customer, reason="申请")


def test_customer_erase_needs_a_reason(admin, customer):
    with pytest.raises(ErasureReasonMissing):
        customer_erase(actor=admin, customer=customer, reason="  ")

    customer.refresh_from_db()
    assert not customer.is_anonymised


def test_customer_erase_refuses_an_erased_customer(admin, customer):
    customer_erase(actor=admin, customer=customer, reason="申请")

    with pytest.raises(CustomerAnonymised):
        customer_erase(actor=admin, customer=customer, reason="再次")


def test_an_erased_customer_can_no_longer_be_edited(admin, customer):
    customer_erase(actor=admin, customer=customer, reason="申请")

    with pytest.raises(CustomerAnonymised):
        customer_update(actor=admin, customer=customer, name="钱七")


def test_privacy_erase_page_states_what_will_happen(admin, customer, client_for):
    response = client_for(admin).get(reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk}))

    preview = response.context["preview"]
    assert (response.status_code, preview.contacts, preview.has_id_number) == (200, 1, True)


def test_privacy_erase_page_erases_and_returns_to_the_customer(admin, customer, client_for):
    url = reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk})

    response = client_for(admin).post(url, {"reason": "本人书面申请", "confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer_detail", kwargs={"customer_id": customer.pk})
    customer.refresh_from_db()
    assert customer.is_anonymised


def test_privacy_erase_page_without_confirmation_erases_nothing(admin, customer, client_for):
    url = reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk})

    response = client_for(admin).post(url, {"reason": "本人书面申请"})

    assert list(response.context["form"].errors) == ["confirm"]
    customer.refresh_from_db()
    assert not customer.is_anonymised


def test_privacy_erase_page_refuses_a_supervisor(supervisor, customer, client_for):
    url = reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk})

    assert client_for(supervisor).get(url).status_code == 403


def test_privacy_erase_page_hides_a_customer_of_another_unit(outsider, customer, client_for):
    url = reverse("customers:privacy_erase", kwargs={"customer_id": customer.pk})

    response = client_for(outsider).post(url, {"reason": "x", "confirm": "on"})

    assert response.status_code == 404
    customer.refresh_from_db()
    assert not customer.is_anonymised
