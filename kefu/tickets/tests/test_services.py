from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.customers.models import Customer, TimelineEntry
from kefu.customers.tests.factories import CustomerFactory
from kefu.standards.models import Severity
from kefu.standards.tests.factories import SlaPolicyFactory
from kefu.tickets.errors import AssigneeOutOfScope, TicketClosed
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.scan import sla_scan
from kefu.tickets.services import (
    RevisitOutcome,
    ticket_assign,
    ticket_create,
    ticket_merge,
    ticket_pause,
    ticket_reply,
    ticket_resolve,
    ticket_resume,
    ticket_revisit,
    ticket_transfer,
)
from kefu.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def vip_customer(agent):
    customer = CustomerFactory(organisation=agent.unit)
    Customer.objects.filter(pk=customer.pk).update(grade="vip")
    customer.refresh_from_db()
    return customer


@pytest.fixture
def vip_policy(group):
    return SlaPolicyFactory(
        organisation=group,
        name="VIP 投诉",
        grade="vip",
        kind="complaint",
        first_response_time=timedelta(hours=1),
        resolution_time=timedelta(hours=8),
    )


def test_ticket_create_makes_the_logger_first_responder_and_sets_clocks(agent, vip_policy):
    customer = vip_customer(agent)

    with time_machine.travel(at(2025, 9, 30, 17, 50), tick=False):
        ticket = ticket_create(
            actor=agent, customer=customer, kind="complaint", channel="phone", title="噪音", description="电梯噪音"
        )

    assert ticket.first_responder == agent
    assert ticket.sla_policy == vip_policy
    assert ticket.resolution_due_at == at(2025, 10, 10, 9, 20)
    assert ticket.first_response_due_at == at(2025, 10, 9, 9, 50)
    assert ticket.number.startswith("KS20250930")
    assert TimelineEntry.objects.filter(customer=customer, kind="tickets.created").count() == 1


def test_ticket_create_numbers_are_sequential_within_a_day(agent):
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        first = TicketFactory(actor=agent)
        second = TicketFactory(actor=agent)

    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_ticket_create_refused_to_contractor(city, make_staff):
    contractor = make_staff(city, Role.CONTRACTOR)

    with pytest.raises(Forbidden):
        TicketFactory(actor=contractor, customer=CustomerFactory(organisation=city))


def test_ticket_assign_rejects_assignee_outside_the_unit(agent, outsider):
    ticket = TicketFactory(actor=agent)

    with pytest.raises(AssigneeOutOfScope):
        ticket_assign(actor=agent, ticket=ticket, assignee=outsider)

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_ticket_transfer_keeps_the_first_responder(agent, city, make_staff):
    colleague = make_staff(city, Role.AGENT)
    ticket = TicketFactory(actor=agent)

    ticket_transfer(actor=agent, ticket=ticket, assignee=colleague, reason="工程问题")

    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert ticket.first_responder == agent
    assert ticket.events.filter(kind=TicketEvent.Kind.TRANSFERRED, body="工程问题").exists()


def test_ticket_reply_rejects_closed_ticket(agent):
    ticket = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=ticket, resolution="已答复")

    with pytest.raises(TicketClosed):
        ticket_reply(actor=agent, ticket=ticket, body="再说一句")

    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_pause_stops_the_clock_and_resume_moves_due_time(agent, vip_policy):
    customer = vip_customer(agent)
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=customer)
    with time_machine.travel(at(2025, 3, 4, 10, 0), tick=False):
        ticket_pause(actor=agent, ticket=ticket, reason="等业主在家")

    with time_machine.travel(at(2025, 3, 5, 10, 0), tick=False):
        ticket_resume(actor=agent, ticket=ticket)

    ticket.refresh_from_db()
    # 8 business hours from Tue 09:00, one used before the pause: 6.5 h on Wed from 10:00 → Thu 09:30.
    assert ticket.resolution_due_at == at(2025, 3, 6, 9, 30)


def test_scan_breaches_at_due_time_and_escalates_once(agent, city, make_staff, vip_policy):
    supervisor = make_staff(city, Role.SUPERVISOR)
    customer = vip_customer(agent)
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=customer)

    first = sla_scan(now=at(2025, 3, 5, 12, 0))
    second = sla_scan(now=at(2025, 3, 5, 12, 5))

    ticket.refresh_from_db()
    assert ticket.resolution_breached_at == ticket.resolution_due_at
    assert ticket.escalation_level == 1
    assert first.resolution_breached == 1
    assert second.resolution_breached == 0
    escalations = ticket.events.filter(kind=TicketEvent.Kind.ESCALATED)
    assert escalations.count() == 1
    assert escalations.get().data["to"] == [supervisor.pk]


