"""Staff accounts, the security event log and the login policy."""

from functools import cached_property
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BaseModel

if TYPE_CHECKING:
    from kefu.orgs.models import Membership


class User(AbstractUser):
    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def active_membership(self) -> "Membership | None":
        """The staff membership the user acts through, with roles prefetched; None if none."""
        from kefu.orgs.selectors import membership_for_user

        return membership_for_user(user=self)


class SecurityEvent(models.Model):
    """Append-only record of authentication events: who, what, when, from where."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOCKED_OUT = "locked_out", _("Account locked")
        LOGOUT = "logout", _("Logout")
        SESSION_EXPIRED = "session_expired", _("Session expired (idle)")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by administrator")
        USER_DISABLED = "user_disabled", _("Account disabled")
        USER_ENABLED = "user_enabled", _("Account enabled")
        TOKEN_ISSUED = "token_issued", _("API token issued")

    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices, db_index=True)
    username = models.CharField(_("username"), max_length=150, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        User, verbose_name=_("performed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["username", "kind", "created_at"], name="secevent_user_kind_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}"


class SecurityPolicy(BaseModel):
    """Login policy of a top-level organisation, set by its administrators."""

    organisation = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    idle_timeout_minutes = models.PositiveIntegerField(
        _("idle timeout (minutes)"),
        default=30,
        help_text=_("Staff who do nothing for this long are signed out."),
    )

    scope_field = "organisation"

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__gte=5, idle_timeout_minutes__lte=24 * 60),
                name="securitypolicy_idle_timeout_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation)
