"""Read queries on surveys: templates, response rates, the nine aspects' results, trends,
comments and interventions. Staff reads start from kefu.core.scoping; each report is one
aggregate query whatever the number of rows it sums."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kefu.core.scoping import Viewer, ancestor_ids, one_or_404, visible
from kefu.core.zones import zone_of
from kefu.orgs.models import Membership, OrgUnit
from kefu.surveys import builtin
from kefu.surveys.models import Answer, Intervention, Invitation, Question, SurveyTemplate, SurveyTrigger

Status = Invitation.Status
QType = Question.Type

PERCENT = Decimal("0.1")
SCORE = Decimal("0.01")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _mean(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(SCORE, rounding=ROUND_HALF_UP)


def template_list(viewer: Viewer, *, active_only: bool = False) -> QuerySet[SurveyTemplate]:
    templates = visible(SurveyTemplate, viewer).select_related("organisation")
    return templates.filter(is_active=True) if active_only else templates


def trigger_list(viewer: Viewer) -> QuerySet[SurveyTrigger]:
    return visible(SurveyTrigger, viewer).select_related("organisation", "template")


def invitation_list(
    viewer: Viewer, *, status: str = "", since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Invitation]:
    invitations = _in_period(visible(Invitation, viewer), "send_at", since, until)
    if status:
        invitations = invitations.filter(status=status)
    return invitations.select_related("customer", "evaluated", "project", "version__template", "trigger")


def _in_period(rows: QuerySet[Any], field_name: str, since: datetime | None, until: datetime | None) -> QuerySet[Any]:
    if since is not None:
        rows = rows.filter(**{f"{field_name}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{field_name}__lt": until})
    return rows


# Response rates -----------------------------------------------------------------------------------

RATE_GROUPS: dict[str, tuple[str, str]] = {
    "template": ("version__template_id", "version__template__name"),
    "trigger": ("trigger_id", "trigger__event"),
    "project": ("project_id", "project__name"),
    "staff": ("evaluated_id", "evaluated__name"),
}


@dataclass(frozen=True)
class RateRow:
    key: int | None
    label: str
    invited: int
    skipped: int
    sent: int
    opened: int
    answered: int
    answered_within_24h: int
    open_rate: Decimal | None
    answer_rate: Decimal | None
    answer_rate_24h: Decimal | None


def response_rates(
    viewer: Viewer, *, by: str, since: datetime | None = None, until: datetime | None = None
) -> list[RateRow]:
    """Invitations asked for, sent, opened and answered (within 24 hours of sending and overall)
    per template, trigger, project or staff member, over invitations due in [since, until).
    Rates are percentages of the invitations sent."""
    key, label = RATE_GROUPS[by]
    rows = (
        _in_period(visible(Invitation, viewer), "send_at", since, until)
        .values(key, label)
        .annotate(
            invited=Count("pk"),
            skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            answered_24h=Count("pk", filter=Q(answered_at__lte=F("sent_at") + timedelta(hours=24))),
        )
        .order_by(label, key)
    )
    trigger_labels = dict(SurveyTrigger.Event.choices)
    return [
        RateRow(
            key=row[key],
            label=str(trigger_labels.get(row[label], row[label])) if by == "trigger" else row[label] or "",
            invited=row["invited"],
            skipped=row["skipped"],
            sent=row["sent"],
            opened=row["opened"],
            answered=row["answered"],
            answered_within_24h=row["answered_24h"],
            open_rate=_percent(row["opened"], row["sent"]),
            answer_rate=_percent(row["answered"], row["sent"]),
            answer_rate_24h=_percent(row["answered_24h"], row["sent"]),
        )
        for row in rows
    ]


# Aspect results -----------------------------------------------------------------------------------

RESULT_GROUPS: dict[str, tuple[str, str]] = {
    "staff": ("response__invitation__evaluated_id", "response__invitation__evaluated__name"),
    "team": ("response__invitation__evaluated__unit_id", "response__invitation__evaluated__unit__name"),
    "project": ("response__invitation__project_id", "response__invitation__project__name"),
}
SCALE = (1, 2, 3, 4, 5)


@dataclass
class AspectResult:
    code: str
    text: str
    group: str
    count: int
    average: Decimal | None
    distribution: dict[int, int]


@dataclass
class GroupResult:
    key: int | None
    label: str
    aspects: list[AspectResult] = field(default_factory=list)

    @property
    def responses(self) -> int:
        return max((a.count for a in self.aspects), default=0)

    @property
    def average(self) -> Decimal | None:
        total = sum(score * n for a in self.aspects for score, n in a.distribution.items())
        return _mean(total, sum(a.count for a in self.aspects))


def _submitted_answers(
    viewer: Viewer,
    *,
    kind: str,
    since: datetime | None,
    until: datetime | None,
    evaluated_id: int | None = None,
    project_id: int | None = None,
) -> QuerySet[Answer]:
    answers = _in_period(
        visible(Answer, viewer).filter(
            response__submitted_at__isnull=False, response__invitation__version__template__kind=kind
        ),
        "response__submitted_at",
        since,
        until,
    )
    if evaluated_id is not None:
        answers = answers.filter(response__invitation__evaluated_id=evaluated_id)
    if project_id is not None:
        answers = answers.filter(response__invitation__project_id=project_id)
    return answers


def aspect_results(
    viewer: Viewer,
    *,
    by: str,
    since: datetime | None = None,
    until: datetime | None = None,
    evaluated_id: int | None = None,
    project_id: int | None = None,
) -> list[GroupResult]:
    """Per staff member, team (the evaluated member's unit) or project: each 3-PRO aspect's
    average and distribution of scores 1–5, over surveys submitted in [since, until). One query."""
    key, label = RESULT_GROUPS[by]
    rows = (
        _submitted_answers(
            viewer,
            kind=SurveyTemplate.Kind.THREE_PRO,
            since=since,
            until=until,
            evaluated_id=evaluated_id,
            project_id=project_id,
        )
        .filter(question__type=QType.SCALE5, score__isnull=False)
        .values(key, label, "question__code", "question__group")
        .annotate(
            first_order=Min("question__order"),
            text=Min("question__text"),
            count=Count("pk"),
            **{f"s{score}": Count("pk", filter=Q(score=score)) for score in SCALE},
        )
        .order_by(label, key, "first_order", "question__code")
    )
    groups: dict[int | None, GroupResult] = {}
    for row in rows:
        group = groups.setdefault(row[key], GroupResult(key=row[key], label=row[label] or ""))
        distribution = {score: row[f"s{score}"] for score in SCALE}
        group.aspects.append(
            AspectResult(
                code=row["question__code"],
                text=row["text"],
                group=row["question__group"],
                count=row["count"],
                average=_mean(sum(s * n for s, n in distribution.items()), row["count"]),
                distribution=distribution,
            )
        )
    return list(groups.values())


# Trends -------------------------------------------------------------------------------------------

TREND_TYPES = {
    SurveyTemplate.Kind.THREE_PRO: QType.SCALE5,
    SurveyTemplate.Kind.CSAT: QType.SCALE5,
    SurveyTemplate.Kind.NPS: QType.NPS,
    SurveyTemplate.Kind.EXPERIENCE: QType.IMPORTANCE_SATISFACTION,
}


@dataclass(frozen=True)
class TrendPoint:
    month: date
    group: str
    count: int
    average: Decimal | None
    importance: Decimal | None
    nps: Decimal | None


def _month_of(field: str, first: datetime, last: datetime, zone: ZoneInfo) -> Case:
    """The month (its first day, in `zone`) of `field`, as range comparisons on the stored
    timestamps. On SQLite, TruncMonth with a time zone is a Python call per row; comparing
    against the months' bounds uses the column as it is."""
    start = first.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = last.astimezone(zone)
    cases = []
    while start <= end:
        following = (start + timedelta(days=32)).replace(day=1)
        bounds = {f"{field}__gte": start, f"{field}__lt": following}
        cases.append(When(**bounds, then=Value(start.date())))
        start = following
    return Case(*cases, output_field=DateField())


def monthly_trend(
    viewer: Viewer,
    *,
    kind: str = SurveyTemplate.Kind.THREE_PRO,
    since: datetime | None = None,
    until: datetime | None = None,
    evaluated_id: int | None = None,
    project_id: int | None = None,
) -> list[TrendPoint]:
    """Per month (in the viewer's unit's zone) and question group (P, F, A; CSAT; NPS; S): the
    average score, the average importance for experience points, and the NPS."""
    zone = zone_of(viewer.unit)
    answers = _submitted_answers(
        viewer, kind=kind, since=since, until=until, evaluated_id=evaluated_id, project_id=project_id
    ).filter(question__type=TREND_TYPES[kind], score__isnull=False)
    month: Case | TruncMonth
    if connection.vendor != "sqlite":
        # PostgreSQL converts and truncates in the database at little cost.
        month = TruncMonth("response__submitted_at", tzinfo=zone)
    else:
        if since is not None and until is not None:
            span = {"first": since, "last": until - timedelta(microseconds=1)}
        else:
            # The months to bucket into come from the data when the range is open.
            span = answers.aggregate(first=Min("response__submitted_at"), last=Max("response__submitted_at"))
            if span["first"] is None:
                return []
        month = _month_of("response__submitted_at", span["first"], span["last"], zone)
    rows = (
        answers.annotate(month=month)
        .values("month", "question__group")
        .annotate(
            count=Count("pk"),
            total=Sum("score"),
            importance_total=Sum("importance"),
            importance_count=Count("importance"),
            promoters=Count("pk", filter=Q(score__gte=builtin.NPS_PROMOTER_MIN)),
            detractors=Count("pk", filter=Q(score__lte=builtin.NPS_DETRACTOR_MAX)),
        )
        .order_by("month", "question__group")
    )
    points = []
    for row in rows:
        month = row["month"]
        count = row["count"]
        points.append(
            TrendPoint(
                month=month.astimezone(zone).date() if isinstance(month, datetime) else month,
                group=row["question__group"],
                count=count,
                average=_mean(row["total"] or 0, count),
                importance=_mean(row["importance_total"] or 0, row["importance_count"]),
                nps=_percent(row["promoters"] - row["detractors"], count) if kind == SurveyTemplate.Kind.NPS else None,
            )
        )
    return points


def comments(
    viewer: Viewer,
    *,
    kind: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    evaluated_id: int | None = None,
    project_id: int | None = None,
) -> QuerySet[Answer]:
    """What customers wrote, newest first, with the question, the customer and who was evaluated."""
    answers = _in_period(
        visible(Answer, viewer).filter(response__submitted_at__isnull=False).exclude(text=""),
        "response__submitted_at",
        since,
        until,
    )
    if kind:
        answers = answers.filter(response__invitation__version__template__kind=kind)
    if evaluated_id is not None:
        answers = answers.filter(response__invitation__evaluated_id=evaluated_id)
    if project_id is not None:
        answers = answers.filter(response__invitation__project_id=project_id)
    return answers.select_related(
        "question",
        "response__invitation__customer",
        "response__invitation__evaluated",
        "response__invitation__project",
        "response__invitation__version__template",
    ).order_by("-response__submitted_at", "question__order")


# Interventions ------------------------------------------------------------------------------------


def _interventions(viewer: Viewer) -> QuerySet[Intervention]:
    return visible(Intervention, viewer).select_related(
        "organisation",
        "invitation__customer",
        "invitation__version__template",
        "invitation__project",
        "evaluated",
        "assignee",
        "response",
    )


def open_interventions(
    viewer: Viewer, *, assignee_id: int | None = None, now: datetime | None = None
) -> QuerySet[Intervention]:
    """Open interventions, soonest due first, each with its `age` and `is_overdue`: the
    supervisor's workbench list."""
    now = now or timezone.now()
    rows = _interventions(viewer).filter(status__in=Intervention.OPEN_STATUSES)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    return rows.annotate(
        age=ExpressionWrapper(Value(now, output_field=DateTimeField()) - F("created_at"), output_field=DurationField()),
        is_overdue=ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField()),
    ).order_by("due_at", "pk")


