"""The ledger's customer page leads to the customer's voices: a button to log one, links on the timeline."""

from django.urls import reverse
from django.utils.translation import gettext

from kefu.tickets.tests.factories import TicketFactory


def test_customer_page_offers_to_log_a_voice(agent, client_for):
    ticket = TicketFactory(actor=agent)

    page = client_for(agent).get(reverse("customers:customer_detail", kwargs={"customer_id": ticket.customer_id}))

    html = page.content.decode()
    assert f"{reverse('tickets:ticket_create')}?customer_id={ticket.customer_id}" in html
    assert gettext("Log a voice") in html


def test_customer_timeline_links_ticket_events_to_the_ticket(agent, client_for):
    ticket = TicketFactory(actor=agent)

    page = client_for(agent).get(reverse("customers:customer_detail", kwargs={"customer_id": ticket.customer_id}))

    assert reverse("tickets:ticket_detail", kwargs={"ticket_id": ticket.pk}) in page.content.decode()
