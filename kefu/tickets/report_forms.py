"""Filters of the daily complaint report and the supervisors' queue; shape only."""

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm
from kefu.orgs.models import OrgUnit
from kefu.standards.models import RequestKind

ALL_KINDS = "all"


class UnitField(forms.ModelChoiceField):
    """Units in tree order, indented by depth below the viewer's own unit."""

    base_depth = 0

    def label_from_instance(self, obj: OrgUnit) -> str:
        return "· " * max(obj.depth - self.base_depth, 0) + obj.name


class DailyReportForm(StyledForm):
    unit = UnitField(label=_("Organisation unit"), required=False, queryset=OrgUnit.objects.none(), empty_label=None)
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[*RequestKind.choices, (ALL_KINDS, _("All kinds"))],
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], base_depth: int, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitField)
        field.queryset = units
        field.base_depth = base_depth
        self.today = today
        self.fields["day"].widget.attrs["max"] = today.isoformat()

    def clean_day(self) -> date | None:
        day: date | None = self.cleaned_data.get("day")
        if day is not None and day > self.today:
            raise forms.ValidationError(_("Choose today or a day before it."))
        return day
