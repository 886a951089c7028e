"""Client commissions 委托: commission types with their milestone templates, the commissions a
consultancy runs for its clients, their nodes, deliverables, risks and changes of plan, the
evaluations the client is asked for, and the follow-up tasks after delivery."""

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import BaseModel, OrgOwnedModel

# The nine 3-PRO aspects a node may ask the client to rate (the built-in survey's codes).
ASPECT_CODES = ("P1", "P2", "P3", "F1", "F2", "F3", "A1", "A2", "A3")


class Owner(models.TextChoices):
    MANAGER = "manager", _("Engagement manager")
    MEMBER = "member", _("Team member")
    CLIENT = "client", _("Client")


class CommissionType(OrgOwnedModel):
    """A kind of commission (抵押评估, 可行性研究…) and how its work runs: the milestone nodes and
    the follow-up after delivery. Defined in a unit, used there and below."""

    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    # The nodes must be completed in their order (an appraisal cannot report before the site visit).
    strict_order = models.BooleanField(_("nodes in order"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("commission type")
        verbose_name_plural = _("commission types")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="commissiontype_unique_name")]

    def __str__(self) -> str:
        return self.name


class NodeTemplate(models.Model):
    """One milestone of a commission type: when it falls due, the standard of what must be done
    there, who does it, what the client hears and which 3-PRO aspects the client rates."""

    type = models.ForeignKey(
        CommissionType, verbose_name=_("commission type"), on_delete=models.CASCADE, related_name="nodes"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("node"), max_length=60)
    # Planned this many days after the commission starts.
    offset_days = models.PositiveSmallIntegerField(_("days after start"))
    standard = models.TextField(_("standard"), blank=True)
    owner = models.CharField(_("owner"), max_length=10, choices=Owner.choices, default=Owner.MANAGER)
    push_text = models.CharField(_("message to the client"), max_length=200, blank=True)
    client_action = models.CharField(_("needed from the client"), max_length=200, blank=True)
    aspects = models.JSONField(_("aspects the client rates"), default=list, blank=True)

    scope_field = "type__organisation"

    class Meta:
        verbose_name = _("node template")
        verbose_name_plural = _("node templates")
        ordering = ["type", "order"]
        constraints = [models.UniqueConstraint(fields=["type", "order"], name="nodetemplate_unique_order")]

    def __str__(self) -> str:
        return self.name


