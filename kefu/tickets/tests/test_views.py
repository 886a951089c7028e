"""The staff pages of customer voices: who may open them, what they show, what their forms do."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import SUCCESS, get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from kefu.core.roles import Role
from kefu.customers.services import household_add
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import UnitFactory
from kefu.standards.tests.factories import RequestCategoryFactory, SlaPolicyFactory
from kefu.tickets.models import AssignmentRule, CannedReply, Team, Ticket, TicketEvent, TicketPresence
from kefu.tickets.services import presence_touch, ticket_pause, ticket_resolve
from kefu.tickets.tests.factories import TeamFactory, TicketFactory
from kefu.tickets.tests.world import png_upload

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
Kind = TicketEvent.Kind


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Tuesday 10:00, inside working hours; a still clock also keeps query counts steady."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(group):
    return SlaPolicyFactory(organisation=group, name="通用标准", handling_guide="先致歉，再约时间上门。")


@pytest.fixture
def unit(city):
    return UnitFactory(building__project__organisation=city, building__code="3", entrance="1", number="1202")


@pytest.fixture
def customer(city, unit):
    customer = CustomerFactory(organisation=city, name="欧阳娜娜", mobile="13712345678")
    household_add(actor=None, customer=customer, unit=unit)
    return customer


@pytest.fixture
def ticket(agent, customer, unit, policy):
    return TicketFactory(actor=agent, customer=customer, unit=unit, title="电梯噪音")


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


def _detail(ticket: Ticket) -> str:
    return reverse("tickets:ticket_detail", kwargs={"ticket_id": ticket.pk})


def _action(name: str, ticket: Ticket) -> str:
    return reverse(f"tickets:ticket_{name}", kwargs={"ticket_id": ticket.pk})


def _success(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == SUCCESS]


def _form_errors(response, name: str) -> dict[str, list[str]]:
    """The errors of action `name`'s form on a re-rendered ticket page."""
    panels = {p.name: p for p in [*response.context["compose"], *response.context["side_panels"]]}
    return panels[name].form.errors


# The list


def test_list_shows_visible_tickets_only(ticket, outsider, agent, client_for):
    hidden = TicketFactory(actor=outsider)

    response = client_for(agent).get(reverse("tickets:ticket_list"))

    assert response.status_code == 200
    assert ticket.number in response.content.decode()
    assert hidden.number not in response.content.decode()


def test_list_answers_htmx_with_the_rows_only(ticket, agent, client_for):
    response = client_for(agent).get(reverse("tickets:ticket_list"), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert ticket.number in body
    assert "<html" not in body


def test_list_filters_by_search(ticket, agent, client_for):
    other = TicketFactory(actor=agent)

    response = client_for(agent).get(reverse("tickets:ticket_list"), {"q": ticket.number})

    assert [t.pk for t in response.context["page_obj"]] == [ticket.pk]
    assert other.number not in response.content.decode()


def test_list_marks_an_overdue_ticket(ticket, agent, client_for):
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=NOW - timedelta(hours=3))

    response = client_for(agent).get(reverse("tickets:ticket_list"))

    clock = response.context["page_obj"][0].clock
    assert clock.state == "overdue"
    assert "bg-red" in clock.css


def test_list_empty_state_offers_to_log_a_voice(agent, client_for):
    response = client_for(agent).get(reverse("tickets:ticket_list"))

    body = response.content.decode()
    assert gettext("No customer voices yet") in body
    assert reverse("tickets:ticket_create") in body


def test_list_query_count_does_not_grow_with_rows(agent, city, make_staff, client_for, django_assert_num_queries):
    colleague = make_staff(city, Role.AGENT)
    for _ in range(3):
        TicketFactory(actor=agent, assignee=colleague)
    client = client_for(agent)
    client.get(reverse("tickets:ticket_list"))  # the session's first touches are not the list's

    with django_assert_num_queries(8):
        response = client.get(reverse("tickets:ticket_list"), {"status": "open", "sort": "due"})

    assert len(response.context["page_obj"]) == 3


def test_list_refuses_contractor(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.CONTRACTOR)).get(reverse("tickets:ticket_list"))

    assert response.status_code == 403


# Logging a voice


