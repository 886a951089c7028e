"""The commissions API: scoped reads through the selectors, writes through the services.

A commission, node, risk or task in a URL is looked up in the caller's scope first, so another
unit's is the same 404 as a missing one; ids in bodies that are not in scope are a 400 on that
field. The services decide who may change what (403) and refuse broken rules (400, 409).
"""

from typing import Any

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
from kefu.engagements import selectors, services
from kefu.engagements.api.serializers import (
    CommissionCreateInputSerializer,
    CommissionListOutputSerializer,
    CommissionOutputSerializer,
    CommissionTypeInputSerializer,
    CommissionTypeListOutputSerializer,
    CommissionTypeOutputSerializer,
    CommissionTypeUpdateInputSerializer,
    CommissionUpdateInputSerializer,
    DeliverableOutputSerializer,
    DeliverableUploadInputSerializer,
    EvaluationOutputSerializer,
    NodeCompleteInputSerializer,
    NodeOutputSerializer,
    PlanChangeInputSerializer,
    PlanChangeOutputSerializer,
    ReasonInputSerializer,
    RiskCreateInputSerializer,
    RiskOutputSerializer,
    StatRowOutputSerializer,
    TaskCompleteInputSerializer,
    TaskOutputSerializer,
    WeightsSerializer,
)
from kefu.engagements.errors import DuplicateClientKey
from kefu.engagements.models import Commission, Node
from kefu.orgs.models import Membership
from kefu.orgs.selectors import staff_get
from kefu.properties.selectors import project_get

WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorSerializer}
TAGS = ["commissions"]
IDEMPOTENCY_KEY_MAX = Commission._meta.get_field("client_key").max_length
IDEMPOTENCY_KEY = idempotency_key_parameter(max_length=IDEMPOTENCY_KEY_MAX, noun="commission")


class CommissionFilters(FilterSerializer):
    status = serializers.ChoiceField(choices=Commission.Status.choices, required=False, allow_blank=True)
    type = id_filter(help_text="A commission type.")
    manager = id_filter(help_text="Commissions this staff member manages or works on.")
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="A number (WT…), words of the title, or the client."
    )
    late = serializers.BooleanField(required=False, help_text="Only commissions with an open node past its day.")


class StatisticsFilters(FilterSerializer):
    by = serializers.ChoiceField(
        choices=[(key, key) for key in selectors.GROUPINGS], required=False, default="manager", help_text="Grouping."
    )
    since = serializers.DateField(required=False, help_text="Commissions that started on or after this day.")
    until = serializers.DateField(required=False, help_text="Commissions that started on or before this day.")
    type = id_filter(help_text="Only this commission type.")
    manager = id_filter(help_text="Only this engagement manager's commissions.")


class ScorecardFilters(FilterSerializer):
    since = serializers.DateField(required=False, help_text="Commissions that started on or after this day.")
    until = serializers.DateField(required=False, help_text="Commissions that started on or before this day.")


class TaskFilters(FilterSerializer):
    open = serializers.BooleanField(required=False, default=True, help_text="Only tasks not done yet (the default).")
    assignee = id_filter(help_text="Tasks of this staff member.")


class NamePagination(KeysetPagination):
    ordering = ("name", "id")


class CommissionPagination(KeysetPagination):
    """Latest start first."""

    ordering = ("-starts_on", "-id")


class TaskPagination(KeysetPagination):
    """Soonest due first."""

    ordering = ("due_on", "id")


def _commission(request: Request, commission_id: int) -> Commission:
    return selectors.commission_get(viewer_of(request), pk=commission_id)


def _commission_response(request: Request, commission: Commission, status: int = 200) -> Response:
    commission = _commission(request, commission.pk)
    commission.evaluation_list = selectors.commission_evaluations(commission)  # type: ignore[attr-defined]
    return Response(CommissionOutputSerializer(commission).data, status=status)


def _node(request: Request, commission_id: int, node_id: int) -> Node:
    return selectors.node_get(viewer_of(request), commission_id=commission_id, pk=node_id)


def _staff(viewer: Membership, field: str, membership_id: int) -> Membership:
    return resolve_or_field_error(field, lambda: staff_get(viewer=viewer, membership_id=membership_id))


