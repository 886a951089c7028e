"""Notifications: the outbox, its delivery log, staff in-app messages, and their configuration.

A module asks for a message with `kefu.notifications.services.notify` inside its own transaction;
that writes an `OutboxMessage` row (so a rollback sends nothing), and the outbox workers deliver it
after commit (kefu.notifications.delivery). Every attempt is a `DeliveryAttempt`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.core.models import OrgOwnedModel

# ChannelConfig has a field called "settings".
USER_MODEL = settings.AUTH_USER_MODEL


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat Official Account")
    WECOM = "wecom", _("WeCom")
    WEBHOOK = "webhook", _("Webhook")


# Channels an administrator configures (in-app needs nothing).
CONFIGURABLE_CHANNELS = [c for c in Channel.values if c != Channel.INAPP]


class RecipientType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Staff member")
    ENDPOINT = "endpoint", _("Integration endpoint")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    HELD = "held", _("Held for quiet hours")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered to the recipient")
    FAILED = "failed", _("Failed")
    DEAD = "dead", _("Dead letter")
    SUPPRESSED = "suppressed", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


class OutboxMessage(OrgOwnedModel):
    """One message to one recipient on one channel. The organisation is the unit whose channel
    configuration, templates and policy apply (e.g. the ticket's unit)."""

    event = models.CharField(_("event"), max_length=60, db_index=True)
    # The occurrence of the event ("ticket:42:event:310"); with the recipient and the channel it
    # makes the idempotency key.
    source_key = models.CharField(_("source"), max_length=120)
    idempotency_key = models.CharField(_("idempotency key"), max_length=250, unique=True)
    recipient_type = models.CharField(_("recipient type"), max_length=10, choices=RecipientType.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    membership = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    recipient_name = models.CharField(_("recipient"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # What the template was rendered from, kept so that a retry after a template fix re-renders.
    context = models.JSONField(_("variables"), default=dict, blank=True)
    template = models.ForeignKey(
        "notifications.MessageTemplate",
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    template_version = models.PositiveIntegerField(_("template version"), default=0)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    provider_template = models.CharField(_("provider template"), max_length=100, blank=True)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    purpose = models.CharField(_("purpose"), max_length=20, default="service")
    counts_toward_cap = models.BooleanField(_("counts toward the daily cap"), default=False)
    # The channels still to try, in order, if this one fails for good.
    fallback = models.JSONField(_("fallback channels"), default=list, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("fallback of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fallbacks",
    )

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_owner = models.CharField(_("worker"), max_length=80, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The workers' claim reads these two partial indexes in order.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(status__in=["pending", "held"]),
            ),
            models.Index(fields=["lease_until"], name="outbox_leased", condition=Q(status="sending")),
            models.Index(fields=["organisation", "-created_at"], name="outbox_org_recent"),
            models.Index(fields=["customer", "created_at"], name="outbox_customer_day"),
            models.Index(fields=["source_key"], name="outbox_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_until__isnull=False),
                name="outbox_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.event} · {self.recipient_name}"


class DeliveryAttempt(models.Model):
    """One try at handing a message to its provider. An attempt whose worker died before it
    recorded the result is closed as "interrupted" by the worker that takes the message over."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Accepted by the provider")
        PERMANENT = "permanent", _("Refused for good")
        TEMPORARY = "temporary", _("Temporary error")
        DEFERRED = "deferred", _("Deferred by the provider")
        CONFIGURATION = "configuration", _("Configuration error")
        INTERRUPTED = "interrupted", _("Interrupted: the worker stopped")
        DELIVERED = "delivered", _("Delivery confirmed")
        UNDELIVERED = "undelivered", _("Not delivered")

    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("result"), max_length=15, choices=Outcome.choices, blank=True)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message_id", "number", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number} {self.outcome}"


class InAppNotification(models.Model):
    """A message in a staff member's bell."""

    membership = models.ForeignKey(
        "orgs.Membership", verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="inbox"
    )
    message = models.OneToOneField(
        OutboxMessage, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(_("event"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("time"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["membership", "created_at"], name="inapp_unread", condition=Q(read_at__isnull=True)),
            models.Index(fields=["membership", "-created_at"], name="inapp_recent"),
        ]

    def __str__(self) -> str:
        return self.title


class ChannelConfig(OrgOwnedModel):
    """A channel's settings for a unit and everything below it (the nearest unit's wins).
    Secrets are stored encrypted (kefu.core.crypto), or as "env:NAME" to be read from the
    environment at send time, and are never shown back."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_encrypted = models.TextField(_("secrets (encrypted)"), blank=True, editable=False)
    # Part of the provider's delivery-report URL, so that a report can only come from someone
    # who was given the URL (Aliyun's HTTP push carries no signature).
    callback_key = models.CharField(_("callback key"), max_length=64, unique=True, editable=False)
    updated_by = models.ForeignKey(
        USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("channel configuration")
        verbose_name_plural = _("channel configurations")
        ordering = ["organisation__path", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "channel"], name="channelconfig_unique_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_channel_display()}"


class MessageTemplate(OrgOwnedModel):
    """The text of one event on one channel for a unit and everything below it. Events have
    built-in Chinese texts (kefu.notifications.events); a template here replaces them."""

    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # SMS template code (SMS_123456789) or WeChat template id, as approved by the provider.
    provider_template = models.CharField(_("provider template id"), max_length=100, blank=True)
    # The provider template's parameters: {"code": "{ticket_number}"}.
    provider_params = models.JSONField(_("provider template parameters"), default=dict, blank=True)
    is_approved = models.BooleanField(_("approved by the provider"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["event", "channel", "organisation__path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "event", "channel"], name="template_unique_event_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.get_channel_display()}"


class DeliveryPolicy(OrgOwnedModel):
    """Quiet hours and the daily cap for a unit and everything below it."""

    quiet_start = models.TimeField(_("quiet hours start"), default="21:00")
    quiet_end = models.TimeField(_("quiet hours end"), default="08:00")
    daily_cap = models.PositiveSmallIntegerField(_("messages per customer per day"), default=3)

    class Meta:
        verbose_name = _("delivery policy")
        verbose_name_plural = _("delivery policies")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="deliverypolicy_unique_unit")]

    def __str__(self) -> str:
        return str(self.organisation)


class EventRoute(OrgOwnedModel):
    """Which channels an event uses, in fallback order, for a unit and everything below it."""

    event = models.CharField(_("event"), max_length=60)
    channels = models.JSONField(_("channels in order"), default=list)
    is_enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("event route")
        verbose_name_plural = _("event routes")
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["organisation", "event"], name="eventroute_unique_event")]

    def __str__(self) -> str:
        return self.event