def test_scan_skips_closed_and_paused_tickets(agent, vip_policy):
    customer = vip_customer(agent)
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        closed = TicketFactory(actor=agent, customer=customer, kind="complaint")
        ticket_resolve(actor=agent, ticket=closed, resolution="处理完")
        paused = TicketFactory(actor=agent, customer=customer)
        ticket_pause(actor=agent, ticket=paused, reason="等业主")

    result = sla_scan(now=at(2025, 3, 10, 12, 0))

    assert result.resolution_breached == 0
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED).exists()


def test_revisit_not_satisfied_reopens(agent):
    ticket = TicketFactory(actor=agent)
    ticket_resolve(actor=agent, ticket=ticket, resolution="已维修")

    ticket_revisit(actor=agent, ticket=ticket, method="phone", outcome=RevisitOutcome.DISSATISFIED, satisfaction=2)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.reopen_count == 1
    assert ticket.satisfaction == 2


def test_merge_closes_the_duplicate(agent):
    a = TicketFactory(actor=agent)
    b = TicketFactory(actor=agent, customer=a.customer)

    ticket_merge(actor=agent, source=b, target=a)

    b.refresh_from_db()
    assert b.status == Ticket.Status.MERGED
    assert b.merged_into == a


def test_group_complaint_severity_is_validated(agent):
    with pytest.raises(InvalidInput):
        TicketFactory(actor=agent, severity="huge")

    assert Severity.GROUP == "group"


def _png(size: tuple[int, int] = (4, 4)) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_attachment_add_keeps_a_real_photo(agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.tickets.services import attachment_add

    ticket = TicketFactory(actor=agent)

    attachment = attachment_add(
        actor=agent, ticket=ticket, upload=SimpleUploadedFile("裂缝.png", _png(), content_type="image/png")
    )

    assert (attachment.content_type, attachment.width, attachment.original_name) == ("image/png", 4, "裂缝.png")
    assert ticket.events.filter(kind=TicketEvent.Kind.ATTACHMENT).count() == 1


def test_attachment_add_rejects_a_file_that_is_not_an_image(agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.tickets.errors import InvalidAttachment
    from kefu.tickets.services import attachment_add

    ticket = TicketFactory(actor=agent)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")

    with pytest.raises(InvalidAttachment) as error:
        attachment_add(actor=agent, ticket=ticket, upload=fake)

    assert error.value.field == "attachments"
    assert not ticket.attachments.exists()


def test_attachment_add_rejects_a_file_that_is_too_large(agent, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.tickets.errors import InvalidAttachment
    from kefu.tickets.services import attachment_add

    settings.KEFU_ATTACHMENT_MAX_BYTES = 50
    ticket = TicketFactory(actor=agent)

    with pytest.raises(InvalidAttachment):
        attachment_add(actor=agent, ticket=ticket, upload=SimpleUploadedFile("big.png", _png((64, 64))))

    assert not ticket.attachments.exists()


def test_ticket_create_with_a_bad_photo_rolls_back_the_ticket(agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.tickets.errors import InvalidAttachment

    customer = CustomerFactory(organisation=agent.unit)

    with pytest.raises(InvalidAttachment):
        ticket_create(
            actor=agent,
            customer=customer,
            kind="repair",
            channel="phone",
            title="渗水",
            description="卫生间渗水",
            attachments=[SimpleUploadedFile("x.gif", b"GIF89a broken")],
        )

    assert not Ticket.objects.exists()


def test_reply_after_the_first_response_due_time_records_the_breach_at_the_due_time(agent, vip_policy):
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=vip_customer(agent))
    with time_machine.travel(at(2025, 3, 4, 11, 0), tick=False):
        ticket_reply(actor=agent, ticket=ticket, body="您好")

    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == at(2025, 3, 4, 10, 0)
    assert ticket.first_responded_at == at(2025, 3, 4, 11, 0)


def test_first_reply_in_time_answers_the_promise_without_breach(agent, vip_policy):
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=vip_customer(agent))
        ticket_reply(actor=agent, ticket=ticket, body="您好")

    result = sla_scan(now=at(2025, 3, 4, 10, 30))

    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None
    assert result.first_response_breached == 0


def test_raising_severity_rematches_the_policy(agent, vip_policy, group):
    from kefu.tickets.services import ticket_update

    urgent = SlaPolicyFactory(
        organisation=group,
        name="群诉",
        severity="group",
        first_response_time=timedelta(minutes=30),
        resolution_time=timedelta(hours=4),
        time_basis="calendar",
    )
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=vip_customer(agent))
        ticket_update(actor=agent, ticket=ticket, title=ticket.title, category=None, severity="group", unit=None)

    ticket.refresh_from_db()
    assert ticket.sla_policy == urgent
    assert ticket.resolution_due_at == at(2025, 3, 4, 13, 0)


def test_ticket_close_of_a_complaint_needs_a_supervisor(agent, city, make_staff):
    from kefu.tickets.services import ticket_close

    supervisor = make_staff(city, Role.SUPERVISOR)
    ticket = TicketFactory(actor=agent, kind="complaint")

    with pytest.raises(InvalidInput):
        ticket_close(actor=agent, ticket=ticket, reason="重复")
    ticket_close(actor=supervisor, ticket=ticket, reason="业主撤回投诉")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_revisit_satisfied_closes_and_keeps_the_score(agent):
    ticket = TicketFactory(actor=agent, kind="repair")
    ticket_resolve(actor=agent, ticket=ticket, resolution="已更换")

    ticket_revisit(actor=agent, ticket=ticket, method="phone", outcome=RevisitOutcome.SATISFIED, satisfaction=5)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.satisfaction) == (Ticket.Status.CLOSED, 5)


