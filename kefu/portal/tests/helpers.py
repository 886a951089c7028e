"""Customers with homes, signed in or not, for the portal's tests."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from kefu.customers.models import Customer
from kefu.customers.services import household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import OrgUnit
from kefu.portal import services
from kefu.portal.auth import COOKIE_NAME
from kefu.properties.models import Unit
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory, UnitFactory


def home_unit(unit: OrgUnit, *, project: str = "华景花园", number: str = "101") -> Unit:
    building = BuildingFactory(project=ProjectFactory(organisation=unit, name=project))
    return UnitFactory(building=building, number=number)


def resident(unit: OrgUnit, *, name: str = "王先生", mobile: str = "13812345678", number: str = "101") -> Customer:
    """A customer of `unit` who owns one home there."""
    customer = CustomerFactory(organisation=unit, name=name, mobile=mobile)
    household_add(actor=None, customer=customer, unit=home_unit(unit, number=number))
    return customer


def signed_in(customer: Customer, client: Client | None = None) -> Client:
    """A browser holding a live portal session of `customer` (started through a signed link's
    service, as a customer would get one)."""
    client = client or Client()
    token = services.link_create(customer_id=customer.pk, action="home", object_id=None, ttl=timedelta(days=1))
    response = client.get(f"/m/l/{token}/")
    assert response.status_code == 302, response.status_code
    assert client.cookies[COOKIE_NAME].value
    return client
