"""Projects 楼盘, buildings 楼栋, units 房号 and common parts 公共部位."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kefu.core.models import OrgOwnedModel


class Project(OrgOwnedModel):
    name = models.CharField(_("project name"), max_length=100)
    code = models.SlugField(_("project code"), max_length=40)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    planned_delivery_on = models.DateField(_("planned delivery date"), null=True, blank=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="project_unique_code_in_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Building(OrgOwnedModel):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("building number"), max_length=20)
    name = models.CharField(_("building name"), max_length=50)
    floors_above = models.PositiveSmallIntegerField(_("floors above ground"), default=1)
    floors_below = models.PositiveSmallIntegerField(_("floors below ground"), default=0)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["project_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="building_unique_code_in_project"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}"


class Unit(OrgOwnedModel):
    """A saleable unit 房号. Its natural key is (project, building code, entrance, number)."""

    class DeliveryStandard(models.TextChoices):
        SHELL = "shell", _("Shell (unfinished)")
        BASIC = "basic", _("Basic finish")
        FITTED = "fitted", _("Fully fitted")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="units")
    entrance = models.CharField(_("entrance"), max_length=10, blank=True, help_text=_("单元, e.g. 1"))
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("unit number"), max_length=20, help_text=_("e.g. 1202"))
    # "3-1-1202": building-entrance-number, the way staff and owners say it.
    label = models.CharField(_("unit"), max_length=60, db_index=True, editable=False)
    gross_area = models.DecimalField(
        _("gross floor area (m²)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    usable_area = models.DecimalField(
        _("usable area (m²)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    layout = models.CharField(_("layout"), max_length=30, blank=True, help_text=_("e.g. 3室2厅2卫"))
    delivery_standard = models.CharField(
        _("delivery standard"),
        max_length=10,
        choices=DeliveryStandard.choices,
        default=DeliveryStandard.SHELL,
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["project_id", "building_id", "entrance", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "number"], name="unit_unique_number_in_building"),
            models.CheckConstraint(
                condition=models.Q(usable_area__isnull=True)
                | models.Q(gross_area__isnull=True)
                | models.Q(usable_area__lte=models.F("gross_area")),
                name="unit_usable_not_above_gross",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "id"], name="unit_org_id"),
            models.Index(fields=["project", "label"], name="unit_project_label"),
            models.Index(fields=["project", "building", "entrance", "floor", "number", "id"], name="unit_listing"),
        ]

    def __str__(self) -> str:
        return self.label

    @staticmethod
    def make_label(building_code: str, entrance: str, number: str) -> str:
        parts = [building_code, entrance, number] if entrance else [building_code, number]
        return "-".join(parts)


class CommonPart(OrgOwnedModel):
    """Shared parts inspected with the units: stairwells, lift lobbies, roofs, basements."""

    class Kind(models.TextChoices):
        LOBBY = "lobby", _("Entrance lobby")
        LIFT_LOBBY = "lift_lobby", _("Lift lobby")
        STAIRWELL = "stairwell", _("Stairwell")
        CORRIDOR = "corridor", _("Corridor")
        ROOF = "roof", _("Roof")
        BASEMENT = "basement", _("Basement / garage")
        EQUIPMENT = "equipment", _("Equipment room")
        FACADE = "facade", _("Facade")
        GROUNDS = "grounds", _("Grounds and landscaping")
        OTHER = "other", _("Other")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="common_parts"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="common_parts",
    )
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("common part")
        verbose_name_plural = _("common parts")
        ordering = ["project_id", "building_id", "floor", "name"]
        constraints = [
            # building and floor are optional; NULLs would never collide, so compare them
            # coalesced (portable to SQLite, which has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                models.F("project"),
                Coalesce(models.F("building"), models.Value(0)),
                Coalesce(models.F("floor"), models.Value(-1000)),
                models.F("name"),
                name="commonpart_unique_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(OrgOwnedModel):
    """One upload of a property workbook and what became of it."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        VALID_ROWS = "valid_rows", _("Import valid rows only")

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        PARTIAL = "partial", _("Partly imported")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("created"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    # [{"row": 7, "column": "楼层", "message": "..."}], capped so a garbage file stays small.
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
