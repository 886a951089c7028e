"""The personal-data audit log: append-only, each row chained to the previous by a hash."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Rows younger than this are never removed (the Cybersecurity Law asks for six months).
RETENTION_DAYS = 186


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        REVEAL = "reveal", _("Revealed in full")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        MERGE = "merge", _("Merged")
        ERASE = "erase", _("Erased on request")

    # The position in the chain; gaps or reordering break verification.
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("performed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("performed by"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("record type"), max_length=50, db_index=True)
    object_id = models.CharField(_("record"), max_length=40, db_index=True)
    object_label = models.CharField(_("record name"), max_length=200, blank=True)
    # {"field": {"old": masked, "new": masked}}: sensitive values are stored masked, never raw.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    scope_field = "organisation"

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["object_type", "object_id", "sequence"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"
