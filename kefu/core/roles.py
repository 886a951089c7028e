"""Staff roles. The access table and the action table are written in terms of these."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Service agent")
    SUPERVISOR = "supervisor", _("Service supervisor")
    ENGAGEMENT_MANAGER = "engagement_manager", _("Engagement manager")
    INSPECTOR = "inspector", _("Inspector")
    CONTRACTOR = "contractor", _("Contractor")
    EXECUTIVE = "executive", _("Executive")
    ADMIN = "admin", _("Administrator")


ALL_ROLES: frozenset[str] = frozenset(Role.values)