class FollowUpTemplate(models.Model):
    """A task for the manager a number of days after delivery: follow-up 事后跟踪 (how the
    deliverable was used, any new need) or extended service 服务延伸 (e.g. registering the mortgage)."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", pgettext_lazy("commission task", "Follow-up")
        EXTENDED = "extended", _("Extended service")

    type = models.ForeignKey(
        CommissionType, verbose_name=_("commission type"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    days_after = models.PositiveSmallIntegerField(_("days after delivery"))
    title = models.CharField(_("task"), max_length=100)
    instructions = models.TextField(_("instructions"), blank=True)

    scope_field = "type__organisation"

    class Meta:
        verbose_name = _("follow-up template")
        verbose_name_plural = _("follow-up templates")
        ordering = ["type", "days_after", "id"]

    def __str__(self) -> str:
        return self.title


class Commission(OrgOwnedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.ACTIVE, Status.DELIVERED)

    number = models.CharField(_("number"), max_length=20, unique=True)
    type = models.ForeignKey(
        CommissionType, verbose_name=_("commission type"), on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.PROTECT, related_name="commissions"
    )
    # The people at the client who hear of every node and evaluate the service (ledger customers).
    contacts = models.ManyToManyField(
        "customers.Customer", verbose_name=_("client contacts"), blank=True, related_name="commission_contacts"
    )
    title = models.CharField(_("title"), max_length=120)
    purpose = models.TextField(_("purpose"), blank=True)
    core_need = models.TextField(_("core need"), blank=True)
    core_need_confirmed_on = models.DateField(_("core need confirmed in writing on"), null=True, blank=True)
    manager = models.ForeignKey(
        "orgs.Membership", verbose_name=_("engagement manager"), on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField("orgs.Membership", verbose_name=_("team members"), blank=True, related_name="+")
    project = models.ForeignKey(
        "properties.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fee_amount = models.DecimalField(_("fee (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # The caller's idempotency key: a retried create returns the first commission.
    client_key = models.CharField(_("idempotency key"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "client_key"], condition=~models.Q(client_key=""), name="commission_unique_key"
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__isnull=True) | models.Q(due_on__gte=models.F("starts_on")),
                name="commission_due_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(fee_amount__isnull=True) | models.Q(fee_amount__gte=0),
                name="commission_fee_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="commission_org_status_idx"),
            models.Index(fields=["manager", "status"], name="commission_manager_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Node(BaseModel):
    """One milestone of one commission, copied from its type's template when the commission is
    created so later template edits do not move work already planned."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not started")
        ACTIVE = "active", _("In progress")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    OPEN_STATUSES = (Status.PENDING, Status.ACTIVE)

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="nodes"
    )
    template = models.ForeignKey(
        NodeTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("node"), max_length=60)
    standard = models.TextField(_("standard"), blank=True)
    owner_kind = models.CharField(_("owner"), max_length=10, choices=Owner.choices, default=Owner.MANAGER)
    owner = models.ForeignKey(
        "orgs.Membership", verbose_name=_("done by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    push_text = models.CharField(_("message to the client"), max_length=200, blank=True)
    client_action = models.CharField(_("needed from the client"), max_length=200, blank=True)
    aspects = models.JSONField(_("aspects the client rates"), default=list, blank=True)
    planned_on = models.DateField(_("planned on"))
    actual_on = models.DateField(_("done on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(_("notes"), blank=True)
    # Stamped once by the guarded update that sends the push and the late escalation.
    reached_at = models.DateTimeField(_("client told at"), null=True, blank=True)
    late_at = models.DateTimeField(_("escalated late at"), null=True, blank=True)
    # Days late when done (actual − planned, never below 0); kept for the statistics.
    delay_days = models.IntegerField(_("days late"), null=True, blank=True)

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("milestone node")
        verbose_name_plural = _("milestone nodes")
        ordering = ["commission", "order"]
        constraints = [models.UniqueConstraint(fields=["commission", "order"], name="node_unique_order")]
        indexes = [
            # The late scan: open nodes past their planned day that nobody has escalated yet.
            models.Index(
                fields=["planned_on"],
                condition=models.Q(status__in=["pending", "active"], late_at__isnull=True),
                name="node_late_scan_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_overdue(self, today: date) -> bool:
        """Still open after its planned day (`today` in the unit's zone)."""
        return self.status in self.OPEN_STATUSES and self.planned_on < today


class Deliverable(BaseModel):
    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="deliverables"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deliverables"
    )
    name = models.CharField(_("name"), max_length=120)
    file = models.FileField(_("file"), upload_to="engagements/%Y/%m/")
    size = models.PositiveIntegerField(_("size"), default=0)
    is_shared = models.BooleanField(_("the client can see it"), default=True)
    uploaded_by = models.ForeignKey(
        "orgs.Membership", verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def download_name(self) -> str:
        """The name to save the file under: the given name, with the stored file's extension."""
        extension = self.file.name.rsplit(".", 1)[-1] if "." in self.file.name else ""
        if not extension or self.name.endswith(f".{extension}"):
            return self.name
        return f"{self.name}.{extension}"


class Risk(BaseModel):
    class Level(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="risks"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), null=True, blank=True, on_delete=models.SET_NULL, related_name="risks"
    )
    description = models.CharField(_("risk"), max_length=300)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    mitigation = models.TextField(_("mitigation"), blank=True)
    raised_by = models.ForeignKey(
        "orgs.Membership", verbose_name=_("raised by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["closed_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.description


class PlanChange(BaseModel):
    """A change of plan 方案调整 when the market or policy moves: the reason and the nodes' new
    dates, shown to the client on the progress page."""

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="plan_changes"
    )
    reason = models.TextField(_("reason"))
    # [{"node": 12, "name": "现场查勘", "from": "2026-11-20", "to": "2026-11-27"}, …]
    changes = models.JSONField(_("changes"), default=list)
    actor = models.ForeignKey(
        "orgs.Membership", verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("change of plan")
        verbose_name_plural = _("changes of plan")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reason[:40]


class CommissionEvent(models.Model):
    """Every state change of a commission, by whom: the commission's history and the record the
    statistics and the audit read."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Commission created")
        UPDATED = "updated", _("Details changed")
        NODE_STARTED = "node_started", _("Node started")
        NODE_DONE = "node_done", _("Node done")
        NODE_SKIPPED = "node_skipped", _("Node skipped")
        NODE_LATE = "node_late", _("Node late, escalated")
        PUSHED = "pushed", _("Client told")
        UNREACHABLE = "unreachable", _("Client could not be reached")
        PLAN_CHANGED = "plan_changed", _("Plan changed")
        EVALUATION_SENT = "evaluation_sent", _("Evaluation requested")
        DELIVERABLE_ADDED = "deliverable_added", _("Deliverable added")
        RISK_RAISED = "risk_raised", _("Risk raised")
        RISK_CLOSED = "risk_closed", _("Risk closed")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        TASK_DONE = "task_done", _("Follow-up done")

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="events"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        "orgs.Membership", verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("commission event")
        verbose_name_plural = _("commission events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Evaluation(models.Model):
    """A survey invitation sent about a commission: at a node (the aspects its template names) or
    at close (all nine). Ties the survey's answers to the commission for the statistics."""

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="evaluations"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("node"), null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )
    invitation = models.OneToOneField(
        "surveys.Invitation", verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="commission_link"
    )
    evaluated = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("staff member evaluated"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"))

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("commission evaluation")
        verbose_name_plural = _("commission evaluations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["evaluated", "created_at"], name="evaluation_evaluated_idx")]

    def __str__(self) -> str:
        return f"{self.commission_id} · {self.invitation_id}"


class FollowUpTask(BaseModel):
    """A follow-up or extended-service task scheduled for the manager when the commission is delivered."""

    commission = models.ForeignKey(
        Commission, verbose_name=_("commission"), on_delete=models.CASCADE, related_name="tasks"
    )
    template = models.ForeignKey(
        FollowUpTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpTemplate.Kind.choices)
    title = models.CharField(_("task"), max_length=100)
    instructions = models.TextField(_("instructions"), blank=True)
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        "orgs.Membership", verbose_name=_("assignee"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        "orgs.Membership", verbose_name=_("done by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(_("outcome"), blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    scope_field = "commission__organisation"

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done_at", "due_on", "id"]
        constraints = [
            # Delivering twice (a retry, a reopened commission) schedules each task once.
            models.UniqueConstraint(fields=["commission", "template"], name="followuptask_unique_template"),
        ]
        indexes = [
            models.Index(fields=["assignee", "due_on"], condition=models.Q(done_at__isnull=True), name="task_open_idx")
        ]

    def __str__(self) -> str:
        return self.title


class CommissionSequence(models.Model):
    """The last commission number given out on a day (WT202611230001)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("commission number sequence")
        verbose_name_plural = _("commission number sequences")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class ScorecardWeights(OrgOwnedModel):
    """How a professional's scorecard weighs into appraisal, for a unit and below (the nearest
    unit's row wins). Percentages that add up to 100."""

    on_time_weight = models.PositiveSmallIntegerField(_("milestones on time (%)"), default=30)
    evaluation_weight = models.PositiveSmallIntegerField(_("3-PRO evaluation (%)"), default=50)
    response_weight = models.PositiveSmallIntegerField(_("client response to evaluations (%)"), default=10)
    intervention_weight = models.PositiveSmallIntegerField(_("interventions closed (%)"), default=10)
    updated_by = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("scorecard weights")
        verbose_name_plural = _("scorecard weights")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="scorecardweights_unique_unit"),
            models.CheckConstraint(
                condition=models.Q(
                    on_time_weight__lte=100,
                    evaluation_weight__lte=100,
                    response_weight__lte=100,
                    intervention_weight__lte=100,
                ),
                name="scorecardweights_percentages",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)
