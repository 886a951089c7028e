"""Service standards as data: business calendars, request categories and SLA policies."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import OrgOwnedModel


class RequestKind(models.TextChoices):
    """What a customer voice is; the vocabulary that policies and tickets share."""

    COMPLAINT = "complaint", _("Complaint")
    REPAIR = "repair", _("Repair")
    INQUIRY = "inquiry", _("Inquiry")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    GROUP = "group", _("Group complaint")


class TimeBasis(models.TextChoices):
    BUSINESS = "business", _("Business hours")
    CALENDAR = "calendar", _("Calendar hours")


class BusinessCalendar(OrgOwnedModel):
    """Working hours and the year's holidays of one unit; units below without their own inherit it."""

    name = models.CharField(_("name"), max_length=60)
    timezone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    # Make-up working days (调休) are usually weekends; they follow this weekday's hours.
    makeup_day_hours_from = models.PositiveSmallIntegerField(
        _("make-up days work the hours of"), default=0, help_text=_("0 = Monday … 6 = Sunday")
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["organisation__path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="calendar_one_per_unit"),
            models.CheckConstraint(
                condition=models.Q(makeup_day_hours_from__lte=6), name="calendar_makeup_weekday_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday; two per day make a lunch break."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="period_ends_after_start"
            ),
            models.UniqueConstraint(fields=["calendar", "weekday", "starts_at"], name="period_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class CalendarDay(models.Model):
    """A date that differs from its weekday: a public holiday, or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendarday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class RequestCategory(OrgOwnedModel):
    """What a voice is about (水电维修, 物业服务, 交付质量 …), per kind; policies and rules match on it."""

    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class SlaPolicy(OrgOwnedModel):
    """What a unit promises: for grade × kind × category × severity, first response and resolution times.

    Blank criteria match anything; the matcher (standards.sla.policy_match) picks the most specific.
    """

    name = models.CharField(_("name"), max_length=80)
    grade = models.CharField(_("customer grade"), max_length=5, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices, blank=True)
    category = models.ForeignKey(
        RequestCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    first_response_time = models.DurationField(_("first response within"))
    resolution_time = models.DurationField(_("resolve within"))
    time_basis = models.CharField(_("counted in"), max_length=10, choices=TimeBasis.choices, default=TimeBasis.BUSINESS)
    warn_at_percent = models.PositiveSmallIntegerField(
        _("warn the owner when this share of the time is used (per cent)"), default=80
    )
    head_escalation_after = models.DurationField(
        _("escalate to the unit head after the breach by"), default=timedelta(hours=4)
    )
    revisit_within = models.DurationField(_("revisit within"), default=timedelta(hours=24))
    handling_guide = models.TextField(_("handling guide"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["organisation__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_response_time__gt=timedelta(0)), name="policy_first_response_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_time__gt=timedelta(0)), name="policy_resolution_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_time__gte=models.F("first_response_time")),
                name="policy_resolution_after_first_response",
            ),
            models.CheckConstraint(
                condition=models.Q(warn_at_percent__gte=1, warn_at_percent__lte=99), name="policy_warn_percent_range"
            ),
            models.CheckConstraint(
                condition=models.Q(head_escalation_after__gt=timedelta(0)), name="policy_head_escalation_positive"
            ),
            models.CheckConstraint(condition=models.Q(revisit_within__gt=timedelta(0)), name="policy_revisit_positive"),
        ]

    def __str__(self) -> str:
        return self.name