def intervention_get(viewer: Viewer, *, pk: int) -> Intervention:
    return one_or_404(_interventions(viewer), pk=pk)


# The customer's side (the portal authenticates the customer; these are scoped to them) ----------


def invitation_for_customer(*, customer_id: int, invitation_id: int) -> Invitation:
    """An invitation the customer was sent; anything else, another customer's included, is the same 404."""
    invitations = (
        Invitation.objects.filter(customer_id=customer_id)
        .exclude(status__in=(Status.SCHEDULED, Status.SKIPPED))
        .select_related("organisation", "version__template", "evaluated", "project")
    )
    return one_or_404(invitations, pk=invitation_id)


@dataclass
class Screen:
    group: str
    title: str
    questions: list[tuple[Question, Answer | None]]


def survey_screens(invitation: Invitation) -> list[Screen]:
    """The questions of the invitation's version, one screen per group, each with the answer
    saved so far: what the portal shows and pre-fills. Two queries."""
    answers = {a.question_id: a for a in Answer.objects.filter(response__invitation=invitation)}
    screens: list[Screen] = []
    for question in invitation.version.questions.all():
        if not invitation.asks(question.code):
            continue
        if not screens or screens[-1].group != question.group:
            screens.append(Screen(group=question.group, title=question.group_title, questions=[]))
        screens[-1].questions.append((question, answers.get(question.pk)))
    return screens


