"""The customer voice API: scoped reads through the selectors, writes through the services.

Every ticket in a URL is looked up in the caller's scope first, so another unit's ticket is the
same 404 as a missing one whatever the body says; ids in bodies that are not in scope are a 400
on that field.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.core.api.filters import FilterSerializer, id_filter, parse_filters
from kefu.core.api.pagination import KeysetPagination
from kefu.core.api.serializers import ERROR_RESPONSES, ErrorSerializer
from kefu.core.api.views import (
    ListApi,
    idempotency_key,
    idempotency_key_parameter,
    resolve_or_field_error,
    valid_body,
    viewer_of,
)
from kefu.customers.selectors import customer_get
from kefu.orgs.models import Membership
from kefu.orgs.selectors import staff_get
from kefu.properties.selectors import unit_get
from kefu.standards.models import RequestKind, Severity
from kefu.tickets import selectors, services
from kefu.tickets.api.serializers import (
    AttachmentOutputSerializer,
    AttachmentUploadInputSerializer,
    CannedReplyOutputSerializer,
    TeamOutputSerializer,
    TicketAssignInputSerializer,
    TicketCreateInputSerializer,
    TicketEventOutputSerializer,
    TicketListOutputSerializer,
    TicketMergeInputSerializer,
    TicketNoteInputSerializer,
    TicketOutputSerializer,
    TicketPauseInputSerializer,
    TicketReasonInputSerializer,
    TicketReplyInputSerializer,
    TicketResolveInputSerializer,
    TicketRevisitInputSerializer,
    TicketSplitInputSerializer,
    TicketTransferInputSerializer,
    TicketUpdateInputSerializer,
)
from kefu.tickets.errors import DuplicateClientKey, InvalidAttachment
from kefu.tickets.models import Channel, Ticket

WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorSerializer}
TAGS = ["tickets"]
IDEMPOTENCY_KEY_MAX = Ticket._meta.get_field("client_key").max_length
IDEMPOTENCY_KEY = idempotency_key_parameter(max_length=IDEMPOTENCY_KEY_MAX, noun="ticket")


class TicketFilters(FilterSerializer):
    status = serializers.ChoiceField(
        choices=[(selectors.STATUS_OPEN, _("Open: new, in progress or waiting")), *Ticket.Status.choices],
        required=False,
        allow_blank=True,
        help_text='A status, or "open" for new, in progress and waiting together.',
    )
    kind = serializers.ChoiceField(choices=RequestKind.choices, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    customer = id_filter()
    project = id_filter()
    assignee = id_filter(help_text="Tickets this staff member handles.")
    team = id_filter()
    mine = serializers.BooleanField(required=False, help_text="Tickets the caller handles or first responded to.")
    breached = serializers.BooleanField(required=False, help_text="A time promise is broken.")
    due_soon = serializers.BooleanField(required=False, help_text="Open, and resolution falls due within 2 hours.")
    received_from = serializers.DateTimeField(required=False, help_text="Received at or after this time.")
    received_to = serializers.DateTimeField(required=False, help_text="Received before this time.")
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A ticket number (KS…), words of the subject, or a customer (name, pinyin, mobile, unit).",
    )


class CannedReplyFilters(FilterSerializer):
    ticket = id_filter(help_text="Only the replies offered on this ticket (its unit's and those above it).")


class TicketPagination(KeysetPagination):
    """Newest received first, as the queue shows it."""

    ordering = ("-received_at", "-id")


class HistoryPagination(KeysetPagination):
    """Oldest first: a ticket's history reads as it happened."""

    ordering = ("created_at", "id")


def _ticket(request: Request, ticket_id: int) -> Ticket:
    return selectors.ticket_get(viewer=viewer_of(request), ticket_id=ticket_id)


def _ticket_response(request: Request, ticket: Ticket, status: int = 200) -> Response:
    return Response(TicketOutputSerializer(_ticket(request, ticket.pk)).data, status=status)


