import pytest

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden
from kefu.customers.errors import NotACompany
from kefu.customers.models import ContactMethod, ContactPerson, Customer
from kefu.customers.services import contact_add, contact_remove, contactperson_add, contactperson_remove
from kefu.customers.tests.factories import CustomerFactory


def test_contact_remove_makes_the_next_number_primary(agent, city):
    customer = CustomerFactory(organisation=city, mobile="13812345678")
    second = contact_add(actor=agent, customer=customer, kind=ContactMethod.Kind.MOBILE, value="13912345678")

    contact_remove(actor=agent, contact=customer.contacts.get(is_primary=True))

    second.refresh_from_db()
    assert (customer.contacts.count(), second.is_primary) == (1, True)


def test_contact_remove_writes_a_masked_audit_entry(agent, city):
    customer = CustomerFactory(organisation=city, mobile="13812345678")

    contact_remove(actor=agent, contact=customer.contacts.get())

    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert entry.changes == {"mobile": {"old": "138****5678", "new": None}}


def test_contact_remove_is_refused_to_another_unit(outsider, city):
    customer = CustomerFactory(organisation=city)

    with pytest.raises(Forbidden):
        contact_remove(actor=outsider, contact=customer.contacts.get())

    assert customer.contacts.count() == 1


def test_contactperson_add_records_a_company_contact(agent, city):
    company = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, name="华润置地", mobile="")

    person = contactperson_add(actor=agent, company=company, name="刘经理", mobile="138 0000 1111")

    assert (person.mobile, company.contact_people.count()) == ("8613800001111", 1)


def test_contactperson_add_refuses_a_person_customer(agent, city):
    person_customer = CustomerFactory(organisation=city)

    with pytest.raises(NotACompany):
        contactperson_add(actor=agent, company=person_customer, name="刘经理")

    assert not ContactPerson.objects.exists()


def test_contactperson_remove_deletes_and_audits(agent, city):
    company = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, name="华润置地", mobile="")
    person = contactperson_add(actor=agent, company=company, name="刘经理")

    contactperson_remove(actor=agent, person=person)

    assert not ContactPerson.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE, object_label="华润置地 · 刘经理").exists()


def test_contactperson_add_page_adds_and_redirects(client_for, agent, city):
    company = CustomerFactory(organisation=city, kind=Customer.Kind.COMPANY, name="华润置地", mobile="")

    response = client_for(agent).post(
        f"/customers/{company.pk}/contact-people/new/", {"name": "刘经理", "mobile": "", "title": "", "email": ""}
    )

    assert response.status_code == 302
    assert company.contact_people.get().name == "刘经理"