def test_create_page_takes_the_customer_from_the_ledger_link(customer, unit, agent, client_for):
    response = client_for(agent).get(reverse("tickets:ticket_create"), {"customer_id": customer.pk})

    body = response.content.decode()
    assert customer.name in body
    assert response.context["form"]["unit"].value() == unit.pk
    assert "137****5678" in body


def test_create_logs_the_voice_and_tells_number_and_due_time(customer, unit, agent, policy, client_for):
    data = {
        "customer": customer.pk,
        "unit": unit.pk,
        "kind": "complaint",
        "channel": "phone",
        "severity": "normal",
        "title": "电梯噪音",
        "description": "夜间电梯噪音大",
        "received_at": "2025-03-04T09:30",
    }

    response = client_for(agent).post(reverse("tickets:ticket_create"), data)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(ticket)
    assert ticket.first_responder == agent
    assert ticket.unit == unit
    due = timezone.localtime(ticket.resolution_due_at).strftime("%Y-%m-%d %H:%M")
    assert _success(response) == [
        gettext("Ticket %(number)s has been logged. Resolution is due by %(due)s.")
        % {"number": ticket.number, "due": due}
    ]


def test_create_keeps_photos(customer, agent, client_for):
    data = {
        "customer": customer.pk,
        "kind": "repair",
        "channel": "phone",
        "severity": "normal",
        "title": "漏水",
        "description": "卫生间漏水",
        "received_at": "2025-03-04T09:30",
        "attachments": [png_upload("a.png"), png_upload("b.png")],
    }

    client_for(agent).post(reverse("tickets:ticket_create"), data)

    assert Ticket.objects.get().attachments.count() == 2


def test_create_shows_a_missing_subject_on_its_field(customer, agent, client_for):
    data = {"customer": customer.pk, "kind": "complaint", "channel": "phone", "severity": "normal"}

    response = client_for(agent).post(reverse("tickets:ticket_create"), data | {"description": "x"})

    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_create_shows_the_services_photo_error_on_the_field(customer, agent, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "customer": customer.pk,
        "kind": "repair",
        "channel": "phone",
        "severity": "normal",
        "title": "漏水",
        "description": "卫生间漏水",
        "received_at": "2025-03-04T09:30",
        "attachments": [SimpleUploadedFile("plan.pdf", b"%PDF-1.4 not a photo", content_type="application/pdf")],
    }

    response = client_for(agent).post(reverse("tickets:ticket_create"), data)

    errors = response.context["form"].errors
    assert errors["attachments"] == [
        gettext("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": "plan.pdf"}
    ]
    assert not Ticket.objects.exists()


def test_create_refuses_a_customer_of_another_unit(outsider, agent, client_for):
    stranger = CustomerFactory(organisation=outsider.unit)
    data = {"customer": stranger.pk, "kind": "complaint", "channel": "phone", "severity": "normal"}

    response = client_for(agent).post(
        reverse("tickets:ticket_create"),
        data | {"title": "x", "description": "x", "received_at": "2025-03-04T09:30"},
    )

    assert "customer" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_create_customer_search_answers_with_matches(customer, agent, client_for):
    response = client_for(agent).get(reverse("tickets:ticket_create"), {"customer_q": "5678"}, HTTP_HX_REQUEST="true")

    assert [c.pk for c in response.context["customers"]] == [customer.pk]
    assert "<html" not in response.content.decode()


def test_create_offers_the_categories_of_the_chosen_kind(city, agent, client_for):
    repair = RequestCategoryFactory(organisation=city, kind="repair", name="水电")
    RequestCategoryFactory(organisation=city, kind="complaint", name="服务态度")

    response = client_for(agent).get(reverse("tickets:ticket_create"), {"kind": "repair"})

    assert list(response.context["form"].fields["category"].queryset) == [repair]


def test_create_refused_to_an_executive(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.EXECUTIVE)).get(reverse("tickets:ticket_create"))

    assert response.status_code == 403


# The ticket page


def test_detail_shows_the_standard_its_reason_and_guide(ticket, agent, client_for):
    response = client_for(agent).get(_detail(ticket))

    body = response.content.decode()
    assert response.status_code == 200
    assert ticket.sla_reason in body
    assert "先致歉，再约时间上门。" in body
    assert response.context["resolution_clock"].due_at == ticket.resolution_due_at


def test_detail_of_another_unit_is_404(ticket, outsider, client_for):
    response = client_for(outsider).get(_detail(ticket))

    assert response.status_code == 404