def test_revisit_unreachable_keeps_the_revisit_due(agent):
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, kind="repair")
        ticket_resolve(actor=agent, ticket=ticket, resolution="已更换")
    with time_machine.travel(at(2025, 3, 5, 10, 0), tick=False):
        ticket_revisit(actor=agent, ticket=ticket, method="phone", outcome=RevisitOutcome.UNREACHABLE)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.revisit_due_at == at(2025, 3, 6, 10, 30)


def test_revisit_requires_a_score_unless_unreachable(agent):
    ticket = TicketFactory(actor=agent, kind="repair")
    ticket_resolve(actor=agent, ticket=ticket, resolution="已更换")

    with pytest.raises(InvalidInput) as error:
        ticket_revisit(actor=agent, ticket=ticket, method="phone", outcome=RevisitOutcome.SATISFIED)

    assert error.value.field == "satisfaction"


def test_split_keeps_customer_received_time_and_first_responder(agent, city, make_staff):
    from kefu.tickets.services import ticket_split

    colleague = make_staff(city, Role.SUPERVISOR)
    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, kind="complaint")
    with time_machine.travel(at(2025, 3, 4, 11, 0), tick=False):
        child = ticket_split(actor=colleague, ticket=ticket, title="另有漏水", description="阳台漏水", kind="repair")

    assert (child.customer, child.received_at, child.first_responder) == (ticket.customer, ticket.received_at, agent)
    assert child.split_from == ticket
    assert ticket.events.filter(kind=TicketEvent.Kind.SPLIT).exists()


def test_merge_into_a_closed_ticket_is_refused(agent):
    a = TicketFactory(actor=agent, kind="inquiry")
    ticket_resolve(actor=agent, ticket=a, resolution="已答复")
    b = TicketFactory(actor=agent, customer=a.customer)

    with pytest.raises(TicketClosed):
        ticket_merge(actor=agent, source=b, target=a)

    b.refresh_from_db()
    assert b.status == Ticket.Status.NEW


def test_same_client_key_never_makes_a_second_ticket(agent):
    from kefu.tickets.errors import DuplicateClientKey

    customer = CustomerFactory(organisation=agent.unit)
    TicketFactory(actor=agent, customer=customer, client_key="k-1")

    with pytest.raises(DuplicateClientKey):
        TicketFactory(actor=agent, customer=customer, client_key="k-1")

    assert Ticket.objects.count() == 1


def test_ticket_for_a_customer_of_another_unit_is_refused(agent, other_city):
    stranger = CustomerFactory(organisation=other_city)

    with pytest.raises(Forbidden):
        TicketFactory(actor=agent, customer=stranger)

    assert not Ticket.objects.exists()


def test_reopen_restarts_the_resolution_promise(agent, vip_policy):
    from kefu.tickets.services import ticket_reopen

    with time_machine.travel(at(2025, 3, 4, 9, 0), tick=False):
        ticket = TicketFactory(actor=agent, customer=vip_customer(agent), kind="inquiry")
        ticket_resolve(actor=agent, ticket=ticket, resolution="已答复")
    with time_machine.travel(at(2025, 3, 6, 9, 0), tick=False):
        ticket_reopen(actor=agent, ticket=ticket, reason="业主仍有疑问")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.reopen_count == 1


def test_history_is_written_in_the_organisations_language_whoever_acts(agent):
    from django.utils import translation

    with translation.override("en"):
        ticket = TicketFactory(actor=agent, kind="repair")

    entry = TimelineEntry.objects.get(customer=ticket.customer, kind="tickets.created")
    assert entry.summary.startswith("受理报修")
