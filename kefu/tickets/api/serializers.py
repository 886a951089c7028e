"""Serializers for the customer voice API.

Input serializers check shape only; the services check the rules (scope, state, who may handle,
what an attachment is). Output serializers read only what the selectors load: a name next to
each id, so a client lists tickets without a second call per row.
"""

from typing import Any

from rest_framework import serializers

from kefu.core.api.filters import MAX_ID
from kefu.core.api.serializers import StrictCharField, StrictIntegerField
from kefu.standards.models import RequestKind, Severity
from kefu.tickets.models import CannedReply, Channel, Team, Ticket, TicketAttachment, TicketEvent
from kefu.tickets.services import RevisitOutcome

TEXT_MAX = 4000
REASON_MAX = 500


def _id(**kwargs: Any) -> serializers.IntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _optional_id(help_text: str) -> serializers.IntegerField:
    return _id(required=False, allow_null=True, default=None, help_text=help_text)


# Inputs


class TicketCreateInputSerializer(serializers.Serializer):
    customer = _id(help_text="The customer who raised the voice.")
    unit = _optional_id("The property unit (房号) it concerns; the ticket then belongs to the unit's project.")
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = _optional_id("A request category of the kind, used by the ticket's unit.")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.NORMAL)
    title = StrictCharField(max_length=Ticket._meta.get_field("title").max_length)
    description = StrictCharField(max_length=TEXT_MAX, help_text="What the customer said.")
    received_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the voice came in; now when left out."
    )
    assignee = _optional_id("The staff member to handle it; else the assignment rules decide.")
    team = _optional_id("The team to handle it; with no assignee the team's hand-out picks one.")


class TicketAssignInputSerializer(serializers.Serializer):
    assignee = _optional_id("The staff member to handle the ticket.")
    team = _optional_id("The team; without an assignee the team's hand-out picks one.")


class TicketTransferInputSerializer(TicketAssignInputSerializer):
    reason = StrictCharField(max_length=REASON_MAX, help_text="Why the ticket changes hands.")


class TicketReplyInputSerializer(serializers.Serializer):
    body = StrictCharField(max_length=TEXT_MAX, help_text="What the customer is told.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, default=Channel.PHONE, help_text="How the reply reaches them."
    )


class TicketNoteInputSerializer(serializers.Serializer):
    body = StrictCharField(max_length=TEXT_MAX, help_text="Staff only; never shown to the customer.")


class TicketPauseInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=REASON_MAX, help_text="What the customer is to do.")


class TicketResolveInputSerializer(serializers.Serializer):
    resolution = StrictCharField(max_length=TEXT_MAX, help_text="The measures taken.")


class TicketRevisitInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Channel.choices, help_text="How the customer was revisited.")
    outcome = serializers.ChoiceField(choices=[(value, value) for value in RevisitOutcome.CHOICES])
    satisfaction = StrictIntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        default=None,
        help_text="1 to 5; required unless the customer was not reached.",
    )
    note = StrictCharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")


class TicketReasonInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=REASON_MAX)


class TicketMergeInputSerializer(serializers.Serializer):
    target = _id(help_text="The ticket that carries the work; this one, the duplicate, is filed under it.")


class TicketUpdateInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=Ticket._meta.get_field("title").max_length)
    severity = serializers.ChoiceField(choices=Severity.choices)
    category = _optional_id("A request category of the ticket's kind; null for none.")
    unit = _optional_id("The unit it concerns; null for none.")


class TicketSplitInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=Ticket._meta.get_field("title").max_length)
    description = StrictCharField(max_length=TEXT_MAX)
    kind = serializers.ChoiceField(
        choices=RequestKind.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="The original's if left out.",
    )
    category = _optional_id("A request category of the new ticket's kind.")


class AttachmentUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        max_length=TicketAttachment._meta.get_field("original_name").max_length,
        help_text="A photo: JPEG, PNG, WebP or GIF, at most KEFU_ATTACHMENT_MAX_BYTES.",
    )


# Outputs


class TicketListOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.tickets.selectors.ticket_list.
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    unit_label = serializers.CharField(source="unit.label", read_only=True, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True)
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True)
    assignee_name = serializers.CharField(source="assignee.name", read_only=True, allow_null=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    first_responder_name = serializers.CharField(source="first_responder.name", read_only=True, default="")
    is_breached = serializers.BooleanField(read_only=True, help_text="A time promise was broken.")
    is_paused = serializers.BooleanField(read_only=True, help_text="The clocks wait for the customer.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "organisation",
            "kind",
            "channel",
            "severity",
            "status",
            "title",
            "customer",
            "customer_name",
            "unit",
            "unit_label",
            "project",
            "project_name",
            "category",
            "category_name",
            "first_responder",
            "first_responder_name",
            "assignee",
            "assignee_name",
            "team",
            "team_name",
            "received_at",
            "first_response_due_at",
            "resolution_due_at",
            "is_breached",
            "is_paused",
            "escalation_level",
            "satisfaction",
        ]


class TicketOutputSerializer(TicketListOutputSerializer):
    # Loaded by kefu.tickets.selectors.ticket_get.
    sla_policy_name = serializers.CharField(
        source="sla_policy.name", read_only=True, allow_null=True, help_text="The service standard promised."
    )
    merged_into_number = serializers.CharField(source="merged_into.number", read_only=True, allow_null=True)
    split_from_number = serializers.CharField(source="split_from.number", read_only=True, allow_null=True)

    class Meta(TicketListOutputSerializer.Meta):
        fields = [
            *TicketListOutputSerializer.Meta.fields,
            "description",
            "sla_policy",
            "sla_policy_name",
            "sla_reason",
            "time_basis",
            "first_responded_at",
            "first_response_breached_at",
            "resolution_warn_at",
            "resolution_breached_at",
            "paused_at",
            "first_response_remaining",
            "resolution_remaining",
            "escalated_at",
            "head_escalation_due_at",
            "resolved_at",
            "resolution",
            "revisit_due_at",
            "revisited_at",
            "closed_at",
            "reopen_count",
            "merged_into",
            "merged_into_number",
            "split_from",
            "split_from_number",
            "created_at",
            "updated_at",
        ]


class TicketEventOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.tickets.selectors.ticket_events.
    actor_name = serializers.CharField(
        source="actor.name", read_only=True, allow_null=True, help_text="The staff member; null for the system."
    )
    data = serializers.JSONField(read_only=True, help_text="Details of the event, by kind.")

    class Meta:
        model = TicketEvent
        fields = ["id", "ticket", "kind", "actor", "actor_name", "body", "data", "created_at"]


class AttachmentOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.tickets.selectors.ticket_attachments.
    uploaded_by_name = serializers.CharField(source="uploaded_by.membership.name", read_only=True, allow_null=True)

    class Meta:
        model = TicketAttachment
        fields = [
            "id",
            "ticket",
            "original_name",
            "content_type",
            "size",
            "width",
            "height",
            "uploaded_by_name",
            "created_at",
        ]


class TeamMemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.tickets.selectors.team_list.
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    members = TeamMemberOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "organisation", "organisation_name", "name", "strategy", "is_active", "members"]


class CannedReplyOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.tickets.selectors.canned_reply_list and canned_replies_for.
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True)

    class Meta:
        model = CannedReply
        fields = ["id", "organisation", "title", "kind", "category", "category_name", "body", "is_active"]
