"""The customer ledger 客户台账: customers, their contacts, households, grades, consent, timeline."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import BaseModel, OrgOwnedModel
from kefu.customers.identity import mask_mobile


class Grade(models.TextChoices):
    VIP = "vip", "VIP"
    A = "a", "A"
    B = "b", "B"
    C = "c", "C"


class Tag(OrgOwnedModel):
    name = models.CharField(_("tag"), max_length=30)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="tag_unique_name_in_org")]

    def __str__(self) -> str:
        return self.name


class Customer(OrgOwnedModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Stage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        SUBSCRIBED = "subscribed", _("Subscribed")
        SIGNED = "signed", _("Signed")
        AWAITING_DELIVERY = "awaiting_delivery", _("Waiting for delivery")
        DELIVERED = "delivered", _("Delivered")
        LIVING = "living", _("Living in")

    class GradeSource(models.TextChoices):
        NONE = "", _("Not graded")
        RULE = "rule", _("By rule")
        MANUAL = "manual", _("Set by hand")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    # Kept by the services for search: "zhangsan" and "zs" both find 张三.
    name_pinyin = models.CharField(_("pinyin"), max_length=300, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(_("initials"), max_length=100, blank=True, db_index=True, editable=False)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)

    grade = models.CharField(_("grade"), max_length=5, choices=Grade.choices, blank=True, db_index=True)
    grade_source = models.CharField(
        _("grade set"), max_length=10, choices=GradeSource.choices, blank=True, default=GradeSource.NONE
    )
    grade_reason = models.CharField(_("grade reason"), max_length=255, blank=True)
    grade_set_at = models.DateTimeField(_("grade set at"), null=True, blank=True)
    contribution_score = models.PositiveSmallIntegerField(
        _("contribution"), default=0, validators=[MaxValueValidator(100)]
    )
    influence_score = models.PositiveSmallIntegerField(_("influence"), default=0, validators=[MaxValueValidator(100)])
    potential_score = models.PositiveSmallIntegerField(_("potential"), default=0, validators=[MaxValueValidator(100)])

    stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECT, db_index=True
    )

    # The ID number: encrypted, found by a keyed hash, shown masked. Stored only with consent.
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)

    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), blank=True)

    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_anonymised = models.BooleanField(_("anonymised"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "name"], name="customer_org_name")]

    def __str__(self) -> str:
        return self.name


class ContactPerson(BaseModel):
    """A contact at a company customer."""

    company = models.ForeignKey(
        Customer, verbose_name=_("company"), on_delete=models.CASCADE, related_name="contact_people"
    )
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact people")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ContactMethod(BaseModel):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        PHONE = "phone", _("Landline")
        EMAIL = "email", _("Email")
        WECHAT_OPENID = "wechat_openid", _("WeChat OpenID")
        WECHAT_UNIONID = "wechat_unionid", _("WeChat UnionID")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Mobiles in E.164 without "+": "8613812345678"; other kinds as given.
    value = models.CharField(_("value"), max_length=128, db_index=True)
    last4 = models.CharField(_("last four digits"), max_length=4, blank=True, db_index=True, editable=False)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact method")
        verbose_name_plural = _("contact methods")
        ordering = ["-is_primary", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "value"], name="contact_unique_value"),
        ]

    def __str__(self) -> str:
        # Masked: str() reaches audit labels, admin pages and template debug logs.
        value = mask_mobile(self.value) if self.kind in (self.Kind.MOBILE, self.Kind.PHONE) else self.value
        return f"{self.get_kind_display()} {value}"


class Household(OrgOwnedModel):
    """A customer's relation to a unit, with the dates journeys anchor on."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CO_OWNER = "co_owner", _("Co-owner")
        TENANT = "tenant", _("Tenant")
        FAMILY = "family", _("Family member")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="households"
    )
    unit = models.ForeignKey(
        "properties.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="households"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OWNER)
    subscribed_on = models.DateField(_("subscription date"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    moved_in_on = models.DateField(_("move-in date"), null=True, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "unit"], name="household_unique_customer_unit"),
            models.CheckConstraint(
                condition=models.Q(signed_on__isnull=True)
                | models.Q(subscribed_on__isnull=True)
                | models.Q(signed_on__gte=models.F("subscribed_on")),
                name="household_signed_after_subscribed",
            ),
            models.CheckConstraint(
                condition=models.Q(delivered_on__isnull=True)
                | models.Q(signed_on__isnull=True)
                | models.Q(delivered_on__gte=models.F("signed_on")),
                name="household_delivered_after_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.unit}"


class Consent(BaseModel):
    """What a customer agreed to, how and when; a withdrawal ends it."""

    class Purpose(models.TextChoices):
        SERVICE = "service", _("Service messages")
        MARKETING = "marketing", _("Marketing and events")
        SURVEY = "survey", _("Surveys")
        ID_NUMBER = "id_number", _("Storing the ID number")

    class Channel(models.TextChoices):
        ANY = "any", _("Any channel")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone call")

    class Method(models.TextChoices):
        PAPER = "paper", _("Signed on paper")
        PORTAL = "portal", _("Customer portal")
        WECHAT = "wechat", _("WeChat")
        PHONE = "phone", _("By phone, recorded by staff")
        IMPORT = "import", _("Imported with the ledger")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ANY)
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    granted_at = models.DateTimeField(_("agreed at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence = models.CharField(_("evidence"), max_length=200, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_purpose_display()}"


class GradeRule(OrgOwnedModel):
    """An administrator's rule: scores at or above the minimums earn the grade. Lowest priority
    number is tried first; the first rule that matches decides."""

    grade = models.CharField(_("grade"), max_length=5, choices=Grade.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), default=10)
    min_contribution = models.PositiveSmallIntegerField(
        _("minimum contribution"), default=0, validators=[MaxValueValidator(100)]
    )
    min_influence = models.PositiveSmallIntegerField(
        _("minimum influence"), default=0, validators=[MaxValueValidator(100)]
    )
    min_potential = models.PositiveSmallIntegerField(
        _("minimum potential"), default=0, validators=[MaxValueValidator(100)]
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("grade rule")
        verbose_name_plural = _("grade rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ({self.priority})"


class TimelineEntry(OrgOwnedModel):
    """One thing that happened to a customer. Every module writes here through
    kefu.customers.services.timeline_record; the customer page reads it back."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("event"), max_length=50, db_index=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.CharField(_("summary"), max_length=255)
    data = models.JSONField(_("details"), default=dict, blank=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("record"), max_length=40, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="timeline_customer_time")]

    def __str__(self) -> str:
        return self.summary


class CustomerImport(OrgOwnedModel):
    """One upload of a customer ledger workbook: checked in full, previewed, then committed or cancelled."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        VALID_ROWS = "valid_rows", _("Import valid rows only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for confirmation")
        IMPORTED = "imported", _("Imported")
        PARTIAL = "partial", _("Partly imported")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    project = models.ForeignKey(
        "properties.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="customer_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    customers_created = models.PositiveIntegerField(_("new customers"), default=0)
    customers_matched = models.PositiveIntegerField(_("existing customers"), default=0)
    households_created = models.PositiveIntegerField(_("new households"), default=0)
    households_updated = models.PositiveIntegerField(_("updated households"), default=0)
    # [{"row": 7, "column": "手机号", "message": "..."}], capped so a garbage file stays small.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # The header and the original cells of the rows in `errors`, for the error report: encrypted,
    # because a failed row may hold an ID number that must not rest in clear text.
    error_rows_encrypted = models.TextField(_("rows with errors (encrypted)"), blank=True, editable=False)
    # The checked rows, so that the commit does not read the file again; ID numbers only encrypted.
    # Emptied once the import is committed, cancelled or rejected.
    rows = models.JSONField(_("checked rows"), default=list, blank=True)
    # The first rows as the preview and the result page show them (masked).
    preview = models.JSONField(_("preview"), default=list, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
