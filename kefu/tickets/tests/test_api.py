"""The customer voice API: scoped reads, writes through the services, one error shape, and
idempotent creation."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kefu.core.roles import Role
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import BuildingFactory, UnitFactory
from kefu.standards.tests.factories import RequestCategoryFactory, SlaPolicyFactory
from kefu.tickets.models import CannedReply, Ticket, TicketAttachment, TicketEvent
from kefu.tickets.scan import sla_scan
from kefu.tickets.services import ticket_assign, ticket_pause, ticket_resolve
from kefu.tickets.tests.factories import TeamFactory, TicketFactory
from kefu.tickets.tests.world import png_upload

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday

READ_SUFFIXES = ["", "events/", "attachments/"]
# Each action with a body it would accept on a new ticket, so a 404 is about scope alone.
ACTIONS = {
    "assign/": {"team": None},
    "transfer/": {"reason": "工程问题"},
    "reply/": {"body": "已受理"},
    "note/": {"body": "内部备注"},
    "pause/": {"reason": "等业主"},
    "resume/": {},
    "resolve/": {"resolution": "已处理"},
    "revisit/": {"method": "phone", "outcome": "satisfied", "satisfaction": 5},
    "close/": {"reason": "重复来电"},
    "reopen/": {"reason": "业主再次反映"},
    "merge/": {"target": 1},
    "split/": {"title": "另一件事", "description": "业主顺带反映"},
}


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def colleague(city, make_staff):
    return make_staff(city, Role.AGENT, name="陈工")


@pytest.fixture
def ticket(agent) -> Ticket:
    return TicketFactory(actor=agent, customer=CustomerFactory(organisation=agent.unit, name="张三"))


def _create_body(customer, **extra) -> dict:
    return {
        "customer": customer.pk,
        "kind": "complaint",
        "channel": "phone",
        "title": "电梯噪音",
        "description": "业主反映夜间电梯噪音大。",
        **extra,
    }


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# Who may call what


@pytest.mark.parametrize("suffix", READ_SUFFIXES)
def test_ticket_api_read_endpoint_answers_the_owner(suffix, api_client_for, agent, ticket):
    response = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/{suffix}")

    assert response.status_code == 200


@pytest.mark.parametrize("suffix", READ_SUFFIXES)
def test_ticket_api_read_endpoint_is_404_for_another_unit(suffix, api_client_for, outsider, ticket):
    response = api_client_for(outsider).get(f"/api/v1/tickets/{ticket.pk}/{suffix}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("suffix", "body"), ACTIONS.items())
def test_ticket_action_api_is_404_for_another_unit(suffix, body, api_client_for, outsider, ticket):
    response = api_client_for(outsider).post(f"/api/v1/tickets/{ticket.pk}/{suffix}", body, format="json")

    assert response.status_code == 404
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]


@pytest.mark.parametrize("path", ["tickets/", "tickets/{id}/", "tickets/{id}/events/", "teams/", "canned-replies/"])
def test_ticket_api_is_403_for_a_contractor(path, api_client_for, city, make_staff, ticket):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = api_client_for(contractor).get(f"/api/v1/{path.format(id=ticket.pk)}")

    assert response.status_code == 403


@pytest.mark.parametrize(("suffix", "body"), ACTIONS.items())
def test_ticket_action_api_is_403_for_a_contractor(suffix, body, api_client_for, city, make_staff, ticket):
    contractor = make_staff(city, Role.CONTRACTOR)

    response = api_client_for(contractor).post(f"/api/v1/tickets/{ticket.pk}/{suffix}", body, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_ticket_action_api_is_403_for_an_executive_who_only_reads(api_client_for, city, make_staff, ticket):
    executive = make_staff(city, Role.EXECUTIVE)

    response = api_client_for(executive).post(f"/api/v1/tickets/{ticket.pk}/note/", {"body": "看看"}, format="json")

    assert response.status_code == 403


def test_ticket_create_api_is_403_for_an_executive(api_client_for, city, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    response = api_client_for(executive).post(
        "/api/v1/tickets/", _create_body(CustomerFactory(organisation=city)), format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("path", ["tickets/", "tickets/1/", "teams/", "canned-replies/"])
def test_ticket_api_is_401_for_an_anonymous_caller(path):
    response = APIClient().get(f"/api/v1/{path}")

    assert response.status_code == 401


# The list


def test_ticket_list_api_returns_own_tickets_with_names(api_client_for, agent, ticket):
    response = api_client_for(agent).get("/api/v1/tickets/")

    assert response.status_code == 200
    row = response.json()["results"][0]
    assert (row["number"], row["customer_name"], row["first_responder_name"], row["status"]) == (
        ticket.number,
        "张三",
        "张三",
        "new",
    )


def test_ticket_list_api_hides_another_units_tickets(api_client_for, outsider, ticket):
    response = api_client_for(outsider).get("/api/v1/tickets/")

    assert response.json()["results"] == []


def test_ticket_list_api_lists_newest_received_first(api_client_for, agent):
    older = TicketFactory(actor=agent, received_at=NOW - timedelta(hours=2))
    newer = TicketFactory(actor=agent, received_at=NOW - timedelta(hours=1))

    response = api_client_for(agent).get("/api/v1/tickets/")

    assert _ids(response) == [newer.pk, older.pk]


def test_ticket_list_api_filters_open_tickets(api_client_for, agent, ticket):
    done = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=done, resolution="已答复")

    response = api_client_for(agent).get("/api/v1/tickets/?status=open")

    assert _ids(response) == [ticket.pk]


def test_ticket_list_api_filters_by_status(api_client_for, agent, ticket):
    waiting = TicketFactory(actor=agent)
    ticket_pause(actor=agent, ticket=waiting, reason="等业主")

    response = api_client_for(agent).get("/api/v1/tickets/?status=waiting")

    assert _ids(response) == [waiting.pk]


@pytest.mark.parametrize(
    ("field", "value", "other"),
    [("kind", "repair", "complaint"), ("severity", "group", "normal"), ("channel", "wechat", "phone")],
)
def test_ticket_list_api_filters_by_a_choice(field, value, other, api_client_for, agent):
    wanted = TicketFactory(actor=agent, **{field: value})
    TicketFactory(actor=agent, **{field: other})

    response = api_client_for(agent).get(f"/api/v1/tickets/?{field}={value}")

    assert _ids(response) == [wanted.pk]


def test_ticket_list_api_filters_by_customer(api_client_for, agent, ticket):
    TicketFactory(actor=agent)

    response = api_client_for(agent).get(f"/api/v1/tickets/?customer={ticket.customer_id}")

    assert _ids(response) == [ticket.pk]


def test_ticket_list_api_filters_by_project(api_client_for, agent, city):
    unit = UnitFactory(building=BuildingFactory(project__organisation=city))
    wanted = TicketFactory(actor=agent, unit=unit)
    TicketFactory(actor=agent)

    response = api_client_for(agent).get(f"/api/v1/tickets/?project={unit.building.project_id}")

    assert _ids(response) == [wanted.pk]


def test_ticket_list_api_filters_by_assignee(api_client_for, agent, colleague, ticket):
    TicketFactory(actor=agent)
    ticket_assign(actor=agent, ticket=ticket, assignee=colleague)

    response = api_client_for(agent).get(f"/api/v1/tickets/?assignee={colleague.pk}")

    assert _ids(response) == [ticket.pk]


def test_ticket_list_api_filters_breached_tickets(api_client_for, agent, group):
    SlaPolicyFactory(organisation=group, first_response_time=timedelta(hours=1), resolution_time=timedelta(hours=2))
    late = TicketFactory(actor=agent, received_at=NOW - timedelta(days=3))  # the Friday before
    TicketFactory(actor=agent)

    response = api_client_for(agent).get("/api/v1/tickets/?breached=true")

    assert _ids(response) == [late.pk]


def test_ticket_list_api_filters_by_time_received(api_client_for, agent):
    TicketFactory(actor=agent, received_at=NOW - timedelta(days=3))
    wanted = TicketFactory(actor=agent, received_at=NOW - timedelta(days=1))
    TicketFactory(actor=agent)
    since, until = (NOW - timedelta(days=2)).isoformat(), (NOW - timedelta(hours=1)).isoformat()

    response = api_client_for(agent).get("/api/v1/tickets/", {"received_from": since, "received_to": until})

    assert _ids(response) == [wanted.pk]


def test_ticket_list_api_finds_a_ticket_by_number(api_client_for, agent, ticket):
    TicketFactory(actor=agent)

    response = api_client_for(agent).get(f"/api/v1/tickets/?q={ticket.number.lower()}")

    assert _ids(response) == [ticket.pk]


def test_ticket_list_api_rejects_a_bad_filter_naming_it(api_client_for, agent):
    response = api_client_for(agent).get("/api/v1/tickets/?status=lost")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]


def test_ticket_list_api_runs_a_constant_number_of_queries(
    client_for, agent, colleague, city, django_assert_num_queries
):
    client = client_for(agent)  # a real session: the count includes loading the user and roles
    client.get("/api/v1/tickets/")
    team = TeamFactory(organisation=city)
    unit = UnitFactory(building=BuildingFactory(project__organisation=city))
    for _ in range(3):
        ticket = TicketFactory(actor=agent, unit=unit)
        ticket_assign(actor=agent, ticket=ticket, assignee=colleague, team=team)

    with django_assert_num_queries(5):
        response = client.get("/api/v1/tickets/")

    assert [row["team_name"] for row in response.json()["results"]] == [team.name] * 3


# The detail


def test_ticket_detail_api_shows_the_service_standard_and_its_clocks(
    api_client_for, agent, supervisor, group, colleague
):
    SlaPolicyFactory(
        organisation=group, name="投诉标准", first_response_time=timedelta(hours=1), resolution_time=timedelta(hours=4)
    )
    late = TicketFactory(actor=agent)
    ticket_assign(actor=agent, ticket=late, assignee=colleague)
    sla_scan(now=NOW + timedelta(hours=6))

    body = api_client_for(agent).get(f"/api/v1/tickets/{late.pk}/").json()

    assert (body["sla_policy_name"], body["time_basis"]) == ("投诉标准", "business")
    assert "投诉标准" in body["sla_reason"]
    # Four business hours from 09:00 run past the lunch break.
    assert (body["first_response_due_at"], body["resolution_due_at"]) == (
        "2026-03-02T10:00:00+08:00",
        "2026-03-02T14:30:00+08:00",
    )
    assert (body["first_response_breached_at"], body["resolution_breached_at"]) == (
        "2026-03-02T10:00:00+08:00",
        "2026-03-02T14:30:00+08:00",
    )
    assert (body["escalation_level"], body["is_breached"]) == (1, True)
    assert (body["first_responder_name"], body["assignee_name"], body["is_paused"]) == ("张三", "陈工", False)


def test_ticket_detail_api_shows_a_pause(api_client_for, agent, ticket):
    ticket_pause(actor=agent, ticket=ticket, reason="等业主在家")

    body = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert (body["status"], body["is_paused"], body["paused_at"]) == ("waiting", True, "2026-03-02T09:00:00+08:00")


# Create


def test_ticket_create_api_logs_the_caller_as_first_responder(api_client_for, agent, city):
    customer = CustomerFactory(organisation=city)

    response = api_client_for(agent).post("/api/v1/tickets/", _create_body(customer), format="json")

    assert response.status_code == 201
    created = Ticket.objects.get(pk=response.json()["id"])
    assert (created.first_responder, created.customer, created.organisation) == (agent, customer, city)
    assert response.json()["number"] == created.number


def test_ticket_create_api_hands_the_ticket_to_the_assignee(api_client_for, agent, colleague, city):
    body = _create_body(CustomerFactory(organisation=city), assignee=colleague.pk)

    response = api_client_for(agent).post("/api/v1/tickets/", body, format="json")

    assert (response.json()["assignee"], response.json()["status"]) == (colleague.pk, "in_progress")


def test_ticket_create_api_rejects_another_units_customer(api_client_for, agent, other_city):
    body = _create_body(CustomerFactory(organisation=other_city))

    response = api_client_for(agent).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["customer"]
    assert not Ticket.objects.exists()


def test_ticket_create_api_rejects_a_category_of_another_kind(api_client_for, agent, city):
    category = RequestCategoryFactory(organisation=city, kind="repair")
    body = _create_body(CustomerFactory(organisation=city), category=category.pk)

    response = api_client_for(agent).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["category"]


def test_ticket_create_api_rejects_a_time_received_in_the_future(api_client_for, agent, city):
    body = _create_body(CustomerFactory(organisation=city), received_at=(NOW + timedelta(hours=1)).isoformat())

    response = api_client_for(agent).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["received_at"]


def test_ticket_create_api_names_missing_fields(api_client_for, agent, city):
    response = api_client_for(agent).post("/api/v1/tickets/", {"customer": 1}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["channel", "description", "kind", "title"]


def test_ticket_create_api_rejects_an_assignee_outside_the_unit(api_client_for, agent, outsider, city):
    body = _create_body(CustomerFactory(organisation=city), assignee=outsider.pk)

    response = api_client_for(agent).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["assignee"]
    assert not Ticket.objects.exists()


def test_ticket_create_api_with_the_same_idempotency_key_logs_one_ticket(api_client_for, agent, city):
    client = api_client_for(agent)
    body = _create_body(CustomerFactory(organisation=city))

    first = client.post("/api/v1/tickets/", body, format="json", headers={"Idempotency-Key": "call-0001"})
    second = client.post("/api/v1/tickets/", body, format="json", headers={"Idempotency-Key": "call-0001"})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1


def test_ticket_create_api_refuses_a_used_idempotency_key_with_another_body(api_client_for, agent, city):
    client = api_client_for(agent)
    customer = CustomerFactory(organisation=city)
    client.post("/api/v1/tickets/", _create_body(customer), format="json", headers={"Idempotency-Key": "call-0002"})

    response = client.post(
        "/api/v1/tickets/",
        _create_body(customer, title="另一件事"),
        format="json",
        headers={"Idempotency-Key": "call-0002"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_client_key"
    assert Ticket.objects.count() == 1


def test_ticket_create_api_without_a_key_logs_each_call(api_client_for, agent, city):
    client = api_client_for(agent)
    body = _create_body(CustomerFactory(organisation=city))

    client.post("/api/v1/tickets/", body, format="json")
    client.post("/api/v1/tickets/", body, format="json")

    assert Ticket.objects.count() == 2


def test_ticket_create_api_rejects_an_overlong_idempotency_key(api_client_for, agent, city):
    body = _create_body(CustomerFactory(organisation=city))

    response = api_client_for(agent).post(
        "/api/v1/tickets/", body, format="json", headers={"Idempotency-Key": "k" * 65}
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["Idempotency-Key"]


# Assign and transfer


def test_ticket_assign_api_hands_the_ticket_to_a_colleague(api_client_for, agent, colleague, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": colleague.pk}, format="json"
    )

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (colleague, Ticket.Status.IN_PROGRESS)


def test_ticket_assign_api_hands_the_ticket_to_a_team_member(api_client_for, agent, colleague, city, ticket):
    team = TeamFactory(organisation=city)
    team.members.add(colleague)

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/assign/", {"team": team.pk}, format="json")

    assert (response.json()["team_name"], response.json()["assignee_name"]) == (team.name, "陈工")


def test_ticket_assign_api_rejects_a_user_of_another_unit(api_client_for, agent, outsider, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["assignee"]
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_ticket_assign_api_rejects_a_user_outside_the_tickets_unit(api_client_for, group_admin, outsider, ticket):
    # The group administrator sees both cities' staff; the service still refuses the other city's.
    response = api_client_for(group_admin).post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "assignee_out_of_scope"
    assert list(response.json()["fields"]) == ["assignee"]


def test_ticket_assign_api_asks_for_someone(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/assign/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["assignee"]


def test_ticket_assign_api_refuses_a_closed_ticket(api_client_for, agent, colleague):
    closed = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=closed, resolution="已答复")

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{closed.pk}/assign/", {"assignee": colleague.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


def test_ticket_transfer_api_keeps_the_first_responder(api_client_for, agent, colleague, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/transfer/", {"assignee": colleague.pk, "reason": "工程问题"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["assignee"], response.json()["first_responder"]) == (
        colleague.pk,
        ticket.first_responder_id,
    )


def test_ticket_transfer_api_requires_a_reason(api_client_for, agent, colleague, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/transfer/", {"assignee": colleague.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]


# Reply and note


def test_ticket_reply_api_records_the_reply_and_the_first_response(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "已受理"}, format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["body"], response.json()["actor_name"]) == (
        "reply",
        "已受理",
        "张三",
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at == NOW


def test_ticket_reply_api_refuses_a_closed_ticket(api_client_for, agent):
    closed = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=closed, resolution="已答复")

    response = api_client_for(agent).post(f"/api/v1/tickets/{closed.pk}/reply/", {"body": "再说一句"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert not closed.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_ticket_reply_api_requires_a_body(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "  "}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["body"]


def test_ticket_note_api_records_an_internal_note(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/note/", {"body": "先安抚"}, format="json")

    assert response.status_code == 201
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE, body="先安抚").count() == 1


# The clocks, resolution and revisit


def test_ticket_pause_api_waits_for_the_customer(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/pause/", {"reason": "等业主"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "waiting"


def test_ticket_pause_api_refuses_a_waiting_ticket(api_client_for, agent, ticket):
    ticket_pause(actor=agent, ticket=ticket, reason="等业主")

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/pause/", {"reason": "又等"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_wrong_state"


def test_ticket_resume_api_runs_the_clock_again(api_client_for, agent, ticket):
    ticket_pause(actor=agent, ticket=ticket, reason="等业主")

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/resume/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["is_paused"]) == ("in_progress", False)


def test_ticket_resume_api_refuses_a_running_ticket(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/resume/")

    assert response.status_code == 409


def test_ticket_resolve_api_sets_the_revisit_due(api_client_for, agent, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/resolve/", {"resolution": "已更换导靴"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolution"]) == ("resolved", "已更换导靴")
    assert response.json()["revisit_due_at"] is not None


def test_ticket_resolve_api_requires_the_measures(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/resolve/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["resolution"]


def test_ticket_revisit_api_closes_with_the_satisfaction(api_client_for, agent, ticket):
    ticket_resolve(actor=agent, ticket=ticket, resolution="已处理")

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/revisit/",
        {"method": "phone", "outcome": "satisfied", "satisfaction": 5},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["satisfaction"]) == ("closed", 5)


def test_ticket_revisit_api_requires_the_satisfaction(api_client_for, agent, ticket):
    ticket_resolve(actor=agent, ticket=ticket, resolution="已处理")

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/revisit/", {"method": "phone", "outcome": "satisfied"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["satisfaction"]


def test_ticket_revisit_api_refuses_an_unresolved_ticket(api_client_for, agent, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/revisit/",
        {"method": "phone", "outcome": "satisfied", "satisfaction": 5},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_wrong_state"


# Close and reopen


def test_ticket_close_api_lets_a_supervisor_close_a_complaint(api_client_for, supervisor, ticket):
    response = api_client_for(supervisor).post(
        f"/api/v1/tickets/{ticket.pk}/close/", {"reason": "业主撤诉"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_ticket_close_api_sends_an_agent_to_the_revisit(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/close/", {"reason": "业主撤诉"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_ticket_reopen_api_reopens_a_closed_ticket(api_client_for, agent):
    closed = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=closed, resolution="已答复")

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{closed.pk}/reopen/", {"reason": "业主再次来电"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reopen_count"]) == ("new", 1)


def test_ticket_reopen_api_refuses_an_open_ticket(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/reopen/", {"reason": "再看"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_wrong_state"


# Merge and split


def test_ticket_merge_api_files_the_duplicate_under_the_target(api_client_for, agent, ticket):
    duplicate = TicketFactory(actor=agent, customer=ticket.customer)

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{duplicate.pk}/merge/", {"target": ticket.pk}, format="json"
    )

    assert (response.status_code, response.json()["id"]) == (200, ticket.pk)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Ticket.Status.MERGED, ticket)


def test_ticket_merge_api_rejects_a_target_of_another_unit(api_client_for, agent, outsider, ticket):
    foreign = TicketFactory(actor=outsider)

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/merge/", {"target": foreign.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["target"]
    foreign.refresh_from_db()
    assert foreign.status == Ticket.Status.NEW


def test_ticket_merge_api_refuses_merging_a_ticket_into_itself(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/merge/", {"target": ticket.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["target"]


def test_ticket_split_api_makes_a_ticket_with_the_same_first_responder(api_client_for, colleague, agent, ticket):
    response = api_client_for(colleague).post(
        f"/api/v1/tickets/{ticket.pk}/split/",
        {"title": "车位漏水", "description": "业主顺带反映车位漏水", "kind": "repair"},
        format="json",
    )

    assert response.status_code == 201
    child = Ticket.objects.get(pk=response.json()["id"])
    assert (child.split_from, child.first_responder, child.kind) == (ticket, agent, "repair")


def test_ticket_split_api_requires_a_title(api_client_for, agent, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/split/", {"description": "顺带反映"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["title"]


# History and photos


def test_ticket_events_api_lists_the_history_oldest_first(api_client_for, agent, colleague, ticket):
    ticket_assign(actor=agent, ticket=ticket, assignee=colleague)

    response = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/events/")

    assert [(e["kind"], e["actor_name"]) for e in response.json()["results"]] == [
        ("created", "张三"),
        ("assigned", "张三"),
    ]


def test_ticket_attachment_api_uploads_a_photo(api_client_for, agent, ticket):
    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": png_upload("门口.png")}, format="multipart"
    )

    assert response.status_code == 201
    assert (response.json()["original_name"], response.json()["content_type"]) == ("门口.png", "image/png")
    assert ticket.attachments.count() == 1


def test_ticket_attachment_api_rejects_a_file_that_is_not_an_image(api_client_for, agent, ticket):
    upload = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 not a photo", content_type="image/png")

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_attachment"
    assert list(response.json()["fields"]) == ["file"]
    assert not TicketAttachment.objects.exists()


def test_ticket_attachment_api_rejects_a_file_that_is_too_large(api_client_for, agent, ticket, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 10

    response = api_client_for(agent).post(
        f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": png_upload()}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["file"]
    assert not TicketAttachment.objects.exists()


def test_ticket_attachment_api_requires_a_file(api_client_for, agent, ticket):
    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["file"]


def test_ticket_attachment_api_lists_the_photos(api_client_for, agent, ticket):
    api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": png_upload()}, format="multipart")

    response = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/attachments/")

    assert [(a["width"], a["height"], a["uploaded_by_name"]) for a in response.json()["results"]] == [(4, 3, "张三")]


# Teams and canned replies


def test_team_list_api_lists_own_teams_with_members(api_client_for, agent, colleague, city, other_city):
    team = TeamFactory(organisation=city, name="维修一组")
    team.members.add(colleague)
    TeamFactory(organisation=other_city)

    response = api_client_for(agent).get("/api/v1/teams/")

    assert [(t["name"], t["members"]) for t in response.json()["results"]] == [
        ("维修一组", [{"id": colleague.pk, "name": "陈工"}])
    ]


def test_cannedreply_list_api_lists_own_replies(api_client_for, agent, city, other_city):
    reply = CannedReply.objects.create(organisation=city, title="受理", body="您好")
    CannedReply.objects.create(organisation=other_city, title="受理", body="您好")

    response = api_client_for(agent).get("/api/v1/canned-replies/")

    assert _ids(response) == [reply.pk]


def test_cannedreply_list_api_offers_the_replies_of_a_ticket(api_client_for, agent, group, ticket):
    shared = CannedReply.objects.create(organisation=group, title="投诉受理", kind="complaint", body="您好")
    CannedReply.objects.create(organisation=group, title="报修受理", kind="repair", body="您好")

    response = api_client_for(agent).get(f"/api/v1/canned-replies/?ticket={ticket.pk}")

    assert _ids(response) == [shared.pk]


def test_cannedreply_list_api_rejects_a_ticket_of_another_unit(api_client_for, outsider, ticket):
    response = api_client_for(outsider).get(f"/api/v1/canned-replies/?ticket={ticket.pk}")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["ticket"]


# Correcting a ticket


def test_ticket_update_api_changes_severity_and_rematches_the_standard(api_client_for, agent, ticket, group):
    from datetime import timedelta

    from kefu.standards.tests.factories import SlaPolicyFactory

    urgent = SlaPolicyFactory(organisation=group, name="紧急", severity="urgent", resolution_time=timedelta(hours=2))
    body = {"title": "电梯异响（紧急）", "severity": "urgent", "category": None, "unit": None}

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/update/", body, format="json")

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.title, ticket.severity, ticket.sla_policy) == ("电梯异响（紧急）", "urgent", urgent)


def test_ticket_update_api_rejects_a_category_of_another_kind(api_client_for, agent, ticket, group):
    from kefu.standards.tests.factories import RequestCategoryFactory

    repair = RequestCategoryFactory(organisation=group, kind="repair", name="水电")
    body = {"title": ticket.title, "severity": "normal", "category": repair.pk, "unit": None}

    response = api_client_for(agent).post(f"/api/v1/tickets/{ticket.pk}/update/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["category"]


def test_ticket_update_api_hides_another_units_ticket(api_client_for, outsider, ticket):
    body = {"title": "x", "severity": "normal", "category": None, "unit": None}

    response = api_client_for(outsider).post(f"/api/v1/tickets/{ticket.pk}/update/", body, format="json")

    assert response.status_code == 404
