"""The customer's requests: their own only, what staff told them (never internal notes), submitting
once per Idempotency-Key, and answering the resolution."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kefu.customers.models import Household
from kefu.portal.models import PortalSubmission
from kefu.portal.tests.helpers import resident, signed_in
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Channel, Ticket, TicketAttachment
from kefu.tickets.services import ticket_note, ticket_reply, ticket_resolve
from kefu.tickets.tests.factories import TicketFactory


@pytest.fixture
def customer(city):
    return resident(city, name="王先生", mobile="13812345678", number="101")


@pytest.fixture
def neighbour(city):
    return resident(city, name="李女士", mobile="13900001111", number="102")


def _unit(customer):
    return Household.objects.get(customer=customer).unit


def _ticket(agent, customer, **values):
    return TicketFactory(actor=agent, customer=customer, unit=_unit(customer), **values)


def _photo(name: str = "leak.jpg", colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_the_home_page_shows_the_customers_homes(customer):
    response = signed_in(customer).get("/m/")

    assert response.status_code == 200
    assert [h.unit for h in response.context["households"]] == [_unit(customer)]


def test_the_list_shows_only_the_customers_own_requests(agent, customer, neighbour):
    mine = _ticket(agent, customer, title="楼上漏水")
    _ticket(agent, neighbour, title="邻居的投诉")

    response = signed_in(customer).get("/m/requests/")

    assert list(response.context["requests"]) == [mine]
    assert "邻居的投诉" not in response.content.decode()


def test_another_households_request_is_a_404(agent, customer, neighbour):
    theirs = _ticket(agent, neighbour)
    browser = signed_in(customer)

    assert browser.get(f"/m/requests/{theirs.pk}/").status_code == 404
    assert (
        browser.post(f"/m/requests/{theirs.pk}/feedback/", {"resolved": "yes", "satisfaction": "5"}).status_code == 404
    )
    assert browser.get("/m/requests/999999/").status_code == 404


def test_the_detail_shows_replies_and_status_but_never_internal_notes(agent, customer):
    ticket = _ticket(agent, customer)
    ticket_note(actor=agent, ticket=ticket, body="内部：业主脾气急，先安抚")
    ticket_reply(actor=agent, ticket=ticket, body="明天上午十点上门检查", channel=Channel.PHONE)
    ticket_resolve(actor=agent, ticket=ticket, resolution="已更换楼上防水层")

    response = signed_in(customer).get(f"/m/requests/{ticket.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "明天上午十点上门检查" in html
    assert "已更换楼上防水层" in html
    assert "内部" not in html
    kinds = [event.kind for event in response.context["events"]]
    assert "note" not in kinds and "assigned" not in kinds
    assert response.context["awaits_answer"] is True


def test_list_reads_a_fixed_number_of_queries(agent, customer, django_assert_max_num_queries):
    for n in range(3):
        _ticket(agent, customer, title=f"报修{n}")
    browser = signed_in(customer)

    with django_assert_max_num_queries(8):
        response = browser.get("/m/requests/")

    assert len(response.context["requests"]) == 3


def test_the_new_request_form_carries_a_fresh_idempotency_key(customer):
    browser = signed_in(customer)

    first = browser.get("/m/requests/new/").context["form"]["key"].value()
    second = browser.get("/m/requests/new/").context["form"]["key"].value()

    assert len(first) >= 24 and first != second


def test_a_unit_of_another_household_cannot_be_chosen(customer, neighbour):
    browser = signed_in(customer)

    response = browser.post(
        "/m/requests/new/",
        {"kind": "repair", "unit": _unit(neighbour).pk, "description": "漏水", "key": "k" * 24},
    )

    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_submitting_logs_a_portal_ticket_with_photos(customer):
    browser = signed_in(customer)
    body = {"kind": "repair", "unit": _unit(customer).pk, "description": "卫生间漏水\n天花板滴水", "key": "k" * 24}

    response = browser.post("/m/requests/new/", {**body, "photos": [_photo(), _photo("b.jpg", "blue")]})

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/requests/{ticket.pk}/"
    assert ticket.customer == customer and ticket.channel == Channel.PORTAL and ticket.kind == "repair"
    assert ticket.title == "卫生间漏水"
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 2


def test_the_same_key_and_body_give_the_same_ticket_and_one_row(customer):
    browser = signed_in(customer)
    body = {"kind": "complaint", "unit": _unit(customer).pk, "description": "电梯噪音大", "key": "same-key-0001"}

    first = browser.post("/m/requests/new/", body)
    second = browser.post("/m/requests/new/", body)

    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1
    assert PortalSubmission.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(customer):
    browser = signed_in(customer)
    body = {"kind": "complaint", "unit": _unit(customer).pk, "description": "电梯噪音大", "key": "same-key-0002"}
    browser.post("/m/requests/new/", body)

    response = browser.post("/m/requests/new/", {**body, "description": "另一件事"})

    assert response.status_code == 409
    assert Ticket.objects.count() == 1


def test_the_idempotency_key_header_wins_over_the_form_field(customer):
    browser = signed_in(customer)
    body = {"kind": "inquiry", "unit": _unit(customer).pk, "description": "物业费怎么交", "key": "field-key-001"}

    browser.post("/m/requests/new/", body, HTTP_IDEMPOTENCY_KEY="header-key-001")
    browser.post("/m/requests/new/", {**body, "key": "field-key-002"}, HTTP_IDEMPOTENCY_KEY="header-key-001")

    assert Ticket.objects.count() == 1
    assert PortalSubmission.objects.get().key == "header-key-001"


def test_confirming_the_resolution_closes_the_request(agent, customer):
    ticket = _ticket(agent, customer)
    ticket_resolve(actor=agent, ticket=ticket, resolution="已处理")

    response = signed_in(customer).post(
        f"/m/requests/{ticket.pk}/feedback/", {"resolved": "yes", "satisfaction": "5", "comment": "很及时"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == Ticket.Status.CLOSED and ticket.satisfaction == 5
    revisit = ticket.events.get(kind="revisited")
    assert revisit.actor is None and revisit.data["method"] == Channel.PORTAL


def test_rejecting_the_resolution_reopens_the_request_with_the_comment(agent, customer):
    ticket = _ticket(agent, customer)
    ticket_resolve(actor=agent, ticket=ticket, resolution="已处理")

    signed_in(customer).post(
        f"/m/requests/{ticket.pk}/feedback/", {"resolved": "no", "satisfaction": "2", "comment": "还在漏水"}
    )

    ticket.refresh_from_db()
    assert ticket.status in Ticket.OPEN_STATUSES and ticket.reopen_count == 1
    assert ticket.events.get(kind="reopened").body == "还在漏水"


def test_rejecting_without_saying_why_is_refused(agent, customer):
    ticket = _ticket(agent, customer)
    ticket_resolve(actor=agent, ticket=ticket, resolution="已处理")

    response = signed_in(customer).post(f"/m/requests/{ticket.pk}/feedback/", {"resolved": "no", "satisfaction": "2"})

    ticket.refresh_from_db()
    assert response.status_code == 400
    assert ticket.status == Ticket.Status.RESOLVED


def test_feedback_on_a_request_still_in_progress_is_refused(agent, customer):
    ticket = _ticket(agent, customer)

    response = signed_in(customer).post(f"/m/requests/{ticket.pk}/feedback/", {"resolved": "yes", "satisfaction": "5"})

    ticket.refresh_from_db()
    assert response.status_code == 400
    assert ticket.status == Ticket.Status.NEW


def test_a_portal_request_falls_to_the_first_staff_member_who_takes_it_on(agent, customer, make_staff, city):
    from kefu.core.roles import Role

    supervisor = make_staff(city, Role.SUPERVISOR)
    ticket = ticket_services.ticket_submit_by_customer(
        customer=customer, unit=_unit(customer), kind="repair", title="漏水", description="卫生间漏水"
    )
    assert ticket.first_responder is None

    ticket_note(actor=supervisor, ticket=ticket, body="先看看")  # a note takes nothing on
    ticket.refresh_from_db()
    assert ticket.first_responder is None

    ticket_reply(actor=agent, ticket=ticket, body="明天上门", channel="phone")
    ticket.refresh_from_db()
    assert ticket.first_responder == agent


def test_a_split_of_an_untaken_portal_request_belongs_to_whoever_split_it(agent, customer):
    ticket = ticket_services.ticket_submit_by_customer(
        customer=customer, unit=_unit(customer), kind="repair", title="漏水", description="卫生间漏水；门锁坏了"
    )
    child = ticket_services.ticket_split(actor=agent, ticket=ticket, title="门锁坏了", description="门锁坏了")
    assert child.first_responder == agent
