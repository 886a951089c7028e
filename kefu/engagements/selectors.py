"""Read queries for client commissions. Staff queries start from kefu.core.scoping; the
portal's start from the customer (a client sees only the commissions they are a contact of)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from kefu.core.permissions import can
from kefu.core.scoping import Viewer, ancestor_ids, nearest, one_or_404, visible
from kefu.core.zones import local_today
from kefu.engagements.models import (
    ASPECT_CODES,
    Commission,
    CommissionEvent,
    CommissionType,
    Deliverable,
    Evaluation,
    FollowUpTask,
    Node,
    PlanChange,
    Risk,
    ScorecardWeights,
)
from kefu.orgs.models import Membership
from kefu.surveys.models import Answer, Intervention, Invitation

IStatus = Invitation.Status
SENT_STATUSES = (IStatus.SENT, IStatus.OPENED, IStatus.ANSWERED, IStatus.EXPIRED)


# Types ----------------------------------------------------------------------------------------------


def commission_type_list(viewer: Viewer, *, active_only: bool = False) -> QuerySet[CommissionType]:
    """Types defined in the viewer's unit and below, and the ones inherited from above."""
    types = CommissionType.objects.filter(
        Q(pk__in=visible(CommissionType, viewer).values("pk")) | Q(organisation_id__in=ancestor_ids(viewer.unit))
    )
    if active_only:
        types = types.filter(is_active=True)
    return (
        types.select_related("organisation").annotate(node_count=Count("nodes", distinct=True)).order_by("name", "pk")
    )


def commission_type_get(viewer: Viewer, *, pk: int) -> CommissionType:
    return one_or_404(commission_type_list(viewer).prefetch_related("nodes", "follow_ups"), pk=pk)


def types_for_unit(viewer: Viewer) -> QuerySet[CommissionType]:
    """The types a commission of the viewer's unit may use: defined there or above."""
    return CommissionType.objects.filter(organisation_id__in=ancestor_ids(viewer.unit), is_active=True).order_by("name")


# Commissions ----------------------------------------------------------------------------------------


def _commissions(viewer: Viewer) -> QuerySet[Commission]:
    return visible(Commission, viewer)


def commission_list(
    viewer: Viewer,
    *,
    status: str = "",
    type_id: int | None = None,
    manager_id: int | None = None,
    client_id: int | None = None,
    query: str = "",
    late_only: bool = False,
    today: date | None = None,
) -> QuerySet[Commission]:
    """Commissions in scope, with their next open node's date and how many open nodes are late;
    late commissions first, then by the next date."""
    today = today or local_today(viewer.unit)
    rows = _commissions(viewer)
    if status:
        rows = rows.filter(status=status)
    if type_id:
        rows = rows.filter(type_id=type_id)
    if manager_id:
        # A subquery, not a join: joining the members would repeat each commission per member
        # and multiply the node counts below.
        member_of = Commission.members.through.objects.filter(membership_id=manager_id).values("commission_id")
        rows = rows.filter(Q(manager_id=manager_id) | Q(pk__in=member_of))
    if client_id:
        rows = rows.filter(client_id=client_id)
    if query:
        rows = rows.filter(Q(number__icontains=query) | Q(title__icontains=query) | Q(client__name__icontains=query))
    open_nodes = Q(nodes__status__in=Node.OPEN_STATUSES)
    rows = rows.annotate(
        next_planned_on=Min("nodes__planned_on", filter=open_nodes),
        late_nodes=Count("nodes", filter=open_nodes & Q(nodes__planned_on__lt=today)),
        node_total=Count("nodes"),
        nodes_done=Count("nodes", filter=Q(nodes__status__in=(Node.Status.DONE, Node.Status.SKIPPED))),
    )
    if late_only:
        rows = rows.filter(late_nodes__gt=0)
    return rows.select_related("type", "client", "manager").order_by(
        F("late_nodes").desc(), F("next_planned_on").asc(nulls_last=True), "-pk"
    )


def commission_get(viewer: Viewer, *, pk: int) -> Commission:
    return one_or_404(
        _commissions(viewer)
        .select_related("organisation", "type", "client", "manager__unit", "project", "created_by")
        .prefetch_related(
            "members",
            "contacts",
            Prefetch("nodes", queryset=Node.objects.select_related("owner").order_by("order")),
            Prefetch("deliverables", queryset=Deliverable.objects.select_related("node", "uploaded_by")),
            "risks",
            Prefetch("plan_changes", queryset=PlanChange.objects.select_related("actor")),
            Prefetch("tasks", queryset=FollowUpTask.objects.select_related("assignee", "done_by")),
        ),
        pk=pk,
    )


