"""Forms for the service-standard pages. They check shape only; kefu.standards.services decides and writes."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import KefuError
from kefu.core.forms import StyledForm
from kefu.customers.models import Grade
from kefu.orgs.forms import TIMEZONES, UnitChoiceField
from kefu.orgs.models import OrgUnit
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, RequestKind, Severity, TimeBasis
from kefu.standards.models import WorkingPeriod as _Period

WEEKDAYS = _Period.Weekday
# Two periods make a lunch break; a third covers an evening shift.
PERIODS_PER_DAY = 3
MAX_HOURS = 24 * 365
_DAY_FIELD = re.compile(r"^day_(\d)$")


def _zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    zones = list(TIMEZONES)
    if current and current not in zones:
        zones.append(current)
    return [(zone, zone) for zone in zones]


def _any(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RequestCategory) -> str:
        return f"{obj.get_kind_display()} · {obj.name}"


# Business calendars


class CalendarCreateForm(StyledForm):
    organisation = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=60)
    timezone = forms.ChoiceField(label=_("Time zone"), initial="Asia/Shanghai")

    def __init__(self, *args: Any, organisations: QuerySet[OrgUnit], base_depth: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = organisations
        field.base_depth = base_depth
        self.fields["timezone"].choices = _zone_choices()  # type: ignore[attr-defined]


class CalendarEditForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    timezone = forms.ChoiceField(label=_("Time zone"))
    makeup_day_hours_from = forms.TypedChoiceField(
        label=_("Make-up working days work the hours of"),
        choices=WEEKDAYS.choices,
        coerce=int,
        help_text=_("A make-up working day (调休) is usually a weekend day; it follows this weekday's working hours."),
    )

    def __init__(self, *args: Any, current_timezone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _zone_choices(current_timezone)  # type: ignore[attr-defined]


def _time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class WorkingHoursForm(StyledForm):
    """Up to three periods per weekday; an empty weekday is a day off."""

    def __init__(self, *args: Any, calendar: BusinessCalendar, **kwargs: Any) -> None:
        initial: dict[str, time] = {}
        slot: dict[int, int] = {}
        for period in calendar.periods.all():
            index = slot.get(period.weekday, 0)
            if index < PERIODS_PER_DAY:
                initial[f"day_{period.weekday}_{index}_from"] = period.starts_at
                initial[f"day_{period.weekday}_{index}_until"] = period.ends_at
            slot[period.weekday] = index + 1
        super().__init__(*args, initial=initial, **kwargs)
        for weekday in WEEKDAYS.values:
            for index in range(PERIODS_PER_DAY):
                self.fields[f"day_{weekday}_{index}_from"] = _time_field(_("From"))
                self.fields[f"day_{weekday}_{index}_until"] = _time_field(_("Until"))
        # StyledForm styled the fields that existed when it ran; these came after.
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def add_service_error(self, exc: KefuError) -> None:
        # The service names a whole weekday ("day_2"); the first box of that day carries it.
        match = _DAY_FIELD.match(exc.field or "")
        self.add_error(f"day_{match[1]}_0_from" if match else None, exc.message)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for weekday in WEEKDAYS.values:
            for index in range(PERIODS_PER_DAY):
                starts, ends = f"day_{weekday}_{index}_from", f"day_{weekday}_{index}_until"
                if starts in self.errors or ends in self.errors:
                    continue
                if bool(data.get(starts)) != bool(data.get(ends)):
                    missing = ends if data.get(starts) else starts
                    self.add_error(missing, _("Enter both the start and the end of the period, or neither."))
        return data

    def hours(self) -> dict[int, list[tuple[time, time]]]:
        data = self.cleaned_data
        return {
            weekday: [
                (data[f"day_{weekday}_{i}_from"], data[f"day_{weekday}_{i}_until"])
                for i in range(PERIODS_PER_DAY)
                if data.get(f"day_{weekday}_{i}_from") and data.get(f"day_{weekday}_{i}_until")
            ]
            for weekday in WEEKDAYS.values
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per weekday for the template: its label, its period boxes and their errors."""
        rows = []
        for weekday, label in WEEKDAYS.choices:
            periods = [
                (self[f"day_{weekday}_{i}_from"], self[f"day_{weekday}_{i}_until"]) for i in range(PERIODS_PER_DAY)
            ]
            errors = [str(e) for pair in periods for bound in pair for e in bound.errors]
            rows.append({"weekday": weekday, "label": label, "periods": periods, "errors": errors})
        return rows


class CalendarDayForm(StyledForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("The day is"), choices=CalendarDay.Kind.choices, initial=CalendarDay.Kind.HOLIDAY)
    name = forms.CharField(
        label=_("Name"), max_length=40, required=False, help_text=_("e.g. 春节, 国庆节 or 公司年会; shown to agents.")
    )


class CalendarDayClearForm(StyledForm):
    date = forms.DateField(label=_("Date"))


