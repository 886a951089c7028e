"""Serializers for the commissions API.

Input serializers check shape only; kefu.engagements.services checks the rules (order of nodes,
dates against the start, who may work on a commission). Output serializers read only what the
selectors load.
"""

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kefu.core.api.filters import MAX_ID
from kefu.core.api.serializers import StrictBooleanField, StrictCharField, StrictDecimalField, StrictIntegerField
from kefu.engagements.models import (
    ASPECT_CODES,
    Commission,
    CommissionType,
    Deliverable,
    Evaluation,
    FollowUpTask,
    FollowUpTemplate,
    Node,
    NodeTemplate,
    Owner,
    PlanChange,
    Risk,
)
from kefu.surveys.models import Invitation

TEXT_MAX = 4000
REASON_MAX = 500
# Dates outside these years are typing mistakes; refusing them keeps date arithmetic in range.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _id(**kwargs: Any) -> serializers.IntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _optional_id(help_text: str) -> serializers.IntegerField:
    return _id(required=False, allow_null=True, default=None, help_text=help_text)


def _in_range(value: date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise serializers.ValidationError(_("Enter a date between 2000 and 2099."))


def _day(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(validators=[_in_range], **kwargs)


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return StrictCharField(max_length=max_length, **kwargs)


def _blank_text(max_length: int, help_text: str = "") -> serializers.CharField:
    return StrictCharField(max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text)


def _fee(**kwargs: Any) -> serializers.DecimalField:
    return StrictDecimalField(max_digits=12, decimal_places=2, min_value=0, allow_null=True, **kwargs)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Commission types -----------------------------------------------------------------------------------


class NodeTemplateSerializer(serializers.ModelSerializer):
    name = _text(60)
    offset_days = StrictIntegerField(min_value=0, max_value=3650, help_text="Planned this many days after the start.")
    standard = _blank_text(TEXT_MAX, "What must be done at this node.")
    owner = serializers.ChoiceField(choices=Owner.choices, required=False, default=Owner.MANAGER)
    push_text = _blank_text(200, "What the client is told when the node is reached.")
    client_action = _blank_text(200, "What the client must provide or do.")
    aspects = serializers.ListField(
        child=serializers.ChoiceField(choices=[(code, code) for code in ASPECT_CODES]),
        required=False,
        default=list,
        max_length=len(ASPECT_CODES),
        help_text="The 3-PRO aspects the client rates when the node is done.",
    )

    class Meta:
        model = NodeTemplate
        fields = ["name", "offset_days", "standard", "owner", "push_text", "client_action", "aspects"]


class FollowUpTemplateSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=FollowUpTemplate.Kind.choices)
    days_after = StrictIntegerField(min_value=0, max_value=3650, help_text="Due this many days after delivery.")
    title = _text(100)
    instructions = _blank_text(TEXT_MAX)

    class Meta:
        model = FollowUpTemplate
        fields = ["kind", "days_after", "title", "instructions"]


class CommissionTypeInputSerializer(serializers.Serializer):
    name = _text(60)
    description = _blank_text(TEXT_MAX)
    strict_order = StrictBooleanField(
        required=False, default=True, help_text="The nodes must be completed in their order."
    )
    nodes = NodeTemplateSerializer(many=True, min_length=1, max_length=30, help_text="In the order they fall due.")
    follow_ups = FollowUpTemplateSerializer(many=True, required=False, default=list, max_length=30)


class CommissionTypeUpdateInputSerializer(CommissionTypeInputSerializer):
    is_active = StrictBooleanField(required=False, default=True, help_text="False archives the type.")


class CommissionTypeListOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.engagements.selectors.commission_type_list.
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    node_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CommissionType
        fields = [
            "id",
            "name",
            "description",
            "strict_order",
            "is_active",
            "organisation",
            "organisation_name",
            "node_count",
        ]


class CommissionTypeOutputSerializer(CommissionTypeListOutputSerializer):
    nodes = NodeTemplateSerializer(many=True, read_only=True)
    follow_ups = FollowUpTemplateSerializer(many=True, read_only=True)

    class Meta(CommissionTypeListOutputSerializer.Meta):
        fields = [*CommissionTypeListOutputSerializer.Meta.fields, "nodes", "follow_ups"]


# Commissions ----------------------------------------------------------------------------------------


class CommissionCreateInputSerializer(serializers.Serializer):
    type = _id(help_text="The commission type; defined in the caller's unit or above.")
    client = _id(help_text="The client (a ledger customer).")
    title = _text(120)
    manager = _id(help_text="The engagement manager.")
    starts_on = _day()
    due_on = _day(required=False, allow_null=True, default=None, help_text="The last node's date when left out.")
    purpose = _blank_text(TEXT_MAX)
    core_need = _blank_text(TEXT_MAX)
    core_need_confirmed_on = _day(required=False, allow_null=True, default=None)
    members = serializers.ListField(child=_id(), required=False, default=list, max_length=50)
    contacts = serializers.ListField(
        child=_id(),
        required=False,
        default=list,
        max_length=50,
        help_text="The client's people who hear of every node; the client itself when left out and a person.",
    )
    fee_amount = _fee(required=False, default=None, help_text='In yuan, as a string ("12000.00").')
    project = _optional_id("The project the commission concerns.")


class CommissionUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change."""

    title = _text(120, required=False)
    purpose = StrictCharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    core_need = StrictCharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    core_need_confirmed_on = _day(required=False, allow_null=True)
    manager = _id(required=False)
    due_on = _day(required=False, allow_null=True)
    fee_amount = _fee(required=False, help_text='In yuan, as a string ("12000.00").')
    project = _id(required=False, allow_null=True)
    members = serializers.ListField(child=_id(), required=False, max_length=50)
    contacts = serializers.ListField(child=_id(), required=False, max_length=50)


class NodeOutputSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True, allow_null=True)
    aspects = serializers.ListField(child=serializers.CharField(), read_only=True)
    is_late = serializers.SerializerMethodField(help_text="Open and past its planned day, or done after it.")

    class Meta:
        model = Node
        fields = [
            "id",
            "order",
            "name",
            "standard",
            "owner_kind",
            "owner",
            "owner_name",
            "push_text",
            "client_action",
            "aspects",
            "planned_on",
            "actual_on",
            "status",
            "note",
            "reached_at",
            "late_at",
            "delay_days",
            "is_late",
        ]

    def get_is_late(self, node: Node) -> bool:
        if node.status in Node.OPEN_STATUSES:
            return node.late_at is not None
        return bool(node.delay_days)


class RiskOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Risk
        fields = ["id", "node", "description", "level", "mitigation", "closed_at", "created_at"]


class PlanChangeItemSerializer(serializers.Serializer):
    node = serializers.IntegerField()
    name = serializers.CharField()
    planned_from = serializers.DateField(source="from")
    planned_to = serializers.DateField(source="to")


class PlanChangeOutputSerializer(serializers.ModelSerializer):
    changes = PlanChangeItemSerializer(many=True, read_only=True)
    actor_name = serializers.CharField(source="actor.name", read_only=True, allow_null=True)

    class Meta:
        model = PlanChange
        fields = ["id", "reason", "changes", "actor", "actor_name", "created_at"]


class DeliverableOutputSerializer(serializers.ModelSerializer):
    uploaded_by_name = serializers.CharField(source="uploaded_by.name", read_only=True, allow_null=True)

    class Meta:
        model = Deliverable
        fields = ["id", "node", "name", "size", "is_shared", "uploaded_by", "uploaded_by_name", "created_at"]


class EvaluationOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.engagements.selectors.commission_evaluations.
    contact = serializers.CharField(source="invitation.customer.name", read_only=True)
    status = serializers.ChoiceField(source="invitation.status", choices=Invitation.Status.choices, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "node", "invitation", "contact", "status", "evaluated", "created_at"]


class TaskOutputSerializer(serializers.ModelSerializer):
    commission_number = serializers.CharField(source="commission.number", read_only=True)
    client_name = serializers.CharField(source="commission.client.name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.name", read_only=True, allow_null=True)
    done_by_name = serializers.CharField(source="done_by.name", read_only=True, allow_null=True)

    class Meta:
        model = FollowUpTask
        fields = [
            "id",
            "commission",
            "commission_number",
            "client_name",
            "kind",
            "title",
            "instructions",
            "due_on",
            "assignee",
            "assignee_name",
            "done_at",
            "done_by",
            "done_by_name",
            "outcome",
        ]


class CommissionListOutputSerializer(serializers.ModelSerializer):
    # Loaded (and annotated) by kefu.engagements.selectors.commission_list.
    type_name = serializers.CharField(source="type.name", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    manager_name = serializers.CharField(source="manager.name", read_only=True)
    next_planned_on = serializers.DateField(read_only=True, allow_null=True, help_text="The next open node's day.")
    late_nodes = serializers.IntegerField(read_only=True, help_text="Open nodes past their planned day.")
    node_total = serializers.IntegerField(read_only=True)
    nodes_done = serializers.IntegerField(read_only=True, help_text="Done or skipped.")

    class Meta:
        model = Commission
        fields = [
            "id",
            "number",
            "title",
            "status",
            "type",
            "type_name",
            "client",
            "client_name",
            "manager",
            "manager_name",
            "starts_on",
            "due_on",
            "delivered_on",
            "next_planned_on",
            "late_nodes",
            "node_total",
            "nodes_done",
        ]


class CommissionOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.engagements.selectors.commission_get; `evaluation_list` by the view.
    type_name = serializers.CharField(source="type.name", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    manager_name = serializers.CharField(source="manager.name", read_only=True)
    members = PersonSerializer(many=True, read_only=True)
    contacts = PersonSerializer(many=True, read_only=True)
    nodes = NodeOutputSerializer(many=True, read_only=True)
    risks = RiskOutputSerializer(many=True, read_only=True)
    plan_changes = PlanChangeOutputSerializer(many=True, read_only=True)
    deliverables = DeliverableOutputSerializer(many=True, read_only=True)
    evaluations = EvaluationOutputSerializer(source="evaluation_list", many=True, read_only=True)
    tasks = TaskOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Commission
        fields = [
            "id",
            "number",
            "title",
            "status",
            "organisation",
            "type",
            "type_name",
            "client",
            "client_name",
            "manager",
            "manager_name",
            "members",
            "contacts",
            "purpose",
            "core_need",
            "core_need_confirmed_on",
            "project",
            "fee_amount",
            "starts_on",
            "due_on",
            "delivered_on",
            "closed_at",
            "created_at",
            "nodes",
            "risks",
            "plan_changes",
            "deliverables",
            "evaluations",
            "tasks",
        ]


# Actions --------------------------------------------------------------------------------------------


class NodeCompleteInputSerializer(serializers.Serializer):
    actual_on = _day(help_text="The day the node was done; not before the start, not after today.")
    note = _blank_text(TEXT_MAX)


class ReasonInputSerializer(serializers.Serializer):
    reason = _text(REASON_MAX)


class PlanChangeDateSerializer(serializers.Serializer):
    node = _id(help_text="An open node of the commission.")
    planned_on = _day()


class PlanChangeInputSerializer(serializers.Serializer):
    reason = _text(2000, help_text="Why the plan changes (the market, a policy); the client reads it.")
    dates = PlanChangeDateSerializer(many=True, min_length=1, max_length=30)


class RiskCreateInputSerializer(serializers.Serializer):
    description = _text(300)
    level = serializers.ChoiceField(choices=Risk.Level.choices, required=False, default=Risk.Level.MEDIUM)
    mitigation = _blank_text(TEXT_MAX)
    node = _optional_id("The node the risk concerns.")


class DeliverableUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="At most 20 MB.")
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    node = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None)
    is_shared = serializers.BooleanField(required=False, default=True, help_text="The client can see and download it.")


class TaskCompleteInputSerializer(serializers.Serializer):
    outcome = _text(2000, help_text="What came of the follow-up.")


# Statistics -----------------------------------------------------------------------------------------


class StatRowOutputSerializer(serializers.Serializer):
    key = serializers.IntegerField(help_text="The manager, unit, type or commission id.")
    label = serializers.CharField()
    commissions = serializers.IntegerField()
    nodes_due = serializers.IntegerField()
    nodes_on_time = serializers.IntegerField()
    nodes_late = serializers.IntegerField()
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, help_text="Percent.")
    average_delay = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True, help_text="Days.")
    evaluations_sent = serializers.IntegerField()
    evaluations_answered = serializers.IntegerField()
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, help_text="Percent.")
    interventions_opened = serializers.IntegerField()
    interventions_closed = serializers.IntegerField()
    intervention_close_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    aspects = serializers.DictField(
        child=serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True),
        help_text="3-PRO aspect code → average score (1–5).",
    )
    three_pro_average = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    answers = serializers.IntegerField()
    score = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="Scorecard only: weighted out of 100."
    )


class WeightsSerializer(serializers.Serializer):
    """The scorecard's weights for appraisal, in percent; they add up to 100."""

    on_time_weight = StrictIntegerField(min_value=0, max_value=100)
    evaluation_weight = StrictIntegerField(min_value=0, max_value=100)
    response_weight = StrictIntegerField(min_value=0, max_value=100)
    intervention_weight = StrictIntegerField(min_value=0, max_value=100)
