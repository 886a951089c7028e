"""Surveys and evaluation 评价: templates as versioned data, triggers, fatigue limits, invitations,
responses and the interventions a low score opens."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BaseModel, OrgOwnedModel


class SurveyTemplate(OrgOwnedModel):
    """What a survey asks. Its questions live in versions: editing them makes a new version, so
    every answer stays tied to the questions the customer actually saw."""

    class Kind(models.TextChoices):
        THREE_PRO = "three_pro", _("3-PRO service evaluation")
        CSAT = "csat", _("Satisfaction (CSAT)")
        NPS = "nps", _("Recommendation (NPS)")
        EXPERIENCE = "experience", _("Experience points")
        CUSTOM = "custom", _("Custom")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # A satisfaction score at or below this opens an intervention (CSAT templates).
    csat_threshold = models.PositiveSmallIntegerField(_("intervene at or below"), default=3)
    valid_days = models.PositiveSmallIntegerField(_("days the invitation stays open"), default=7)

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                condition=models.Q(is_builtin=True),
                name="surveytemplate_one_builtin_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(csat_threshold__gte=1, csat_threshold__lte=5), name="surveytemplate_threshold_1_5"
            ),
            models.CheckConstraint(condition=models.Q(valid_days__gte=1), name="surveytemplate_valid_days_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(BaseModel):
    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_field = "template__organisation"

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="surveyversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class Question(models.Model):
    class Type(models.TextChoices):
        SCALE5 = "scale5", _("Five-step scale")
        NPS = "nps", _("Recommendation, 0 to 10")
        CHOICE = "choice", _("Choice")
        TEXT = "text", _("Text")
        IMPORTANCE_SATISFACTION = "importance_satisfaction", _("Satisfaction and importance")

    version = models.ForeignKey(
        SurveyVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.CharField(_("code"), max_length=10)
    # The dimension or screen the question is shown on ("P"), and its title ("进程掌控").
    group = models.CharField(_("group"), max_length=10, blank=True)
    group_title = models.CharField(_("group title"), max_length=50, blank=True)
    text = models.CharField(_("question"), max_length=200)
    help = models.CharField(_("help text"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=30, choices=Type.choices)
    required = models.BooleanField(_("required"), default=True)
    # scale labels {"labels": {"1": "很差", …}} or choices {"choices": [{"value": "a", "label": "…"}]}.
    options = models.JSONField(_("options"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    scope_field = "version__template__organisation"

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="question_unique_code_in_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class SurveyTrigger(OrgOwnedModel):
    """Push `template` when `event` happens in this unit or below, after `delay`."""

    class Event(models.TextChoices):
        TICKET_RESOLVED = "ticket.resolved", _("A request is resolved")
        HOUSEHOLD_SIGNED = "household.signed", _("A purchase is signed")
        HOUSEHOLD_DELIVERED = "household.delivered", _("A home is handed over")
        COMMISSION_MILESTONE = "commission.milestone", _("A commission milestone is reached")

    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="triggers"
    )
    delay = models.DurationField(_("delay"), default=timedelta(0))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "event", "template"], name="surveytrigger_unique_event")
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.template}"


class FatiguePolicy(OrgOwnedModel):
    """How often a customer may be asked, for a unit and everything below it; the nearest unit's
    row wins. The intervention due time is part of the same survey policy."""

    max_invitations = models.PositiveSmallIntegerField(_("invitations at most"), default=2)
    within_days = models.PositiveSmallIntegerField(_("within days"), default=30)
    intervention_days = models.PositiveSmallIntegerField(_("interventions due within working days"), default=2)

    class Meta:
        verbose_name = _("survey fatigue policy")
        verbose_name_plural = _("survey fatigue policies")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="fatiguepolicy_unique_unit"),
            models.CheckConstraint(condition=models.Q(within_days__gte=1), name="fatiguepolicy_days_positive"),
            models.CheckConstraint(
                condition=models.Q(intervention_days__gte=1), name="fatiguepolicy_intervention_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class Invitation(OrgOwnedModel):
    """One customer asked once about one event occurrence."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        SKIPPED = "skipped", _("Not sent")

    version = models.ForeignKey(
        SurveyVersion, verbose_name=_("survey version"), on_delete=models.PROTECT, related_name="invitations"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    # The event occurrence ("ticket:42:resolved"); one invitation per customer and occurrence.
    source_key = models.CharField(_("source"), max_length=120)
    evaluated = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("staff member evaluated"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    project = models.ForeignKey(
        "properties.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trigger = models.ForeignKey(
        SurveyTrigger,
        verbose_name=_("trigger"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    subject = models.CharField(_("what is evaluated"), max_length=200)
    # The question codes this invitation asks (a commission node's aspects); empty asks them all.
    codes = models.JSONField(_("questions asked"), default=list, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    send_at = models.DateTimeField(_("send at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    skip_reason = models.CharField(_("why not sent"), max_length=300, blank=True)
    message = models.ForeignKey(
        "notifications.OutboxMessage",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-send_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "source_key"], name="invitation_unique_occurrence"),
        ]
        indexes = [
            # The sender's scan: scheduled invitations whose time has come.
            models.Index(fields=["send_at"], condition=models.Q(status="scheduled"), name="invitation_due_idx"),
            # The fatigue count: one customer's recent invitations.
            models.Index(fields=["customer", "send_at"], name="invitation_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.customer_id}"

    def asks(self, code: str) -> bool:
        """Whether this invitation asks the question: all of its version's, or the codes it names."""
        return not self.codes or code in self.codes


class Response(BaseModel):
    """The answers to one invitation. Saved as the customer goes; submitted once."""

    invitation = models.OneToOneField(
        Invitation, verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="response"
    )
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    scope_field = "invitation__organisation"

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.invitation}"


class Answer(models.Model):
    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    # The satisfaction score (scale, NPS, experience point).
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    choice = models.CharField(_("choice"), max_length=50, blank=True)
    text = models.TextField(_("comment"), blank=True)
    importance = models.SmallIntegerField(_("importance"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_field = "response__invitation__organisation"

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question__order"]
        constraints = [
            # A double submit, a second tab or a replayed request updates the one row.
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_question"),
        ]
        indexes = [models.Index(fields=["question", "score"], name="answer_question_score_idx")]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.score}"


class Intervention(OrgOwnedModel):
    """A low score followed up: the supervisor contacts the client, adjusts who does the work or
    how, and closes the case with its outcome."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Client contacted")
        ADJUSTING = "adjusting", _("Adjusting the service")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.OPEN, Status.CONTACTED, Status.ADJUSTING)

    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), on_delete=models.PROTECT, related_name="interventions"
    )
    response = models.OneToOneField(
        Response, verbose_name=_("response"), on_delete=models.PROTECT, related_name="intervention"
    )
    evaluated = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("staff member evaluated"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("followed up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # [{"code": "P1", "text": "事前充分沟通", "score": 3, "rule": "three_pro"}, …]
    reason = models.JSONField(_("reason"), default=list)
    reason_text = models.CharField(_("why"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("due at"))
    contacted_at = models.DateTimeField(_("client contacted at"), null=True, blank=True)
    contact_note = models.TextField(_("contact with the client"), blank=True)
    adjustment = models.TextField(_("what was adjusted"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["assignee", "due_at"],
                condition=models.Q(status__in=["open", "contacted", "adjusting"]),
                name="intervention_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reason_text
