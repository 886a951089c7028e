from typing import Any

import factory

from kefu.customers.models import Customer
from kefu.customers.services import customer_create
from kefu.orgs.tests.factories import OrgUnitFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer made by the real service (pinyin keys, audit and timeline rows included).

    CustomerFactory(organisation=unit, name="张三", mobile="13812345678")."""

    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrgUnitFactory)
    name = factory.Sequence(lambda n: f"客户{n}")
    kind = Customer.Kind.PERSON
    mobile = factory.Sequence(lambda n: f"139{n:08d}")

    @classmethod
    def _create(cls, model_class: type[Customer], *args: Any, **kwargs: Any) -> Customer:
        return customer_create(actor=None, **kwargs)
