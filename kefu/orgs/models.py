"""The organisation tree and the staff who belong to it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BaseModel
from kefu.core.roles import Role

# Each level of the materialised path is a fixed-width base-10 segment plus a dot, so a
# prefix match never confuses unit 1 with unit 12.
PATH_SEGMENT_WIDTH = 6


class OrgUnit(BaseModel):
    class Kind(models.TextChoices):
        GROUP = "group", _("Group")
        CITY_COMPANY = "city_company", _("City company")
        PROJECT_TEAM = "project_team", _("Project team")
        DEPARTMENT = "department", _("Department")
        CONSULTANCY = "consultancy", _("Consultancy")

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "000001.000004." for unit 4 under unit 1; kept by services, never by save().
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    timezone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    # The last step of an escalation: tickets breached long enough reach the unit's head.
    head = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("unit head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_name_in_parent"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="orgunit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_descendant_of(self, other: "OrgUnit") -> bool:
        return self.path.startswith(other.path)

    def is_in_line_with(self, other: "OrgUnit") -> bool:
        """`other` is this unit, above it or below it: the units whose settings can meet this one's."""
        return self.is_descendant_of(other) or other.is_descendant_of(self)


class Membership(BaseModel):
    """A staff member's place in the organisation: their unit, roles and contact details."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    name = models.CharField(_("full name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    # The member's userid in the company's WeCom (企业微信), for application messages.
    wecom_userid = models.CharField(_("WeCom user ID"), max_length=64, blank=True)

    scope_field = "unit"

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def role_set(self) -> frozenset[str]:
        # Read through .all() so a prefetch_related("role_grants") serves it without a query.
        return frozenset(grant.role for grant in self.role_grants.all())

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in sorted(self.role_set)]


class RoleGrant(models.Model):
    membership = models.ForeignKey(
        Membership, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="rolegrant_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} · {self.get_role_display()}"