def test_detail_offers_no_actions_to_an_executive(ticket, city, make_staff, client_for):
    response = client_for(make_staff(city, Role.EXECUTIVE)).get(_detail(ticket))

    assert response.status_code == 200
    assert response.context["compose"] == []
    assert response.context["side_panels"] == []


def test_detail_offers_revisit_and_not_resolve_once_resolved(ticket, agent, client_for):
    ticket_resolve(actor=agent, ticket=ticket, resolution="已调整")

    response = client_for(agent).get(_detail(ticket))

    names = [p.name for p in response.context["side_panels"]]
    assert "revisit" in names
    assert "resolve" not in names


def test_detail_offers_canned_replies_with_variables_filled(ticket, agent, city, client_for):
    CannedReply.objects.create(organisation=city, title="受理", body="{customer_name}您好，{ticket_number}已受理")

    response = client_for(agent).get(_detail(ticket))

    reply_form = response.context["compose"][0].form
    assert reply_form.canned_options[0][2] == f"欧阳娜娜您好，{ticket.number}已受理"


def test_history_shows_notes_apart_from_replies(ticket, agent, client_for):
    client = client_for(agent)
    client.post(_action("note", ticket), {"note-body": "内部：先查监控"})

    response = client.get(_detail(ticket))

    assert "kefu-event kefu-event-note" in response.content.decode()
    assert [e.kind for e in response.context["events"]][-1] == Kind.NOTE