# Staff pages (kefu.surveys.views) -----------------------------------------------------------------


def intervention_list(
    viewer: Viewer, *, status: str = "", assignee_id: int | None = None, now: datetime | None = None
) -> QuerySet[Intervention]:
    """Every visible intervention, open ones first (soonest due first), closed ones after
    (latest closed first); each with `age` and `is_overdue` (open and past its due time)."""
    now = now or timezone.now()
    rows = _interventions(viewer)
    if status == "open":
        rows = rows.filter(status__in=Intervention.OPEN_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    return rows.annotate(
        age=ExpressionWrapper(Value(now, output_field=DateTimeField()) - F("created_at"), output_field=DurationField()),
        is_overdue=ExpressionWrapper(
            Q(due_at__lt=now) & ~Q(status=Intervention.Status.CLOSED), output_field=BooleanField()
        ),
        is_closed=ExpressionWrapper(Q(status=Intervention.Status.CLOSED), output_field=BooleanField()),
    ).order_by("is_closed", F("closed_at").desc(nulls_first=True), "due_at", "pk")


def my_open_interventions(viewer: Membership, *, limit: int = 8, now: datetime | None = None) -> list[Intervention]:
    """The viewer's own open interventions, oldest first, with `age` and `is_overdue`: the workbench card."""
    rows = open_interventions(viewer, assignee_id=viewer.pk, now=now).order_by("created_at", "pk")
    return list(rows[:limit])


def template_overview(viewer: Viewer) -> QuerySet[SurveyTemplate]:
    """The viewer's unit's templates and those below it, each with its `current_version` number."""
    return (
        template_list(viewer)
        .annotate(current_version=Max("versions__number"))
        .order_by("-is_active", "-is_builtin", "organisation__path", "name", "pk")
    )


def template_choices(unit: OrgUnit, *, active_only: bool = True) -> QuerySet[SurveyTemplate]:
    """Templates `unit` may use (its own and those of the units above it, as triggers may), each
    with its `current_version` number."""
    templates = SurveyTemplate.objects.filter(organisation_id__in=ancestor_ids(unit))
    if active_only:
        templates = templates.filter(is_active=True)
    return (
        templates.select_related("organisation")
        .annotate(current_version=Max("versions__number"))
        .order_by("-is_builtin", "name", "pk")
    )