def _handlers(viewer: Membership, fields: dict[str, Any]) -> dict[str, Any]:
    """The assignee and team ids of a body, resolved in the caller's scope."""
    assignee_id, team_id = fields.pop("assignee"), fields.pop("team")
    assignee = (
        resolve_or_field_error("assignee", lambda: staff_get(viewer=viewer, membership_id=assignee_id))
        if assignee_id is not None
        else None
    )
    team = (
        resolve_or_field_error("team", lambda: selectors.team_choice_get(viewer=viewer, team_id=team_id))
        if team_id is not None
        else None
    )
    return {"assignee": assignee, "team": team}


def _category(viewer: Membership, category_id: int | None) -> Any:
    if category_id is None:
        return None
    return resolve_or_field_error(
        "category", lambda: selectors.category_choice_get(viewer=viewer, category_id=category_id)
    )


def _asks_for(ticket: Ticket, body: dict[str, Any]) -> bool:
    """Does a create body ask for the ticket that its Idempotency-Key already logged?"""
    logged = {
        "customer": ticket.customer_id,
        "unit": ticket.unit_id,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "category": ticket.category_id,
        "severity": ticket.severity,
        "title": ticket.title,
        "description": ticket.description,
        "received_at": ticket.received_at,
        "assignee": ticket.assignee_id,
        "team": ticket.team_id,
    }
    # Left out, these were filled in when the ticket was logged (now, the assignment rules).
    optional = {"received_at", "assignee", "team"}
    return all(body[name] == value for name, value in logged.items() if not (name in optional and body[name] is None))


def _replay(request: Request, ticket: Ticket, body: dict[str, Any]) -> Response:
    if not _asks_for(ticket, body):
        raise DuplicateClientKey()
    return _ticket_response(request, ticket)


