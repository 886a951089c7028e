"""Forms for the customer pages. They check shape only; the services apply the rules and write."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.forms import StyledForm, date_field
from kefu.customers.models import Consent, ContactMethod, Customer, Grade, Household, Tag
from kefu.orgs.models import OrgUnit
from kefu.properties.models import Building, Project, Unit

SCORE_MAX = 100


class OrgUnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth below the viewer's own unit."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        base = getattr(self, "base_depth", 0)
        return "· " * max(obj.depth - base, 0) + obj.name


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.label


class CustomerFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("Grade"), required=False, choices=[("", _("All grades")), *Grade.choices])
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Customer.Stage.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Customer.Kind.choices])
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("All projects")
    )
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.none(), empty_label=_("All tags"))

    def __init__(self, *args: Any, projects: QuerySet[Project], tags: QuerySet[Tag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]


class CustomerCreateForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON, widget=forms.RadioSelect
    )
    organisation = OrgUnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=30,
        required=False,
        help_text=_(
            "e.g. 138 1234 5678; other countries with their code, e.g. +852 9123 4567. Optional for companies."
        ),
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, required=False, help_text=_("Companies only.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organisations: QuerySet[OrgUnit], base_depth: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations  # type: ignore[attr-defined]
        field.base_depth = base_depth  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == Customer.Kind.PERSON and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("Enter the customer's mobile number."))
        return data


class CustomerEditForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, required=False, help_text=_("Companies only.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class HouseholdDatesForm(StyledForm):
    role = forms.ChoiceField(label=_("Role"), choices=Household.Role.choices, initial=Household.Role.OWNER)
    subscribed_on = date_field(_("Subscription date"))
    signed_on = date_field(_("Signing date"))
    delivered_on = date_field(_("Delivery date"))
    moved_in_on = date_field(_("Move-in date"))


class HouseholdAddForm(HouseholdDatesForm):
    """A unit picked project → building → unit; choosing a project or building re-renders the
    picker through htmx (`refresh_url`), so only units in the viewer's scope are ever offered."""

    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), empty_label=_("Choose a project")
    )
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), empty_label=_("Choose a building")
    )
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=_("Choose a unit"))

    field_order = ["project", "building", "unit", "role", "subscribed_on", "signed_on", "delivered_on", "moved_in_on"]

    def __init__(
        self,
        *args: Any,
        projects: QuerySet[Project],
        buildings: QuerySet[Building] | None,
        units: QuerySet[Unit] | None,
        refresh_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        if buildings is not None:
            self.fields["building"].queryset = buildings  # type: ignore[attr-defined]
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        for name in ("project", "building"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                    "hx-target": "#unit-picker",
                    "hx-select": "#unit-picker",
                    "hx-swap": "outerHTML",
                }
            )


class ContactForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactMethod.Kind.choices, initial=ContactMethod.Kind.MOBILE)
    value = forms.CharField(
        label=_("Number or address"),
        max_length=128,
        help_text=_("Mobiles: e.g. 138 1234 5678, or +852 9123 4567 for another country."),
    )
    is_primary = forms.BooleanField(label=_("Make this the primary contact of its kind"), required=False)


# Service messages need no consent, and "imported" is how the import records it, not staff.
_PURPOSES = [(value, label) for value, label in Consent.Purpose.choices if value != Consent.Purpose.SERVICE]
_METHODS = [(value, label) for value, label in Consent.Method.choices if value != Consent.Method.IMPORT]


class ConsentForm(StyledForm):
    purpose = forms.ChoiceField(label=_("Agreed to"), choices=_PURPOSES, initial=Consent.Purpose.MARKETING)
    channel = forms.ChoiceField(label=_("Channel"), choices=Consent.Channel.choices, initial=Consent.Channel.ANY)
    method = forms.ChoiceField(label=_("How they agreed"), choices=_METHODS)
    granted_at = forms.DateTimeField(
        label=_("When they agreed"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=200,
        required=False,
        help_text=_("Where the proof is kept, e.g. the form number or the call recording."),
    )


class IdNumberForm(StyledForm):
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, help_text=_("18 characters: 17 digits and a digit or X.")
    )
    consent_method = forms.ChoiceField(
        label=_("How the customer agreed to us storing it"),
        required=False,
        choices=[("", _("Choose how they agreed")), *_METHODS],
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=200,
        required=False,
        help_text=_("Where the proof is kept, e.g. the form number or the call recording."),
    )

    def __init__(self, *args: Any, has_consent: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_consent:
            del self.fields["consent_method"]
            del self.fields["evidence"]


class GradeOverrideForm(StyledForm):
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[*Grade.choices, ("", _("No grade: let the rules decide again"))], required=False
    )
    note = forms.CharField(
        label=_("Why"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Shown with the grade.")
    )


class ScoresForm(StyledForm):
    contribution = forms.IntegerField(label=_("Contribution"), min_value=0, max_value=SCORE_MAX)
    influence = forms.IntegerField(label=_("Influence"), min_value=0, max_value=SCORE_MAX)
    potential = forms.IntegerField(label=_("Potential"), min_value=0, max_value=SCORE_MAX)


class ContactPersonForm(StyledForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, help_text=_("e.g. 138 1234 5678, or +852 9123 4567.")
    )
    email = forms.EmailField(label=_("Email"), required=False)