def _people(viewer: Membership, fields: dict[str, Any]) -> dict[str, Any]:
    """The manager, members, contacts and project ids of a body, resolved in the caller's scope."""
    resolved: dict[str, Any] = {}
    if fields.get("manager") is not None:
        resolved["manager"] = _staff(viewer, "manager", fields["manager"])
    if "members" in fields:
        resolved["members"] = [_staff(viewer, "members", pk) for pk in dict.fromkeys(fields["members"])]
    if "contacts" in fields:
        resolved["contacts"] = [
            resolve_or_field_error("contacts", lambda pk=pk: customer_get(viewer=viewer, customer_id=pk))
            for pk in dict.fromkeys(fields["contacts"])
        ]
    if "project" in fields:
        project_id = fields["project"]
        resolved["project"] = (
            resolve_or_field_error("project", lambda: project_get(viewer=viewer, project_id=project_id))
            if project_id is not None
            else None
        )
    return {**fields, **resolved}


def _asks_for(commission: Commission, body: dict[str, Any]) -> bool:
    """Does a create body ask for the commission that its Idempotency-Key already opened?"""
    return (
        body["type"] == commission.type_id
        and body["client"] == commission.client_id
        and body["manager"] == commission.manager_id
        and body["title"].strip() == commission.title
        and body["starts_on"] == commission.starts_on
    )


# Commission types -----------------------------------------------------------------------------------