def commission_events(commission: Commission, *, limit: int = 100) -> list[CommissionEvent]:
    return list(commission.events.select_related("actor", "node").order_by("-created_at", "-pk")[:limit])


def commission_evaluations(commission: Commission) -> list[Evaluation]:
    return list(
        commission.evaluations.select_related("node", "invitation__customer", "invitation__response")
        .prefetch_related(
            "invitation__interventions",
            Prefetch("invitation__response__answers", queryset=Answer.objects.select_related("question")),
        )
        .order_by("-created_at", "-pk")
    )


def node_get(viewer: Viewer, *, commission_id: int, pk: int) -> Node:
    return one_or_404(
        visible(Node, viewer).select_related("commission__organisation"), commission_id=commission_id, pk=pk
    )


def commission_for_client_key(viewer: Viewer, *, client_key: str) -> Commission | None:
    """The commission an API caller's Idempotency-Key already opened in their unit, if any."""
    if not client_key:
        return None
    return _commissions(viewer).filter(organisation=viewer.unit, client_key=client_key).first()


def risk_get(viewer: Viewer, *, commission_id: int, pk: int) -> Risk:
    return one_or_404(
        visible(Risk, viewer).select_related("commission__organisation"), commission_id=commission_id, pk=pk
    )


def task_get(viewer: Viewer, *, pk: int) -> FollowUpTask:
    return one_or_404(visible(FollowUpTask, viewer).select_related("commission__client", "assignee", "done_by"), pk=pk)


def my_commissions(viewer: Membership, *, today: date | None = None, limit: int = 10) -> list[Commission]:
    """The workbench: a professional's open commissions (as manager or member), a supervisor's
    whole unit's; late nodes first."""
    manager_id = None if can(viewer, "engagements.supervise") else viewer.pk
    rows = commission_list(viewer, manager_id=manager_id, today=today)
    return list(rows.filter(status__in=Commission.OPEN_STATUSES)[:limit])


def my_tasks(viewer: Membership, *, limit: int = 10) -> list[FollowUpTask]:
    return list(
        visible(FollowUpTask, viewer)
        .filter(assignee=viewer, done_at__isnull=True)
        .select_related("commission__client")
        .order_by("due_on", "pk")[:limit]
    )


def task_list(viewer: Viewer, *, open_only: bool = True, assignee_id: int | None = None) -> QuerySet[FollowUpTask]:
    rows = (
        visible(FollowUpTask, viewer)
        .select_related("commission__client", "commission__organisation", "assignee", "done_by")
        .prefetch_related("commission__members")
    )
    if open_only:
        rows = rows.filter(done_at__isnull=True)
    if assignee_id:
        rows = rows.filter(assignee_id=assignee_id)
    return rows.order_by("done_at", "due_on", "pk")


# The client's side (portal) -------------------------------------------------------------------------


def commissions_for_customer(customer_id: int) -> QuerySet[Commission]:
    """The commissions a portal customer may follow: those they are a contact of. Cancelled ones are hidden."""
    return (
        Commission.objects.filter(contacts__pk=customer_id)
        .exclude(status=Commission.Status.CANCELLED)
        .select_related("type", "manager", "client")
        .order_by("-starts_on", "-pk")
        .distinct()
    )


def commission_for_customer(*, customer_id: int, commission_id: int) -> Commission:
    """One commission for its progress page; anyone else's is the same 404."""
    return one_or_404(
        commissions_for_customer(customer_id).prefetch_related(
            Prefetch("nodes", queryset=Node.objects.order_by("order")),
            Prefetch("deliverables", queryset=Deliverable.objects.filter(is_shared=True).select_related("node")),
            "plan_changes",
        ),
        pk=commission_id,
    )


def shared_deliverable_for_customer(*, customer_id: int, commission_id: int, deliverable_id: int) -> Deliverable:
    """A deliverable the client may download: shared, of a commission they are a contact of."""
    return one_or_404(
        Deliverable.objects.filter(
            is_shared=True, commission__in=commissions_for_customer(customer_id).filter(pk=commission_id).values("pk")
        ),
        pk=deliverable_id,
    )


