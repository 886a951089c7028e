"""Forms for the organisation pages. They check shape only; kefu.orgs.services decides and writes."""

from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.forms import StyledForm
from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit

# Time zones a Chinese developer's units are likely to use; a unit already on another zone keeps it.
TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Tokyo",
    "Europe/London",
    "America/Los_Angeles",
)

PHONE = RegexValidator(r"^\+?[0-9][0-9 -]{4,18}$", _("Enter a phone number: digits, spaces and dashes."))


class UnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth so the select reads like the tree."""

    def __init__(self, *args: Any, base_depth: int = 0, **kwargs: Any) -> None:
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: OrgUnit) -> str:
        indent = "\u2003" * max(obj.depth - self.base_depth, 0)
        return f"{indent}{obj.name}"


def _role_choices() -> list[tuple[str, str]]:
    return list(Role.choices)


class UnitForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and dashes; unique across the whole organisation, e.g. shenzhen-bay."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnit.Kind.choices)
    parent = UnitChoiceField(label=_("Parent unit"), queryset=OrgUnit.objects.none(), empty_label=None)
    timezone = forms.ChoiceField(label=_("Time zone"), initial="Asia/Shanghai")

    def __init__(
        self,
        *args: Any,
        parents: QuerySet[OrgUnit] | None,
        base_depth: int,
        current_timezone: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if parents is None:
            # The viewer's own top unit: its parent lies outside their scope, so it stays put.
            del self.fields["parent"]
        else:
            parent_field = self.fields["parent"]
            assert isinstance(parent_field, UnitChoiceField)
            parent_field.queryset = parents
            parent_field.base_depth = base_depth
        zones = list(TIMEZONES)
        if current_timezone and current_timezone not in zones:
            zones.append(current_timezone)
        self.fields["timezone"].choices = [(zone, zone) for zone in zones]  # type: ignore[attr-defined]


class StaffFilterForm(StyledForm):
    """The filters above the staff list. Invalid values are ignored, never an error page."""

    STATUS_CHOICES = (("", _("All accounts")), ("active", _("Active")), ("disabled", _("Disabled")))

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = UnitChoiceField(
        label=pgettext_lazy("organisation", "Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=pgettext_lazy("organisation", "All units"),
    )
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], base_depth: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, UnitChoiceField)
        unit_field.queryset = units
        unit_field.base_depth = base_depth
        self.fields["role"].choices = [("", _("All roles")), *_role_choices()]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for kefu.orgs.selectors.staff_list."""
        data = self.cleaned_data if self.is_valid() else {}
        unit = data.get("unit")
        status = data.get("status")
        return {
            "unit_id": unit.pk if unit else None,
            "role": data.get("role") or None,
            "query": (data.get("q") or "").strip() or None,
            "is_active": {"active": True, "disabled": False}.get(status or ""),
        }


class StaffForm(StyledForm):
    """Create (with username and password) or edit (without) a staff member."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Used to sign in. Letters, digits and @ . + - _ only."),
    )
    name = forms.CharField(label=_("Full name"), max_length=50)
    unit = UnitChoiceField(
        label=pgettext_lazy("organisation", "Unit"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=_role_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose at least one role.")},
    )
    title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False, validators=[PHONE])
    employee_no = forms.CharField(label=_("Employee number"), max_length=30, required=False)
    wecom_userid = forms.CharField(
        label=_("WeCom user ID"),
        max_length=64,
        required=False,
        help_text=_("The member's account in the company's WeCom (企业微信), for messages sent there."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], base_depth: int, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, UnitChoiceField)
        unit_field.queryset = units
        unit_field.base_depth = base_depth
        if not creating:
            for name in ("username", "password", "password_confirm"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data
