from datetime import date

from kefu.customers.models import Customer
from kefu.customers.services import household_add
from kefu.customers.stages import customer_stages_refresh
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import UnitFactory


def test_customer_stages_refresh_moves_a_customer_on_the_delivery_date(city):
    customer = CustomerFactory(organisation=city)
    household_add(
        actor=None,
        customer=customer,
        unit=UnitFactory(building__project__organisation=city),
        signed_on=date(2020, 1, 10),
        delivered_on=date(2099, 6, 30),
    )

    changed = customer_stages_refresh(today=date(2099, 7, 1))

    customer.refresh_from_db()
    assert (changed, customer.stage) == (1, Customer.Stage.DELIVERED)


def test_customer_stages_refresh_run_twice_changes_nothing_the_second_time(city):
    customer = CustomerFactory(organisation=city)
    household_add(
        actor=None,
        customer=customer,
        unit=UnitFactory(building__project__organisation=city),
        signed_on=date(2020, 1, 10),
        delivered_on=date(2099, 6, 30),
    )
    customer_stages_refresh(today=date(2099, 7, 1))

    assert customer_stages_refresh(today=date(2099, 7, 1)) == 0
