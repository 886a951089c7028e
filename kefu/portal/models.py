"""The customer portal's ways in (sessions, signed links, SMS codes) and its submission keys.

Secrets (session ids, link tokens, codes) are stored only as hashes: a copy of the database
lets nobody sign in as a customer. Mobiles are stored as keyed hashes for the same reason.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalSession(models.Model):
    """A signed-in phone: the cookie carries the raw id, the row only its SHA-256."""

    id_hash = models.CharField(_("session id hash"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="portal_sessions"
    )
    # How the customer came in: "link", "sms" or "wechat"; for the security review, not for logic.
    method = models.CharField(_("signed in by"), max_length=10)
    created_at = models.DateTimeField(_("created at"))
    last_seen_at = models.DateTimeField(_("last seen"))
    expires_at = models.DateTimeField(_("expires at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    revoked_at = models.DateTimeField(_("signed out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.method} {self.created_at:%Y-%m-%d %H:%M}"


class PortalLink(models.Model):
    """A signed link sent in a message: one customer, one action, one object, an expiry."""

    class Action(models.TextChoices):
        HOME = "home", _("Portal home")
        SURVEY = "survey", _("Answer a survey")
        REQUEST = "request", _("Follow a request")
        COMMISSION = "commission", _("Follow a commission")

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="portal_links"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_id = models.PositiveBigIntegerField(_("object"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    is_single_use = models.BooleanField(_("single use"), default=False)
    used_at = models.DateTimeField(_("first used at"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("times used"), default=0)

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action}:{self.object_id} for {self.customer_id}"


class PortalCode(models.Model):
    """One SMS sign-in code asked for. A row is written for unknown numbers too (nothing is sent),
    so the limits, and the answers, are the same whether or not the number is a customer's."""

    mobile_hash = models.CharField(_("mobile hash"), max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in code")
        verbose_name_plural = _("portal sign-in codes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["mobile_hash", "-created_at"], name="portalcode_mobile_recent"),
            models.Index(fields=["ip", "-created_at"], name="portalcode_ip_recent"),
        ]

    def __str__(self) -> str:
        return f"code {self.pk} {self.created_at:%Y-%m-%d %H:%M}"


class PortalSubmission(models.Model):
    """A create or submit from the portal under its Idempotency-Key: the same key from the same
    customer gives the first answer back, and the unique constraint makes a race produce one row."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="portal_submissions"
    )
    key = models.CharField(_("idempotency key"), max_length=64)
    # What was submitted (kind, unit, text, photo digests): another body under the same key is refused.
    body_hash = models.CharField(_("body hash"), max_length=64)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("portal submission")
        verbose_name_plural = _("portal submissions")
        constraints = [models.UniqueConstraint(fields=["customer", "key"], name="portalsubmission_unique_key")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.key}"
