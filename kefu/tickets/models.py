"""Customer voice 客户声音: tickets, their history, attachments, teams, assignment rules, canned replies."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BaseModel, OrgOwnedModel
from kefu.standards.models import RequestKind, Severity, TimeBasis


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    WECHAT = "wechat", _("WeChat")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Team(OrgOwnedModel):
    """A group of staff that tickets can be routed to; it hands them on by round robin or least load."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    name = models.CharField(_("name"), max_length=50)
    members = models.ManyToManyField(
        "orgs.Membership", verbose_name=_("members"), related_name="ticket_teams", blank=True
    )
    strategy = models.CharField(_("hand-out"), max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    # Round robin remembers who got the last ticket; the team row is locked while choosing.
    last_assignee = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("last assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class AssignmentRule(OrgOwnedModel):
    """Route new tickets of a project, building, kind or category to a team; the most specific rule wins."""

    name = models.CharField(_("name"), max_length=80)
    project = models.ForeignKey(
        "properties.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    building = models.ForeignKey(
        "properties.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices, blank=True)
    category = models.ForeignKey(
        "standards.RequestCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="rules")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CannedReply(OrgOwnedModel):
    """常用回复: a reply text with {variables}, offered to agents for matching tickets."""

    title = models.CharField(_("title"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices, blank=True)
    category = models.ForeignKey(
        "standards.RequestCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


# The open statuses as plain values, for index conditions (Meta cannot see the class's attributes).
OPEN_VALUES = ["new", "in_progress", "waiting"]


class Ticket(OrgOwnedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the customer")
        RESOLVED = "resolved", _("Resolved, revisit due")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
    DONE_STATUSES = (Status.CLOSED, Status.MERGED)

    class Satisfaction(models.IntegerChoices):
        VERY_DISSATISFIED = 1, _("Very dissatisfied")
        DISSATISFIED = 2, _("Dissatisfied")
        NEUTRAL = 3, _("Neutral")
        SATISFIED = 4, _("Satisfied")
        VERY_SATISFIED = 5, _("Very satisfied")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(
        "standards.RequestCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    unit = models.ForeignKey(
        "properties.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "properties.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("subject"), max_length=120)
    description = models.TextField(_("what the customer said"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    received_at = models.DateTimeField(_("received at"))

    # 首问负责: whoever logged the voice stays accountable until it is closed, whoever works on it.
    first_responder = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("first responder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )

    # The promise, fixed when the ticket is logged; a later change of policy does not move it.
    sla_policy = models.ForeignKey(
        "standards.SlaPolicy",
        verbose_name=_("service standard"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sla_reason = models.CharField(_("why this standard"), max_length=300, blank=True)
    time_basis = models.CharField(_("counted in"), max_length=10, choices=TimeBasis.choices, default=TimeBasis.BUSINESS)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    first_response_breached_at = models.DateTimeField(_("first response breached at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    head_escalation_due_at = models.DateTimeField(_("escalate to the unit head at"), null=True, blank=True)
    # While waiting for the customer the clocks stop; what was left is kept here.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    first_response_remaining = models.DurationField(_("first response time left"), null=True, blank=True)
    resolution_remaining = models.DurationField(_("resolution time left"), null=True, blank=True)

    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("measures taken"), blank=True)
    revisit_due_at = models.DateTimeField(_("revisit due"), null=True, blank=True)
    revisited_at = models.DateTimeField(_("revisited at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), choices=Satisfaction.choices, null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    split_from = models.ForeignKey(
        "self", verbose_name=_("split from"), null=True, blank=True, on_delete=models.PROTECT, related_name="splits"
    )
    # An API client's idempotency key: the same key within a unit never makes a second ticket.
    client_key = models.CharField(_("client key"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-received_at"], name="ticket_org_status_recv"),
            models.Index(fields=["organisation", "-received_at", "-id"], name="ticket_org_recv"),
            # The list's default order: a viewer who sees most tickets reads this index in order
            # and stops after a page, instead of sorting every ticket in scope.
            models.Index(fields=["-received_at", "-id"], name="ticket_recv"),
            # The SLA scan's candidates. Partial indexes hold only the tickets whose step is still to
            # come, so a pass costs what falls due, not what is open. Their conditions are IS NULL
            # tests (open = neither resolved nor closed, held by the constraints below) because SQLite
            # uses a partial index only when the query repeats its condition literally, and Django
            # binds other values as parameters.
            models.Index(
                fields=["resolution_warn_at"],
                condition=models.Q(
                    resolved_at__isnull=True, closed_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True
                ),
                name="ticket_scan_warn",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=models.Q(
                    resolved_at__isnull=True,
                    closed_at__isnull=True,
                    paused_at__isnull=True,
                    first_responded_at__isnull=True,
                    first_response_breached_at__isnull=True,
                ),
                name="ticket_scan_first_response",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=models.Q(
                    resolved_at__isnull=True,
                    closed_at__isnull=True,
                    paused_at__isnull=True,
                    resolution_breached_at__isnull=True,
                ),
                name="ticket_scan_resolution",
            ),
            models.Index(
                fields=["escalation_level", "head_escalation_due_at"],
                condition=models.Q(
                    resolved_at__isnull=True,
                    closed_at__isnull=True,
                    paused_at__isnull=True,
                    resolution_breached_at__isnull=False,
                ),
                name="ticket_scan_head",
            ),
            models.Index(
                fields=["received_at"],
                condition=models.Q(
                    resolved_at__isnull=True, closed_at__isnull=True, team__isnull=False, assignee__isnull=True
                ),
                name="ticket_team_queue",
            ),
            models.Index(
                fields=["revisit_due_at"],
                condition=models.Q(resolved_at__isnull=False, closed_at__isnull=True, revisit_due_at__isnull=False),
                name="ticket_revisit_due",
            ),
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer_recv"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "client_key"],
                condition=~models.Q(client_key=""),
                name="ticket_unique_client_key",
            ),
            models.CheckConstraint(condition=models.Q(escalation_level__lte=2), name="ticket_escalation_level_range"),
            # "Open" and "has an end" never disagree: the scan's indexes rely on it.
            models.CheckConstraint(
                condition=~models.Q(status__in=OPEN_VALUES)
                | models.Q(resolved_at__isnull=True, closed_at__isnull=True),
                name="ticket_open_has_no_end",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["closed", "merged"]) | models.Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False, closed_at__isnull=True),
                name="ticket_resolved_has_resolved_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="waiting") | models.Q(paused_at__isnull=False),
                name="ticket_waiting_is_paused",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | ~models.Q(merged_into=models.F("id")),
                name="ticket_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_breached(self) -> bool:
        return bool(self.resolution_breached_at or self.first_response_breached_at)


class TicketEvent(models.Model):
    """One line of a ticket's history: who did what and when. Nothing here is ever edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Logged")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to the customer")
        UPDATED = "updated", _("Details changed")
        PAUSED = "paused", _("Waiting for the customer")
        RESUMED = "resumed", _("Clock resumed")
        RESOLVED = "resolved", _("Resolved")
        REVISITED = "revisited", _("Revisited")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        MERGED = "merged", _("Merged")
        SPLIT = "split", _("Split")
        ATTACHMENT = "attachment", _("Photo added")
        WARNED = "warned", _("Due soon")
        BREACHED = "breached", _("Time promise broken")
        ESCALATED = "escalated", _("Escalated")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        "orgs.Membership", verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # Set on the events the scan writes ("breached:resolution", "escalated:1"); unique per ticket.
    scan_key = models.CharField(_("scan key"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "kind", "created_at"], name="ticketevent_ticket_kind")]
        constraints = [
            # The scan records a warning, a breach and each escalation level once per ticket, however
            # many workers run it; the database holds that line.
            models.UniqueConstraint(
                fields=["ticket", "scan_key"], condition=~models.Q(scan_key=""), name="ticketevent_scan_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    return f"tickets/{instance.ticket.organisation_id}/{instance.ticket_id}/{filename}"


class TicketAttachment(BaseModel):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TicketPresence(models.Model):
    """Who has a ticket open right now, and whether they are typing a reply; refreshed by the page."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="presences")
    member = models.ForeignKey(
        "orgs.Membership", verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+"
    )
    is_replying = models.BooleanField(_("replying"), default=False)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("ticket viewer")
        verbose_name_plural = _("ticket viewers")
        constraints = [models.UniqueConstraint(fields=["ticket", "member"], name="presence_unique_member")]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.ticket_id}"


class TicketSequence(models.Model):
    """The day's last ticket number; rows are locked while a number is taken, so numbers never repeat."""

    day = models.DateField(_("day"), unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class TicketImport(OrgOwnedModel):
    """One upload of a workbook of open tickets from an old system, and what became of it."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        VALID_ROWS = "valid_rows", _("Import valid rows only")

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        PARTIAL = "partial", _("Partly imported")
        REJECTED = "rejected", _("Rejected")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("tickets created"), default=0)
    # Rows whose external number was imported before: re-importing a file never duplicates a ticket.
    rows_skipped = models.PositiveIntegerField(_("already imported"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    # [{"row": 7, "column": "客户手机号", "message": "..."}], capped so a garbage file stays small.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # [{"row": 7, "id": 12, "number": "KS202503010001"}] of the first tickets created, for the result page.
    tickets = models.JSONField(_("tickets created"), default=list, blank=True)

    class Meta:
        verbose_name = _("ticket import")
        verbose_name_plural = _("ticket imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
