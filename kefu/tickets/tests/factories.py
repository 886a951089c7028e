from typing import Any

import factory

from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.tests.factories import MembershipFactory
from kefu.standards.models import RequestKind, Severity
from kefu.tickets.models import Channel, Team, Ticket
from kefu.tickets.services import ticket_create


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket logged by the real service (number, clocks, events and timeline included).

    TicketFactory(actor=agent) logs it as `agent` for a new customer of the agent's unit."""

    class Meta:
        model = Ticket

    actor = factory.SubFactory(MembershipFactory)
    customer = factory.LazyAttribute(lambda o: CustomerFactory(organisation=o.actor.unit))
    kind = RequestKind.COMPLAINT
    channel = Channel.PHONE
    title = factory.Sequence(lambda n: f"投诉{n}")
    description = "业主反映电梯噪音大。"
    severity = Severity.NORMAL

    @classmethod
    def _create(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        return ticket_create(**kwargs)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"维修组{n}")
    strategy = Team.Strategy.ROUND_ROBIN
