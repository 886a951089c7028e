"""Forms for the property pages. They check shape only; the services apply the rules and write."""

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm
from kefu.orgs.models import OrgUnit
from kefu.properties.models import Building, CommonPart, Project, Unit

MAX_FLOORS_ABOVE = 200
MAX_FLOORS_BELOW = 20


class OrgUnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth below the first (the viewer's own unit)."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        base = getattr(self, "base_depth", 0)
        return "· " * max(obj.depth - base, 0) + obj.name


class BuildingChoiceField(forms.ModelChoiceField):
    """Buildings labelled "project · building" (expects select_related("project"))."""

    def label_from_instance(self, obj: Building) -> str:
        return f"{obj.project.name} · {obj.name}"


def _area_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, max_digits=9, decimal_places=2, min_value=Decimal("0.01"))


def _set_project_and_buildings(
    form: forms.Form,
    *,
    projects: QuerySet[Project] | None,
    buildings: QuerySet[Building],
    refresh_url: str | None,
) -> None:
    """Without `projects` the project field goes (editing); with `refresh_url`, choosing a project
    reloads the building choices through htmx (the page re-renders, #building-field is swapped)."""
    if projects is None:
        del form.fields["project"]
    else:
        form.fields["project"].queryset = projects  # type: ignore[attr-defined]
        if refresh_url:
            form.fields["project"].widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#building-field",
                    "hx-select": "#building-field",
                    "hx-swap": "outerHTML",
                }
            )
    form.fields["building"].queryset = buildings  # type: ignore[attr-defined]


class ProjectForm(StyledForm):
    organisation = OrgUnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Project name"), max_length=100)
    code = forms.SlugField(
        label=_("Project code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens, unique in the organisation unit, e.g. huajing-garden"),
    )
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    district = forms.CharField(label=_("District"), max_length=50, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    planned_delivery_on = forms.DateField(
        label=_("Planned delivery date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, organisations: QuerySet[OrgUnit], base_depth: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations  # type: ignore[attr-defined]
        field.base_depth = base_depth  # type: ignore[attr-defined]


class ProjectFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class BuildingForm(StyledForm):
    code = forms.CharField(label=_("Building number"), max_length=20, help_text=_("As used in unit labels, e.g. 3"))
    name = forms.CharField(label=_("Building name"), max_length=50, help_text=_("e.g. 3栋"))
    floors_above = forms.IntegerField(
        label=_("Floors above ground"), min_value=0, max_value=MAX_FLOORS_ABOVE, initial=1
    )
    floors_below = forms.IntegerField(
        label=_("Floors below ground"), min_value=0, max_value=MAX_FLOORS_BELOW, initial=0
    )


class UnitForm(StyledForm):
    """A unit. `projects` is given only when creating: a unit never changes project."""

    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), empty_label=_("Choose a project")
    )
    building = BuildingChoiceField(
        label=_("Building"), queryset=Building.objects.none(), empty_label=_("Choose a building")
    )
    entrance = forms.CharField(label=_("Entrance"), max_length=10, required=False, help_text=_("单元, e.g. 1"))
    floor = forms.IntegerField(
        label=_("Floor"),
        min_value=-MAX_FLOORS_BELOW,
        max_value=MAX_FLOORS_ABOVE,
        help_text=_("1 is the ground floor, -1 the first basement level."),
    )
    number = forms.CharField(label=_("Unit number"), max_length=20, help_text=_("e.g. 1202"))
    gross_area = _area_field(_("Gross floor area (m²)"))
    usable_area = _area_field(_("Usable area (m²)"))
    layout = forms.CharField(label=_("Layout"), max_length=30, required=False, help_text=_("e.g. 3室2厅2卫"))
    delivery_standard = forms.ChoiceField(
        label=_("Delivery standard"), choices=Unit.DeliveryStandard.choices, initial=Unit.DeliveryStandard.SHELL
    )

    def __init__(
        self,
        *args: Any,
        buildings: QuerySet[Building],
        projects: QuerySet[Project] | None = None,
        refresh_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_project_and_buildings(self, projects=projects, buildings=buildings, refresh_url=refresh_url)


class UnitFilterForm(StyledForm):
    q = forms.CharField(label=_("Unit"), required=False, max_length=60)
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("All projects")
    )
    building = BuildingChoiceField(
        label=_("Building"), required=False, queryset=Building.objects.none(), empty_label=_("All buildings")
    )
    floor = forms.IntegerField(label=_("Floor"), required=False)
    layout = forms.ChoiceField(label=_("Layout"), required=False)
    delivery_standard = forms.ChoiceField(
        label=_("Delivery standard"),
        required=False,
        choices=[("", _("All standards")), *Unit.DeliveryStandard.choices],
    )

    def __init__(
        self,
        *args: Any,
        projects: QuerySet[Project],
        buildings: QuerySet[Building],
        layouts: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]
        self.fields["layout"].choices = [("", _("All layouts")), *((layout, layout) for layout in layouts)]  # type: ignore[attr-defined]


class CommonPartForm(StyledForm):
    """A common part. `projects` is given only when creating: a part never changes project."""

    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), empty_label=_("Choose a project")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CommonPart.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. 1单元 12层电梯厅"))
    building = BuildingChoiceField(
        label=_("Building"),
        required=False,
        queryset=Building.objects.none(),
        empty_label=_("Whole project"),
    )
    floor = forms.IntegerField(
        label=_("Floor"),
        required=False,
        min_value=-MAX_FLOORS_BELOW,
        max_value=MAX_FLOORS_ABOVE,
        help_text=_("Leave empty for a part that spans the building, such as a stairwell or the roof."),
    )

    def __init__(
        self,
        *args: Any,
        buildings: QuerySet[Building],
        projects: QuerySet[Project] | None = None,
        refresh_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_project_and_buildings(self, projects=projects, buildings=buildings, refresh_url=refresh_url)


class CommonPartFilterForm(StyledForm):
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("All projects")
    )
    building = BuildingChoiceField(
        label=_("Building"), required=False, queryset=Building.objects.none(), empty_label=_("All buildings")
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *CommonPart.Kind.choices])

    def __init__(self, *args: Any, projects: QuerySet[Project], buildings: QuerySet[Building], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["building"].queryset = buildings  # type: ignore[attr-defined]