def test_photo_is_served_to_who_can_see_the_ticket(customer, agent, client_for):
    ticket = TicketFactory(actor=agent, customer=customer, attachments=[png_upload()])

    response = client_for(agent).get(
        reverse("tickets:attachment", kwargs={"attachment_id": ticket.attachments.get().pk})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_photo_is_hidden_from_another_unit(customer, agent, outsider, client_for):
    ticket = TicketFactory(actor=agent, customer=customer, attachments=[png_upload()])

    response = client_for(outsider).get(
        reverse("tickets:attachment", kwargs={"attachment_id": ticket.attachments.get().pk})
    )

    assert response.status_code == 404


def test_presence_records_the_viewer_typing(ticket, agent, client_for):
    client_for(agent).post(reverse("tickets:presence", kwargs={"ticket_id": ticket.pk}), {"replying": "1"})

    presence = TicketPresence.objects.get(ticket=ticket)
    assert (presence.member, presence.is_replying) == (agent, True)


def test_presence_names_the_others_on_the_ticket(ticket, agent, city, make_staff, client_for):
    colleague = make_staff(city, Role.AGENT, name="王五")
    presence_touch(actor=colleague, ticket=ticket, is_replying=True)

    response = client_for(agent).post(reverse("tickets:presence", kwargs={"ticket_id": ticket.pk}))

    assert gettext("%(name)s is replying") % {"name": "王五"} in response.content.decode()


# The actions


def test_reply_is_recorded_and_answers_the_first_response(ticket, agent, client_for):
    response = client_for(agent).post(_action("reply", ticket), {"reply-body": "已安排师傅", "reply-channel": "phone"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.first_responded_at == NOW
    assert ticket.events.filter(kind=Kind.REPLY, body="已安排师傅").exists()
    assert _success(response) == [gettext("Reply to the customer recorded on %(number)s.") % {"number": ticket.number}]


def test_empty_reply_comes_back_with_the_error_on_its_field(ticket, agent, client_for):
    response = client_for(agent).post(_action("reply", ticket), {"reply-body": " ", "reply-channel": "phone"})

    assert response.status_code == 200
    assert "body" in _form_errors(response, "reply")
    assert not ticket.events.filter(kind=Kind.REPLY).exists()


def test_htmx_error_swaps_only_the_form(ticket, agent, client_for):
    response = client_for(agent).post(_action("transfer", ticket), {"transfer-reason": ""}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.startswith('<form id="action-transfer"')
    assert "is-invalid" in body


def test_htmx_success_redirects_to_the_page(ticket, agent, client_for):
    response = client_for(agent).post(_action("note", ticket), {"note-body": "备注"}, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == _detail(ticket)


def test_note_is_recorded(ticket, agent, client_for):
    client_for(agent).post(_action("note", ticket), {"note-body": "业主情绪激动"})

    assert ticket.events.filter(kind=Kind.NOTE, body="业主情绪激动").exists()


def test_assign_gives_the_ticket_to_a_colleague(ticket, agent, city, make_staff, client_for):
    colleague = make_staff(city, Role.AGENT)

    client_for(agent).post(_action("assign", ticket), {"assign-assignee": colleague.pk})

    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert ticket.first_responder == agent


def test_assign_refuses_staff_of_another_unit(ticket, agent, outsider, client_for):
    response = client_for(agent).post(_action("assign", ticket), {"assign-assignee": outsider.pk})

    assert "assignee" in _form_errors(response, "assign")
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_transfer_needs_a_reason(ticket, agent, city, make_staff, client_for):
    colleague = make_staff(city, Role.AGENT)
    TeamFactory(organisation=city)
    client = client_for(agent)
    client.post(_action("assign", ticket), {"assign-assignee": agent.pk})

    response = client.post(_action("transfer", ticket), {"transfer-assignee": colleague.pk, "transfer-reason": ""})

    assert "reason" in _form_errors(response, "transfer")
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_transfer_hands_the_ticket_on(ticket, agent, city, make_staff, client_for):
    colleague = make_staff(city, Role.AGENT)
    client = client_for(agent)
    client.post(_action("assign", ticket), {"assign-assignee": agent.pk})

    client.post(_action("transfer", ticket), {"transfer-assignee": colleague.pk, "transfer-reason": "工程问题"})

    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert ticket.events.filter(kind=Kind.TRANSFERRED, body="工程问题").exists()


def test_pause_waits_for_the_customer(ticket, agent, client_for):
    client_for(agent).post(_action("pause", ticket), {"pause-reason": "等业主在家"})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.paused_at == NOW


def test_resume_restarts_the_clocks(ticket, agent, client_for):
    ticket_pause(actor=agent, ticket=ticket, reason="等业主")

    client_for(agent).post(_action("resume", ticket))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.paused_at is None


def test_resolve_records_the_measures(ticket, agent, client_for):
    client_for(agent).post(_action("resolve", ticket), {"resolve-resolution": "已调整电梯"})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolution == "已调整电梯"


def test_revisit_satisfied_closes(ticket, agent, client_for):
    ticket_resolve(actor=agent, ticket=ticket, resolution="已调整")

    client_for(agent).post(
        _action("revisit", ticket),
        {"revisit-method": "phone", "revisit-outcome": "satisfied", "revisit-satisfaction": "5"},
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.satisfaction == 5


def test_close_an_inquiry(agent, customer, client_for):
    inquiry = TicketFactory(actor=agent, customer=customer, kind="inquiry")

    client_for(agent).post(_action("close", inquiry), {"close-reason": "已电话答复"})

    inquiry.refresh_from_db()
    assert inquiry.status == Ticket.Status.CLOSED


def test_close_offered_to_an_agent_only_for_voices_without_revisit(ticket, agent, client_for):
    response = client_for(agent).get(_detail(ticket))

    assert "close" not in [p.name for p in response.context["side_panels"]]


def test_close_of_a_complaint_by_an_agent_is_refused_on_the_form(ticket, agent, client_for):
    response = client_for(agent).post(_action("close", ticket), {"close-reason": "重复"})

    assert "reason" in _form_errors(response, "close")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_reopen(ticket, agent, client_for):
    ticket_resolve(actor=agent, ticket=ticket, resolution="已调整")

    client_for(agent).post(_action("reopen", ticket), {"reopen-reason": "业主反映仍有噪音"})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.reopen_count == 1


def test_merge_into_another_ticket_by_number(ticket, agent, customer, client_for):
    duplicate = TicketFactory(actor=agent, customer=customer)

    response = client_for(agent).post(_action("merge", duplicate), {"merge-target": ticket.number.lower()})

    duplicate.refresh_from_db()
    assert duplicate.status == Ticket.Status.MERGED
    assert duplicate.merged_into == ticket
    assert response["Location"] == _detail(ticket)


def test_merge_into_an_unknown_number_is_an_error_on_the_field(ticket, agent, outsider, client_for):
    elsewhere = TicketFactory(actor=outsider)

    response = client_for(agent).post(_action("merge", ticket), {"merge-target": elsewhere.number})

    assert "target" in _form_errors(response, "merge")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_split_makes_a_new_ticket(ticket, agent, client_for):
    response = client_for(agent).post(
        _action("split", ticket),
        {"split-title": "车位漏水", "split-description": "另反映车位漏水", "split-kind": "repair"},
    )

    child = Ticket.objects.get(split_from=ticket)
    assert (child.title, child.kind, child.first_responder) == ("车位漏水", "repair", agent)
    assert response["Location"] == _detail(child)


def test_add_photos(ticket, agent, client_for):
    client_for(agent).post(
        _action("attach", ticket), {"attach-attachments": [png_upload("a.png"), png_upload("b.png")]}
    )

    assert ticket.attachments.count() == 2


def test_add_photos_keeps_none_when_one_is_not_a_photo(ticket, agent, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")

    response = client_for(agent).post(_action("attach", ticket), {"attach-attachments": [png_upload(), bad]})

    assert "attachments" in _form_errors(response, "attach")
    assert ticket.attachments.count() == 0


def test_edit_changes_the_severity(ticket, agent, unit, client_for):
    client_for(agent).post(
        _action("edit", ticket),
        {"edit-title": ticket.title, "edit-severity": "urgent", "edit-unit": unit.pk},
    )

    ticket.refresh_from_db()
    assert ticket.severity == "urgent"


def test_action_refused_to_a_role_that_cannot_handle(ticket, city, make_staff, client_for):
    executive = make_staff(city, Role.EXECUTIVE)

    response = client_for(executive).post(_action("reply", ticket), {"reply-body": "x", "reply-channel": "phone"})

    assert response.status_code == 403
    assert not ticket.events.filter(kind=Kind.REPLY).exists()


def test_action_on_another_units_ticket_is_404(ticket, outsider, client_for):
    response = client_for(outsider).post(_action("note", ticket), {"note-body": "x"})

    assert response.status_code == 404
    assert not ticket.events.filter(kind=Kind.NOTE).exists()


# Settings


def test_settings_pages_open_for_a_supervisor(supervisor, city, client_for):
    TeamFactory(organisation=city, name="维修组")
    client = client_for(supervisor)

    statuses = [
        client.get(reverse(f"tickets:{name}")).status_code for name in ("team_list", "rule_list", "canned_reply_list")
    ]

    assert statuses == [200, 200, 200]


def test_settings_refused_to_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("tickets:team_list"))

    assert response.status_code == 403


def test_team_create_page(supervisor, agent, city, client_for):
    response = client_for(supervisor).post(
        reverse("tickets:team_create"),
        {"organisation": city.pk, "name": "维修组", "strategy": "round_robin", "members": [agent.pk]},
    )

    team = Team.objects.get()
    assert response["Location"] == reverse("tickets:team_list")
    assert list(team.members.all()) == [agent]


def test_team_edit_of_another_unit_is_404(supervisor, other_city, client_for):
    team = TeamFactory(organisation=other_city)

    response = client_for(supervisor).get(reverse("tickets:team_edit", kwargs={"team_id": team.pk}))

    assert response.status_code == 404


def test_rule_create_page(supervisor, city, client_for):
    team = TeamFactory(organisation=city)

    client_for(supervisor).post(
        reverse("tickets:rule_create"),
        {"organisation": city.pk, "name": "报修", "kind": "repair", "team": team.pk, "is_active": "on"},
    )

    assert AssignmentRule.objects.get().team == team


def test_rule_delete_page(supervisor, city, client_for):
    rule = AssignmentRule.objects.create(organisation=city, name="x", team=TeamFactory(organisation=city))

    client_for(supervisor).post(reverse("tickets:rule_delete", kwargs={"rule_id": rule.pk}))

    assert not AssignmentRule.objects.exists()


def test_canned_reply_with_an_unknown_variable_is_refused_on_the_field(supervisor, city, client_for):
    response = client_for(supervisor).post(
        reverse("tickets:canned_reply_create"), {"organisation": city.pk, "title": "受理", "body": "{name}您好"}
    )

    assert "body" in response.context["form"].errors
    assert not CannedReply.objects.exists()


def test_canned_reply_preview_fills_sample_values(supervisor, client_for):
    response = client_for(supervisor).post(reverse("tickets:canned_reply_preview"), {"body": "{agent_name}为您服务"})

    assert response.content.decode().strip() == "周主管为您服务"