class LoadYearForm(StyledForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class BusinessTimeForm(StyledForm):
    """The "try it" box: when would a promise of so many hours, started then, fall due?"""

    start = forms.DateTimeField(
        label=_("Logged at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    hours = forms.DecimalField(
        label=_("Promised hours"),
        min_value=Decimal("0.01"),
        max_value=MAX_HOURS,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    basis = forms.ChoiceField(label=_("Counted in"), choices=TimeBasis.choices, initial=TimeBasis.BUSINESS)

    def clean_start(self) -> datetime:
        start: datetime = self.cleaned_data["start"]
        if not 2000 <= start.year <= 2100:
            raise forms.ValidationError(_("Choose a time between 2000 and 2100."))
        return start

    def start_in(self, zone: ZoneInfo) -> datetime:
        """The wall-clock time typed in, read in the calendar's zone rather than the site's."""
        start: datetime = self.cleaned_data["start"]
        return timezone.make_naive(start).replace(tzinfo=zone)

    def duration(self) -> timedelta:
        return timedelta(minutes=int(self.cleaned_data["hours"] * 60))


# Request categories


class CategoryFilterForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[*_any(_("All kinds")), *RequestKind.choices])
    inactive = forms.BooleanField(label=_("Show inactive"), required=False)


class CategoryCreateForm(StyledForm):
    organisation = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices)
    name = forms.CharField(label=_("Name"), max_length=50, help_text=_("e.g. 水电维修, 物业服务, 交付质量."))

    def __init__(self, *args: Any, organisations: QuerySet[OrgUnit], base_depth: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = organisations
        field.base_depth = base_depth


class CategoryEditForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Inactive categories are not offered for new tickets.")
    )


# SLA policies


class HoursMinutesWidget(forms.MultiWidget):
    template_name = "standards/hours_minutes_widget.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets = (
            forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            forms.NumberInput(attrs={"step": 1, "min": 0, "max": 59, "inputmode": "numeric"}),
        )
        super().__init__(widgets, attrs)

    def decompress(self, value: timedelta | None) -> list[int | None]:
        if value is None:
            return [None, None]
        minutes = int(value.total_seconds() // 60)
        return [minutes // 60, minutes % 60]


class HoursMinutesField(forms.MultiValueField):
    """A duration typed as hours and minutes. Zero or negative passes through: the service says why not."""

    widget = HoursMinutesWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (
            forms.IntegerField(required=False, min_value=-MAX_HOURS, max_value=MAX_HOURS),
            forms.IntegerField(
                required=False,
                min_value=0,
                max_value=59,
                error_messages={
                    "min_value": _("Minutes run from 0 to 59."),
                    "max_value": _("Minutes run from 0 to 59."),
                },
            ),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[int | None]) -> timedelta | None:
        if not data_list or all(value is None for value in data_list):
            return None
        hours, minutes = (value or 0 for value in data_list)
        sign = -1 if hours < 0 else 1
        return timedelta(hours=hours) + sign * timedelta(minutes=minutes)


GRADE_CHOICES = [*_any(_("Any grade")), *Grade.choices]
KIND_CHOICES = [*_any(_("Any kind")), *RequestKind.choices]
SEVERITY_CHOICES = [*_any(_("Any severity")), *Severity.choices]


class PolicyForm(StyledForm):
    organisation = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("e.g. VIP 投诉 or 群诉."))
    grade = forms.ChoiceField(label=_("Customer grade"), choices=GRADE_CHOICES, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, required=False)
    category = CategoryChoiceField(
        label=_("Category"), queryset=RequestCategory.objects.none(), required=False, empty_label=_("Any category")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=SEVERITY_CHOICES, required=False)
    first_response_time = HoursMinutesField(label=_("First response within"))
    resolution_time = HoursMinutesField(label=_("Resolve within"))
    time_basis = forms.ChoiceField(label=_("Counted in"), choices=TimeBasis.choices, initial=TimeBasis.BUSINESS)
    warn_at_percent = forms.IntegerField(
        label=_("Warn the owner at"),
        initial=80,
        help_text=_("Per cent of the promised time used, between 1 and 99."),
    )
    head_escalation_after = HoursMinutesField(
        label=_("Escalate to the unit head after the breach by"), initial=timedelta(hours=4)
    )
    revisit_within = HoursMinutesField(label=_("Revisit within"), initial=timedelta(hours=24))
    handling_guide = forms.CharField(
        label=_("Handling guide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Shown to the agent on every ticket this standard covers: who to call, what to say, what to check."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[RequestCategory],
        organisations: QuerySet[OrgUnit] | None = None,
        base_depth: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        if organisations is None:
            del self.fields["organisation"]  # a policy stays with its unit once made
        else:
            field = self.fields["organisation"]
            assert isinstance(field, UnitChoiceField)
            field.queryset = organisations
            field.base_depth = base_depth


class PolicyFilterForm(StyledForm):
    grade = forms.ChoiceField(label=_("Customer grade"), required=False, choices=GRADE_CHOICES)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KIND_CHOICES)
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=SEVERITY_CHOICES)


class PolicyMatchForm(StyledForm):
    """A request as a ticket would describe it; blank grade means an ungraded customer."""

    unit = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none(), empty_label=None)
    grade = forms.ChoiceField(
        label=_("Customer grade"), required=False, choices=[*_any(_("Not graded")), *Grade.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices)
    category = CategoryChoiceField(
        label=_("Category"), queryset=RequestCategory.objects.none(), required=False, empty_label=_("No category")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        base_depth: int,
        categories: QuerySet[RequestCategory],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = units
        field.base_depth = base_depth
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
