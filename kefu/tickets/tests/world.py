"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kefu.core.roles import Role
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import MembershipFactory
from kefu.properties.models import Unit
from kefu.standards.models import RequestKind, Severity
from kefu.tickets.models import AssignmentRule, CannedReply, Channel, TicketImport
from kefu.tickets.services import (
    attachment_add,
    ticket_assign,
    ticket_create,
    ticket_note,
    ticket_pause,
    ticket_reply,
    ticket_resolve,
)
from kefu.tickets.tests.factories import TeamFactory, TicketFactory


def access_objects(city: OrgUnit, **context: Any) -> dict[str, int]:
    """URL kwarg → id of an object owned by `city`, for every kwarg this app's URLs take."""
    agent = MembershipFactory(unit=city, roles=(Role.AGENT,))
    ticket = TicketFactory(actor=agent, customer=CustomerFactory(organisation=city))
    # The staff pages: a photo of the ticket, a team with a rule routing to it, a canned reply.
    photo = attachment_add(actor=agent, ticket=ticket, upload=png_upload())
    team = TeamFactory(organisation=city)
    team.members.add(agent)
    rule = AssignmentRule.objects.create(organisation=city, name="报修分派", kind=RequestKind.REPAIR, team=team)
    reply = CannedReply.objects.create(organisation=city, title="受理回复", body="{customer_name}您好。")
    # The ticket import's result page.
    ticket_import = TicketImport.objects.create(
        organisation=city,
        created_by=agent.user,
        file_name="旧系统工单.xlsx",
        mode=TicketImport.Mode.ALL_OR_NOTHING,
        status=TicketImport.Status.IMPORTED,
    )
    return {
        "ticket_id": ticket.pk,
        "attachment_id": photo.pk,
        "team_id": team.pk,
        "rule_id": rule.pk,
        "reply_id": reply.pk,
        "ticketimport_id": ticket_import.pk,
    }


def api_seed(city: OrgUnit, **context: Any) -> None:
    """Objects that make this app's API answer with real rows under schemathesis."""
    _seed_tickets(city, admin=context["admin"], customer=context["customer"], building=context["building"])


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _seed_tickets(city: OrgUnit, *, admin: Any, customer: Any, building: Any) -> None:
    """Tickets in each state, with history, a photo, a team and a canned reply: generated ids
    1, 2, … then reach tickets that every action can be tried on."""
    agent = MembershipFactory(unit=city, roles=(Role.AGENT,))
    team = TeamFactory(organisation=city)
    team.members.add(agent)
    CannedReply.objects.create(
        organisation=city, title="受理回复", body="{customer_name}您好，工单{ticket_number}已受理。"
    )
    unit = Unit.objects.filter(building=building).first()

    def log(kind: str = RequestKind.COMPLAINT, **extra: Any) -> Any:
        return ticket_create(
            actor=admin,
            customer=customer,
            unit=unit,
            kind=kind,
            channel=Channel.PHONE,
            title="电梯噪音",
            description="业主反映夜间电梯噪音大。",
            **extra,
        )

    new = log(severity=Severity.URGENT)
    ticket_note(actor=admin, ticket=new, body="先电话安抚。")
    attachment_add(actor=admin, ticket=new, upload=png_upload())
    in_progress = log(kind=RequestKind.REPAIR)
    ticket_assign(actor=admin, ticket=in_progress, assignee=agent)
    ticket_reply(actor=admin, ticket=in_progress, body="已安排维修师傅。")
    ticket_pause(actor=admin, ticket=log(team=team), reason="等业主在家")
    ticket_resolve(actor=admin, ticket=log(), resolution="已更换电梯导靴。")
    ticket_resolve(actor=admin, ticket=log(kind=RequestKind.INQUIRY), resolution="已答复。")