def open_evaluations_for_customer(*, customer_id: int, commission: Commission) -> list[Evaluation]:
    return list(
        commission.evaluations.filter(
            invitation__customer_id=customer_id, invitation__status__in=(IStatus.SENT, IStatus.OPENED)
        ).select_related("node", "invitation")
    )


# Statistics -----------------------------------------------------------------------------------------

GROUPINGS = {
    "manager": ("manager_id", "manager__name"),
    "unit": ("organisation_id", "organisation__name"),
    "type": ("type_id", "type__name"),
    "commission": ("pk", "number"),
}


@dataclass
class StatRow:
    key: Any
    label: str
    commissions: int = 0
    nodes_due: int = 0
    nodes_on_time: int = 0
    nodes_late: int = 0
    delay_total: int = 0
    delay_count: int = 0
    evaluations_sent: int = 0
    evaluations_answered: int = 0
    interventions_opened: int = 0
    interventions_closed: int = 0
    aspects: dict[str, Decimal | None] = field(default_factory=dict)
    answers: int = 0
    score: Decimal | None = None

    @property
    def on_time_rate(self) -> Decimal | None:
        return _percent(self.nodes_on_time, self.nodes_due)

    @property
    def average_delay(self) -> Decimal | None:
        if not self.delay_count:
            return None
        return (Decimal(self.delay_total) / self.delay_count).quantize(Decimal("0.1"))

    @property
    def response_rate(self) -> Decimal | None:
        return _percent(self.evaluations_answered, self.evaluations_sent)

    @property
    def intervention_close_rate(self) -> Decimal | None:
        return _percent(self.interventions_closed, self.interventions_opened)

    @property
    def three_pro_average(self) -> Decimal | None:
        values = [v for v in self.aspects.values() if v is not None]
        if not values:
            return None
        return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _period(rows: QuerySet[Any], prefix: str, since: date | None, until: date | None) -> QuerySet[Any]:
    if since is not None:
        rows = rows.filter(**{f"{prefix}starts_on__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{prefix}starts_on__lte": until})
    return rows


def statistics(
    viewer: Viewer,
    *,
    by: str = "manager",
    since: date | None = None,
    until: date | None = None,
    type_id: int | None = None,
    manager_id: int | None = None,
    today: date | None = None,
) -> list[StatRow]:
    """Per manager, unit, type or commission (commissions that started in the period): milestone
    on-time rate and average delay, the client's response rate to evaluations, the 3-PRO average
    per aspect, and interventions opened and closed. Five queries, whatever the size."""
    key_field, label_field = GROUPINGS[by]
    today = today or local_today(viewer.unit)
    commissions = _period(_commissions(viewer), "", since, until).exclude(status=Commission.Status.CANCELLED)
    if type_id:
        commissions = commissions.filter(type_id=type_id)
    if manager_id:
        commissions = commissions.filter(manager_id=manager_id)
    rows: dict[Any, StatRow] = {}
    for item in commissions.values(key_field, label_field).annotate(n=Count("pk")).order_by(label_field):
        rows[item[key_field]] = StatRow(key=item[key_field], label=str(item[label_field]), commissions=item["n"])
    if not rows:
        return []
    ids = commissions.values("pk")

    def prefixed(name: str) -> str:
        return "commission__" + name if name != "pk" else "commission_id"

    # Nodes that were due (done, or open past their day): on time when done on or before the
    # plan; the average delay is over the done ones.
    node_key = prefixed(key_field)
    done = Q(status=Node.Status.DONE)
    for item in (
        Node.objects.filter(commission_id__in=ids)
        .filter(done | Q(status__in=Node.OPEN_STATUSES, planned_on__lt=today))
        .values(node_key)
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=done & Q(delay_days=0)),
            late=Count("pk", filter=Q(status__in=Node.OPEN_STATUSES) | Q(delay_days__gt=0)),
            delay_total=Sum("delay_days", filter=done),
            delay_count=Count("pk", filter=done),
        )
        .order_by()
    ):
        row = rows.get(item[node_key])
        if row is not None:
            row.nodes_due, row.nodes_on_time, row.nodes_late = item["due"], item["on_time"], item["late"]
            row.delay_total, row.delay_count = item["delay_total"] or 0, item["delay_count"]
    evaluation_key = prefixed(key_field)
    for item in (
        Evaluation.objects.filter(commission_id__in=ids, invitation__status__in=SENT_STATUSES)
        .values(evaluation_key)
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(invitation__status=IStatus.ANSWERED)))
        .order_by()
    ):
        row = rows.get(item[evaluation_key])
        if row is not None:
            row.evaluations_sent, row.evaluations_answered = item["sent"], item["answered"]
    answer_key = "response__invitation__commission_link__" + prefixed(key_field)
    for item in (
        Answer.objects.filter(
            response__invitation__commission_link__commission_id__in=ids,
            response__submitted_at__isnull=False,
            question__code__in=ASPECT_CODES,
            score__isnull=False,
        )
        .values(answer_key, "question__code")
        .annotate(average=Avg("score"), count=Count("pk"))
        .order_by()
    ):
        row = rows.get(item[answer_key])
        if row is not None:
            row.aspects[item["question__code"]] = Decimal(str(item["average"])).quantize(Decimal("0.01"))
            row.answers += item["count"]
    intervention_key = "invitation__commission_link__" + prefixed(key_field)
    for item in (
        Intervention.objects.filter(invitation__commission_link__commission_id__in=ids)
        .values(intervention_key)
        .annotate(opened=Count("pk"), closed=Count("pk", filter=Q(status=Intervention.Status.CLOSED)))
        .order_by()
    ):
        row = rows.get(item[intervention_key])
        if row is not None:
            row.interventions_opened, row.interventions_closed = item["opened"], item["closed"]
    return list(rows.values())


