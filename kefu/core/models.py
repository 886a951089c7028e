"""Abstract bases every Kefu model builds on."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OrgOwnedModel(BaseModel):
    """A row that belongs to one organisation unit; `kefu.core.scoping` filters on it."""

    organisation = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organisation unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=True,
    )

    # The field path from this model to its OrgUnit, read by kefu.core.scoping.
    scope_field = "organisation"

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """One periodic job for one time slot. The unique slot lets many schedulers run and enqueue it once."""

    name = models.CharField(_("job"), max_length=60)
    slot = models.DateTimeField(_("slot"))
    enqueued_at = models.DateTimeField(_("enqueued at"))

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-slot"]
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduledrun_unique_slot")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"