class TicketListApi(ListApi):
    pagination_class = TicketPagination

    @extend_schema(
        operation_id="ticket_list",
        parameters=[TicketFilters],
        responses={200: TicketListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(
            TicketFilters,
            request,
            customer="customer_id",
            project="project_id",
            assignee="assignee_id",
            team="team_id",
        )
        tickets = selectors.ticket_list(viewer=viewer_of(request), **filters)
        return self.paginated(tickets, TicketListOutputSerializer)

    @extend_schema(
        operation_id="ticket_create",
        parameters=[IDEMPOTENCY_KEY],
        request=TicketCreateInputSerializer,
        responses={200: TicketOutputSerializer, 201: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Log a customer voice; the caller becomes its first responder (首问负责人). The service "
        "standard is matched and the clocks are set. Without an assignee or team, the assignment rules route it.",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        key = idempotency_key(request, max_length=IDEMPOTENCY_KEY_MAX)
        body = valid_body(TicketCreateInputSerializer, request)
        fields = dict(body)
        customer_id, unit_id = fields.pop("customer"), fields.pop("unit")
        fields["customer"] = resolve_or_field_error(
            "customer", lambda: customer_get(viewer=viewer, customer_id=customer_id)
        )
        fields["unit"] = (
            resolve_or_field_error("unit", lambda: unit_get(viewer=viewer, unit_id=unit_id))
            if unit_id is not None
            else None
        )
        fields["category"] = _category(viewer, fields.pop("category"))
        fields |= _handlers(viewer, fields)
        logged = selectors.ticket_for_client_key(viewer=viewer, client_key=key)
        if logged is not None:
            return _replay(request, logged, body)
        try:
            ticket = services.ticket_create(actor=viewer, client_key=key, **fields)
        except DuplicateClientKey:
            # Another request with the key won the race; it logged the ticket this one asks for.
            logged = selectors.ticket_for_client_key(viewer=viewer, client_key=key)
            if logged is None:
                raise
            return _replay(request, logged, body)
        return _ticket_response(request, ticket, status=201)


class TicketDetailApi(APIView):
    @extend_schema(
        operation_id="ticket_retrieve",
        responses={200: TicketOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="A ticket with its service standard (why it applies), due, breach and pause times, "
        "escalation level, first responder, handler, team and satisfaction.",
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        return Response(TicketOutputSerializer(_ticket(request, ticket_id)).data)


class TicketAssignApi(APIView):
    @extend_schema(
        operation_id="ticket_assign",
        request=TicketAssignInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Give the ticket to a staff member or a team (whose hand-out then picks one).",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = _ticket(request, ticket_id)
        handlers = _handlers(viewer, valid_body(TicketAssignInputSerializer, request))
        ticket = services.ticket_assign(actor=viewer, ticket=ticket, **handlers)
        return _ticket_response(request, ticket)


class TicketTransferApi(APIView):
    @extend_schema(
        operation_id="ticket_transfer",
        request=TicketTransferInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Hand the work to someone else, with the reason; the first responder stays accountable.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = _ticket(request, ticket_id)
        fields = valid_body(TicketTransferInputSerializer, request)
        fields |= _handlers(viewer, fields)
        ticket = services.ticket_transfer(actor=viewer, ticket=ticket, **fields)
        return _ticket_response(request, ticket)


class TicketReplyApi(APIView):
    @extend_schema(
        operation_id="ticket_reply",
        request=TicketReplyInputSerializer,
        responses={201: TicketEventOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Record a reply to the customer; the first one answers the first-response promise.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        event = services.ticket_reply(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketReplyInputSerializer, request)
        )
        return Response(TicketEventOutputSerializer(event).data, status=201)


class TicketNoteApi(APIView):
    @extend_schema(
        operation_id="ticket_note",
        request=TicketNoteInputSerializer,
        responses={201: TicketEventOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="An internal note: staff only, never shown to the customer.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        event = services.ticket_note(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketNoteInputSerializer, request)
        )
        return Response(TicketEventOutputSerializer(event).data, status=201)


class TicketPauseApi(APIView):
    @extend_schema(
        operation_id="ticket_pause",
        request=TicketPauseInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Stop the clocks while waiting for the customer.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_pause(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketPauseInputSerializer, request)
        )
        return _ticket_response(request, ticket)


class TicketResumeApi(APIView):
    @extend_schema(
        operation_id="ticket_resume",
        request=None,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Start the clocks again; the due times move by the time spent waiting.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_resume(actor=viewer_of(request), ticket=ticket)
        return _ticket_response(request, ticket)


class TicketResolveApi(APIView):
    @extend_schema(
        operation_id="ticket_resolve",
        request=TicketResolveInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="The work is done: complaints and repairs fall due for a revisit, the other kinds close.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_resolve(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketResolveInputSerializer, request)
        )
        return _ticket_response(request, ticket)


class TicketRevisitApi(APIView):
    @extend_schema(
        operation_id="ticket_revisit",
        request=TicketRevisitInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Record the revisit (回访): satisfied closes the ticket, not satisfied reopens it, "
        "unreachable sets the next attempt.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_revisit(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketRevisitInputSerializer, request)
        )
        return _ticket_response(request, ticket)


class TicketCloseApi(APIView):
    @extend_schema(
        operation_id="ticket_close",
        request=TicketReasonInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Close without a revisit; complaints and repairs only by a supervisor.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_close(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketReasonInputSerializer, request)
        )
        return _ticket_response(request, ticket)


class TicketReopenApi(APIView):
    @extend_schema(
        operation_id="ticket_reopen",
        request=TicketReasonInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Reopen a resolved or closed ticket; the clocks start again.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        ticket = services.ticket_reopen(
            actor=viewer_of(request), ticket=ticket, **valid_body(TicketReasonInputSerializer, request)
        )
        return _ticket_response(request, ticket)


class TicketMergeApi(APIView):
    @extend_schema(
        operation_id="ticket_merge",
        request=TicketMergeInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="File this ticket, a duplicate, under `target`: its clocks stop and it is marked merged. "
        "Answers with the target.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        viewer = viewer_of(request)
        source = _ticket(request, ticket_id)
        target_id = valid_body(TicketMergeInputSerializer, request)["target"]
        target = resolve_or_field_error("target", lambda: selectors.ticket_get(viewer=viewer, ticket_id=target_id))
        target = services.ticket_merge(actor=viewer, source=source, target=target)
        return _ticket_response(request, target)


class TicketUpdateApi(APIView):
    @extend_schema(
        operation_id="ticket_update",
        request=TicketUpdateInputSerializer,
        responses={200: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Correct the subject, category, severity or unit. A new severity or category "
        "re-reads the service standard and the due times, counted from the time received.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = _ticket(request, ticket_id)
        fields = valid_body(TicketUpdateInputSerializer, request)
        fields["category"] = _category(viewer, fields.pop("category"))
        unit_id = fields.pop("unit")
        fields["unit"] = (
            resolve_or_field_error("unit", lambda: unit_get(viewer=viewer, unit_id=unit_id))
            if unit_id is not None
            else None
        )
        ticket = services.ticket_update(actor=viewer, ticket=ticket, **fields)
        return _ticket_response(request, ticket)


class TicketSplitApi(APIView):
    @extend_schema(
        operation_id="ticket_split",
        request=TicketSplitInputSerializer,
        responses={201: TicketOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Take one matter out of this ticket into a new one with the same customer, place, "
        "received time and first responder. Answers with the new ticket.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        viewer = viewer_of(request)
        ticket = _ticket(request, ticket_id)
        fields = valid_body(TicketSplitInputSerializer, request)
        fields["category"] = _category(viewer, fields.pop("category"))
        child = services.ticket_split(actor=viewer, ticket=ticket, **fields)
        return _ticket_response(request, child, status=201)


class TicketEventsApi(ListApi):
    pagination_class = HistoryPagination

    @extend_schema(
        operation_id="ticket_event_list",
        responses={200: TicketEventOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="The ticket's full history, oldest first: who did what and when.",
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        events = selectors.ticket_events(viewer=viewer_of(request), ticket=ticket)
        return self.paginated(events, TicketEventOutputSerializer)


class TicketAttachmentsApi(ListApi):
    pagination_class = HistoryPagination
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="ticket_attachment_list",
        responses={200: AttachmentOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        attachments = selectors.ticket_attachments(viewer=viewer_of(request), ticket=ticket)
        return self.paginated(attachments, AttachmentOutputSerializer)

    @extend_schema(
        operation_id="ticket_attachment_upload",
        request={"multipart/form-data": AttachmentUploadInputSerializer},
        responses={201: AttachmentOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Add a photo. Anything but a JPEG, PNG, WebP or GIF image, or a file over the size "
        "limit, is a 400 on `file`.",
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = _ticket(request, ticket_id)
        upload = valid_body(AttachmentUploadInputSerializer, request)["file"]
        try:
            attachment = services.attachment_add(actor=viewer_of(request), ticket=ticket, upload=upload)
        except InvalidAttachment as exc:
            # The service names the field of its own forms; this endpoint's field is `file`.
            raise InvalidAttachment(exc.message, field="file") from exc
        return Response(AttachmentOutputSerializer(attachment).data, status=201)


class TeamListApi(ListApi):
    @extend_schema(
        operation_id="team_list",
        responses={200: TeamOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Teams of the caller's unit and below, with their members.",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.team_list(viewer=viewer_of(request)), TeamOutputSerializer)


class CannedReplyListApi(ListApi):
    @extend_schema(
        operation_id="cannedreply_list",
        parameters=[CannedReplyFilters],
        responses={200: CannedReplyOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Canned replies (常用回复) of the caller's unit and below; with `ticket`, the active "
        "ones offered on that ticket, including those its unit inherits.",
    )
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request)
        ticket_id = parse_filters(CannedReplyFilters, request).get("ticket")
        if ticket_id is None:
            replies = selectors.canned_reply_list(viewer=viewer)
        else:
            ticket = resolve_or_field_error("ticket", lambda: selectors.ticket_get(viewer=viewer, ticket_id=ticket_id))
            replies = selectors.canned_replies_for(viewer=viewer, ticket=ticket)
        return self.paginated(replies, CannedReplyOutputSerializer)