def monthly_on_time(viewer: Viewer, *, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    """Per month of the planned date: nodes due and done on time (the chart on the report page)."""
    rows = (
        Node.objects.filter(commission_id__in=_period(_commissions(viewer), "", since, until).values("pk"))
        .filter(Q(status=Node.Status.DONE) | Q(status__in=Node.OPEN_STATUSES, planned_on__lt=local_today(viewer.unit)))
        .annotate(month=TruncMonth("planned_on"))
        .values("month")
        .annotate(due=Count("pk"), on_time=Count("pk", filter=Q(status=Node.Status.DONE, delay_days=0)))
        .order_by("month")
    )
    return [
        {
            "month": row["month"],
            "due": row["due"],
            "on_time": row["on_time"],
            "rate": _percent(row["on_time"], row["due"]),
        }
        for row in rows
    ]


def weights_for(viewer: Viewer) -> ScorecardWeights:
    """The nearest unit's scorecard weights at or above the viewer's; the defaults if none."""
    found = nearest(ScorecardWeights.objects.all(), viewer.unit)
    return found or ScorecardWeights(organisation=viewer.unit)


def scorecard(
    viewer: Viewer, *, since: date | None = None, until: date | None = None, today: date | None = None
) -> list[StatRow]:
    """One row per engagement manager: the statistics, and a score out of 100 weighted for
    appraisal (on-time rate, 3-PRO average scaled to 100, response rate, interventions closed)."""
    weights = weights_for(viewer)
    rows = statistics(viewer, by="manager", since=since, until=until, today=today)
    for row in rows:
        parts: list[tuple[int, Decimal]] = []
        if row.on_time_rate is not None:
            parts.append((weights.on_time_weight, row.on_time_rate))
        if row.three_pro_average is not None:
            parts.append((weights.evaluation_weight, (row.three_pro_average - 1) * 25))
        if row.response_rate is not None:
            parts.append((weights.response_weight, row.response_rate))
        if row.interventions_opened:
            parts.append((weights.intervention_weight, row.intervention_close_rate or Decimal(0)))
        total_weight = sum(w for w, _ in parts)
        if total_weight:
            row.score = (sum(Decimal(w) * v for w, v in parts) / total_weight).quantize(Decimal("0.1"))
    return sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.label))


def aspect_distribution(viewer: Viewer, *, manager_id: int | None = None) -> dict[str, dict[int, int]]:
    """How many answers gave each score, per aspect, for commissions in scope."""
    answers = Answer.objects.filter(
        response__invitation__commission_link__commission_id__in=_commissions(viewer).values("pk"),
        response__submitted_at__isnull=False,
        question__code__in=ASPECT_CODES,
        score__isnull=False,
    )
    if manager_id:
        answers = answers.filter(response__invitation__commission_link__commission__manager_id=manager_id)
    result: dict[str, dict[int, int]] = defaultdict(dict)
    for item in answers.values("question__code", "score").annotate(n=Count("pk")).order_by():
        result[item["question__code"]][item["score"]] = item["n"]
    return dict(result)