class CommissionTypeListApi(ListApi):
    pagination_class = NamePagination

    @extend_schema(
        operation_id="commission_type_list",
        responses={200: CommissionTypeListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Commission types of the caller's unit and below, and those inherited from above.",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.commission_type_list(viewer_of(request)), CommissionTypeListOutputSerializer)

    @extend_schema(
        operation_id="commission_type_create",
        request=CommissionTypeInputSerializer,
        responses={201: CommissionTypeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="A new commission type in the caller's unit, with its milestone nodes and follow-ups.",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(CommissionTypeInputSerializer, request)
        type_ = services.commission_type_create(actor=viewer, unit=viewer.unit, **fields)
        type_ = selectors.commission_type_get(viewer, pk=type_.pk)
        return Response(CommissionTypeOutputSerializer(type_).data, status=201)


class CommissionTypeDetailApi(APIView):
    @extend_schema(
        operation_id="commission_type_retrieve",
        responses={200: CommissionTypeOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, commission_type_id: int) -> Response:
        type_ = selectors.commission_type_get(viewer_of(request), pk=commission_type_id)
        return Response(CommissionTypeOutputSerializer(type_).data)


class CommissionTypeUpdateApi(APIView):
    @extend_schema(
        operation_id="commission_type_update",
        request=CommissionTypeUpdateInputSerializer,
        responses={200: CommissionTypeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Replace the type's details, nodes and follow-ups. Commissions already open keep "
        "the nodes they were planned with.",
    )
    def post(self, request: Request, commission_type_id: int) -> Response:
        viewer = viewer_of(request)
        type_ = selectors.commission_type_get(viewer, pk=commission_type_id)
        fields = valid_body(CommissionTypeUpdateInputSerializer, request)
        services.commission_type_update(actor=viewer, type_=type_, **fields)
        return Response(CommissionTypeOutputSerializer(selectors.commission_type_get(viewer, pk=type_.pk)).data)


# Commissions ----------------------------------------------------------------------------------------


class CommissionListApi(ListApi):
    pagination_class = CommissionPagination

    @extend_schema(
        operation_id="commission_list",
        parameters=[CommissionFilters],
        responses={200: CommissionListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Commissions in the caller's scope with their progress: the next open node's day, "
        "late nodes, nodes done.",
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(
            CommissionFilters, request, type="type_id", manager="manager_id", q="query", late="late_only"
        )
        commissions = selectors.commission_list(viewer_of(request), **filters)
        return self.paginated(commissions, CommissionListOutputSerializer)

    @extend_schema(
        operation_id="commission_create",
        parameters=[IDEMPOTENCY_KEY],
        request=CommissionCreateInputSerializer,
        responses={200: CommissionOutputSerializer, 201: CommissionOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Open a commission in the caller's unit; its nodes are planned from the type's template.",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        key = idempotency_key(request, max_length=IDEMPOTENCY_KEY_MAX)
        body = valid_body(CommissionCreateInputSerializer, request)
        opened = selectors.commission_for_client_key(viewer, client_key=key)
        if opened is not None:
            if not _asks_for(opened, body):
                raise DuplicateClientKey()
            return _commission_response(request, opened)
        fields = _people(viewer, dict(body))
        type_id, client_id = fields.pop("type"), fields.pop("client")
        fields["type_"] = resolve_or_field_error("type", lambda: selectors.commission_type_get(viewer, pk=type_id))
        fields["client"] = resolve_or_field_error("client", lambda: customer_get(viewer=viewer, customer_id=client_id))
        commission = services.commission_create(actor=viewer, unit=viewer.unit, client_key=key, **fields)
        return _commission_response(request, commission, status=201)


class CommissionDetailApi(APIView):
    @extend_schema(
        operation_id="commission_retrieve",
        responses={200: CommissionOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="A commission with its nodes, risks, changes of plan, deliverables (metadata), "
        "evaluations and follow-up tasks.",
    )
    def get(self, request: Request, commission_id: int) -> Response:
        return _commission_response(request, _commission(request, commission_id))


class CommissionUpdateApi(APIView):
    @extend_schema(
        operation_id="commission_update",
        request=CommissionUpdateInputSerializer,
        responses={200: CommissionOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Change the fields given; members and contacts replace the lists.",
    )
    def post(self, request: Request, commission_id: int) -> Response:
        viewer = viewer_of(request)
        commission = _commission(request, commission_id)
        fields = _people(viewer, valid_body(CommissionUpdateInputSerializer, request))
        commission = services.commission_update(actor=viewer, commission=commission, **fields)
        return _commission_response(request, commission)


# Nodes ----------------------------------------------------------------------------------------------


class NodeStartApi(APIView):
    @extend_schema(
        operation_id="commission_node_start",
        request=None,
        responses={200: NodeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Mark the node in progress. With strict order, earlier nodes must be done first (409).",
    )
    def post(self, request: Request, commission_id: int, node_id: int) -> Response:
        node = services.node_start(actor=viewer_of(request), node=_node(request, commission_id, node_id))
        return Response(NodeOutputSerializer(_node(request, commission_id, node.pk)).data)


class NodeCompleteApi(APIView):
    @extend_schema(
        operation_id="commission_node_complete",
        request=NodeCompleteInputSerializer,
        responses={200: NodeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Mark the node done: the client's contacts are told, asked to rate the node's aspects, "
        "and the commission is delivered after its last node.",
    )
    def post(self, request: Request, commission_id: int, node_id: int) -> Response:
        node = _node(request, commission_id, node_id)
        fields = valid_body(NodeCompleteInputSerializer, request)
        services.node_complete(actor=viewer_of(request), node=node, **fields)
        return Response(NodeOutputSerializer(_node(request, commission_id, node.pk)).data)


class NodeSkipApi(APIView):
    @extend_schema(
        operation_id="commission_node_skip",
        request=ReasonInputSerializer,
        responses={200: NodeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, commission_id: int, node_id: int) -> Response:
        node = _node(request, commission_id, node_id)
        services.node_skip(actor=viewer_of(request), node=node, **valid_body(ReasonInputSerializer, request))
        return Response(NodeOutputSerializer(_node(request, commission_id, node.pk)).data)


class NodeEvaluateApi(APIView):
    @extend_schema(
        operation_id="commission_node_evaluate",
        request=None,
        responses={200: EvaluationOutputSerializer(many=True), **WRITE_ERRORS},
        tags=TAGS,
        description="Ask the client's contacts (again) to rate a done node; one invitation per contact.",
    )
    def post(self, request: Request, commission_id: int, node_id: int) -> Response:
        node = _node(request, commission_id, node_id)
        services.evaluation_request(actor=viewer_of(request), node=node)
        evaluations = [e for e in selectors.commission_evaluations(node.commission) if e.node_id == node.pk]
        return Response(EvaluationOutputSerializer(evaluations, many=True).data)


# Plan changes, risks, deliverables ------------------------------------------------------------------


class PlanChangeCreateApi(APIView):
    @extend_schema(
        operation_id="commission_plan_change",
        request=PlanChangeInputSerializer,
        responses={201: PlanChangeOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Move open nodes to new days, with the reason the client reads on the progress page.",
    )
    def post(self, request: Request, commission_id: int) -> Response:
        commission = _commission(request, commission_id)
        fields = valid_body(PlanChangeInputSerializer, request)
        dates = {item["node"]: item["planned_on"] for item in fields["dates"]}
        change = services.plan_change(
            actor=viewer_of(request), commission=commission, reason=fields["reason"], dates=dates
        )
        return Response(PlanChangeOutputSerializer(change).data, status=201)


def _node_in(request: Request, commission: Commission, node_id: int | None) -> Node | None:
    if node_id is None:
        return None
    return resolve_or_field_error("node", lambda: _node(request, commission.pk, node_id))


class RiskCreateApi(APIView):
    @extend_schema(
        operation_id="commission_risk_create",
        request=RiskCreateInputSerializer,
        responses={201: RiskOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, commission_id: int) -> Response:
        commission = _commission(request, commission_id)
        fields = valid_body(RiskCreateInputSerializer, request)
        fields["node"] = _node_in(request, commission, fields["node"])
        risk = services.risk_raise(actor=viewer_of(request), commission=commission, **fields)
        return Response(RiskOutputSerializer(risk).data, status=201)


class RiskCloseApi(APIView):
    @extend_schema(
        operation_id="commission_risk_close",
        request=None,
        responses={200: RiskOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, commission_id: int, risk_id: int) -> Response:
        risk = selectors.risk_get(viewer_of(request), commission_id=commission_id, pk=risk_id)
        risk = services.risk_close(actor=viewer_of(request), risk=risk)
        return Response(RiskOutputSerializer(risk).data)


class DeliverableUploadApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="commission_deliverable_upload",
        request={"multipart/form-data": DeliverableUploadInputSerializer},
        responses={201: DeliverableOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Add a deliverable (a report, a record); shared ones the client downloads on the portal.",
    )
    def post(self, request: Request, commission_id: int) -> Response:
        commission = _commission(request, commission_id)
        fields = valid_body(DeliverableUploadInputSerializer, request)
        fields["node"] = _node_in(request, commission, fields["node"])
        deliverable = services.deliverable_add(actor=viewer_of(request), commission=commission, **fields)
        return Response(DeliverableOutputSerializer(deliverable).data, status=201)


# Follow-up tasks ------------------------------------------------------------------------------------


class TaskListApi(ListApi):
    pagination_class = TaskPagination

    @extend_schema(
        operation_id="commission_task_list",
        parameters=[TaskFilters],
        responses={200: TaskOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Follow-up and extended-service tasks of delivered commissions in scope.",
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(TaskFilters, request, open="open_only", assignee="assignee_id")
        tasks = selectors.task_list(viewer_of(request), **filters)
        return self.paginated(tasks, TaskOutputSerializer)


class TaskCompleteApi(APIView):
    @extend_schema(
        operation_id="commission_task_complete",
        request=TaskCompleteInputSerializer,
        responses={200: TaskOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, task_id: int) -> Response:
        viewer = viewer_of(request)
        task = selectors.task_get(viewer, pk=task_id)
        services.task_complete(actor=viewer, task=task, **valid_body(TaskCompleteInputSerializer, request))
        return Response(TaskOutputSerializer(selectors.task_get(viewer, pk=task.pk)).data)


# Statistics -----------------------------------------------------------------------------------------


class StatisticsApi(APIView):
    @extend_schema(
        operation_id="commission_statistics",
        parameters=[StatisticsFilters],
        responses={200: StatRowOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Per manager, unit, type or commission: milestones on time and average delay, the "
        "client's response rate, the 3-PRO averages per aspect, interventions opened and closed.",
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(StatisticsFilters, request, type="type_id", manager="manager_id")
        rows = selectors.statistics(viewer_of(request), **filters)
        return Response(StatRowOutputSerializer(rows, many=True).data)


class ScorecardApi(APIView):
    @extend_schema(
        operation_id="commission_scorecard",
        parameters=[ScorecardFilters],
        responses={200: StatRowOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="One row per engagement manager with a score out of 100, weighted for appraisal.",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.scorecard(viewer_of(request), **parse_filters(ScorecardFilters, request))
        return Response(StatRowOutputSerializer(rows, many=True).data)


class CommissionCloseApi(APIView):
    @extend_schema(
        operation_id="commission_close",
        request=None,
        responses={200: CommissionOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Close a delivered commission; its contacts are asked for the full nine-aspect evaluation.",
    )
    def post(self, request: Request, commission_id: int) -> Response:
        commission = services.commission_close(actor=viewer_of(request), commission=_commission(request, commission_id))
        return _commission_response(request, commission)


class CommissionCancelApi(APIView):
    @extend_schema(
        operation_id="commission_cancel",
        request=ReasonInputSerializer,
        responses={200: CommissionOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Cancel an open commission with the reason (supervisors and administrators).",
    )
    def post(self, request: Request, commission_id: int) -> Response:
        commission = services.commission_cancel(
            actor=viewer_of(request),
            commission=_commission(request, commission_id),
            **valid_body(ReasonInputSerializer, request),
        )
        return _commission_response(request, commission)


class WeightsApi(APIView):
    @extend_schema(
        operation_id="commission_weights_get",
        responses={200: WeightsSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="The scorecard weights that apply to the caller's unit (its own or the nearest above).",
    )
    def get(self, request: Request) -> Response:
        return Response(WeightsSerializer(selectors.weights_for(viewer_of(request))).data)

    @extend_schema(
        operation_id="commission_weights_save",
        request=WeightsSerializer,
        responses={200: WeightsSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Set the caller's unit's scorecard weights (administrators); they must add up to 100.",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        weights = services.weights_save(actor=viewer, unit=viewer.unit, **valid_body(WeightsSerializer, request))
        return Response(WeightsSerializer(weights).data)
