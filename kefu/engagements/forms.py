"""Forms of the commission pages. They check shape only; kefu.engagements.services applies the
rules and writes. Field names match the `field` the services name in their errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.forms import StaffChoiceField, StaffMultipleChoiceField, StyledForm, date_field
from kefu.customers.models import Customer
from kefu.engagements.models import Commission, CommissionType, FollowUpTemplate, Node, Owner, Risk
from kefu.orgs.models import Membership
from kefu.properties.models import Project
from kefu.surveys import builtin

ASPECT_CHOICES = [
    (code, f"{code} {name}") for _group, _title, aspects in builtin.THREE_PRO_DIMENSIONS for code, name, _h in aspects
]


def _text(label: Any, *, required: bool = True, rows: int = 3, max_length: int = 4000, **kwargs: Any) -> Any:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), **kwargs
    )


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


# Lists


class CommissionFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Commission.Status.choices]
    )
    type = forms.ModelChoiceField(
        label=_("Commission type"), required=False, queryset=CommissionType.objects.none(), empty_label=_("All types")
    )
    manager = StaffChoiceField(
        label=_("Engagement manager"), required=False, queryset=Membership.objects.none(), empty_label=_("Anyone")
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    late = forms.BooleanField(label=_("Late only"), required=False)

    def __init__(self, *args: Any, types: QuerySet[CommissionType], staff: QuerySet[Membership], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_queryset(self, "type", types)
        _set_queryset(self, "manager", staff)
        self.fields["q"].widget.attrs["placeholder"] = _("Number, title or client")


class TaskFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open")), ("all", _("Open and done"))],
    )
    assignee = StaffChoiceField(
        label=_("Assignee"), required=False, queryset=Membership.objects.none(), empty_label=_("Anyone")
    )

    def __init__(self, *args: Any, staff: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "assignee", staff)


# A commission


class CommissionForm(StyledForm):
    """Open or edit a commission. The client comes from the picker (radio buttons of the search
    results); contacts are checkboxes over the chosen ones and those found, but validation accepts
    any customer of the viewer's ledger."""

    type = forms.ModelChoiceField(label=_("Commission type"), queryset=CommissionType.objects.none())
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Customer.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"required": _("Find and choose the client first.")},
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    purpose = _text(_("Purpose"), required=False, rows=2)
    core_need = _text(
        _("Core need"),
        required=False,
        help_text=_("What the client most needs from this commission, in their words."),
    )
    core_need_confirmed_on = date_field(_("Core need confirmed in writing on"))
    manager = StaffChoiceField(label=_("Engagement manager"), queryset=Membership.objects.none())
    members = StaffMultipleChoiceField(
        label=_("Team members"),
        required=False,
        queryset=Membership.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Hold Ctrl (⌘) to choose several."),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Client contacts"),
        required=False,
        queryset=Customer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They hear of every node and evaluate the service. Left empty, a person client is the contact."),
    )
    starts_on = date_field(_("Starts on"), required=True)
    due_on = date_field(_("Due on"), help_text=_("Left empty, the last node's planned date."))
    fee_amount = forms.DecimalField(label=_("Fee (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2)
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("No project")
    )
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        types: QuerySet[CommissionType],
        customers: QuerySet[Customer],
        offered_clients: Iterable[Customer],
        offered_contacts: Iterable[Customer],
        staff: QuerySet[Membership],
        projects: QuerySet[Project],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "type", types)
        _set_queryset(self, "client", customers)
        _set_queryset(self, "contacts", customers)
        _set_queryset(self, "manager", staff)
        _set_queryset(self, "members", staff)
        _set_queryset(self, "project", projects)
        # Validation accepts any visible customer; the page lists only the chosen and those found.
        self.fields["client"].widget.choices = [(c.pk, c.name) for c in offered_clients]
        self.fields["contacts"].widget.choices = [(c.pk, c.name) for c in offered_contacts]
        self.fields["client"].widget.attrs["class"] = "form-check-input"
        self.fields["contacts"].widget.attrs["class"] = "form-check-input"
        if editing:
            for name in ("type", "client", "starts_on", "client_key"):
                del self.fields[name]


class NodeCompleteForm(StyledForm):
    actual_on = date_field(_("Done on"), required=True)
    note = _text(_("Notes"), required=False, rows=2)


class NodeSkipForm(StyledForm):
    reason = forms.CharField(label=_("Why is it skipped?"), max_length=500)


class PlanChangeForm(StyledForm):
    """The reason and a new date for each open node (field `date_<node id>`)."""

    reason = _text(_("Reason for the change"), help_text=_("The client sees it on the progress page."))

    def __init__(self, *args: Any, nodes: Iterable[Node], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = list(nodes)
        for node in self.nodes:
            field = date_field(node.name, required=True)
            field.initial = node.planned_on
            field.widget.attrs["class"] = "form-control"
            self.fields[f"date_{node.pk}"] = field

    def dates(self) -> dict[int, Any]:
        return {node.pk: self.cleaned_data[f"date_{node.pk}"] for node in self.nodes}

    def date_fields(self) -> list[tuple[Node, Any]]:
        return [(node, self[f"date_{node.pk}"]) for node in self.nodes]


def _node_choices(nodes: Iterable[Node]) -> list[tuple[str, str]]:
    return [("", _("Whole commission")), *((str(n.pk), f"{n.order}. {n.name}") for n in nodes)]


class DeliverableForm(StyledForm):
    file = forms.FileField(label=_("File"))
    name = forms.CharField(label=_("Name"), required=False, max_length=120, help_text=_("Left empty, the file's name."))
    node = forms.ChoiceField(label=_("Node"), required=False)
    is_shared = forms.BooleanField(label=_("The client can see it"), required=False, initial=True)

    def __init__(self, *args: Any, nodes: Iterable[Node], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = _node_choices(nodes)  # type: ignore[attr-defined]


class RiskForm(StyledForm):
    description = forms.CharField(label=_("Risk"), max_length=300)
    level = forms.ChoiceField(label=_("Level"), choices=Risk.Level.choices, initial=Risk.Level.MEDIUM)
    mitigation = _text(_("Mitigation"), required=False, rows=2)
    node = forms.ChoiceField(label=_("Node"), required=False)

    def __init__(self, *args: Any, nodes: Iterable[Node], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = _node_choices(nodes)  # type: ignore[attr-defined]


class CancelForm(StyledForm):
    reason = forms.CharField(label=_("Why is the commission cancelled?"), max_length=500)


class TaskCompleteForm(StyledForm):
    outcome = _text(_("Outcome"), rows=2, max_length=2000, help_text=_("How the deliverable was used, any new need."))


# Commission types


class TypeForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = _text(_("Description"), required=False, rows=2)
    strict_order = forms.BooleanField(label=_("Nodes must be done in order"), required=False, initial=True)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["is_active"]


class NodeTemplateForm(StyledForm):
    name = forms.CharField(label=_("Node"), max_length=60)
    offset_days = forms.IntegerField(label=_("Days after start"), min_value=0, max_value=3650)
    standard = _text(_("Standard"), required=False, rows=2)
    owner = forms.ChoiceField(
        label=pgettext_lazy("commission node", "Owner"), choices=Owner.choices, initial=Owner.MANAGER
    )
    push_text = forms.CharField(label=_("Message to the client"), required=False, max_length=200)
    client_action = forms.CharField(label=_("Needed from the client"), required=False, max_length=200)
    aspects = forms.MultipleChoiceField(
        label=_("Aspects the client rates"),
        required=False,
        choices=ASPECT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )


class FollowUpTemplateForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=FollowUpTemplate.Kind.choices, initial=FollowUpTemplate.Kind.FOLLOW_UP
    )
    days_after = forms.IntegerField(label=_("Days after delivery"), min_value=0, max_value=3650)
    title = forms.CharField(label=_("Task"), max_length=100)
    instructions = _text(_("Instructions"), required=False, rows=2)


class RowFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """Rows of a type's template; a blank extra row or one marked for deletion is not a row."""

    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        """(form index, cleaned data) of the rows to keep, in order."""
        found = []
        for index, form in enumerate(self.forms):
            is_blank_extra = index >= self.initial_form_count() and not form.has_changed()
            if is_blank_extra or self._should_delete_form(form):
                continue
            data = {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            found.append((index, data))
        return found


NodeTemplateFormSet = forms.formset_factory(
    NodeTemplateForm, formset=RowFormSet, extra=3, can_delete=True, max_num=30, validate_max=True
)
FollowUpTemplateFormSet = forms.formset_factory(
    FollowUpTemplateForm, formset=RowFormSet, extra=2, can_delete=True, max_num=20, validate_max=True
)


# Reports


class StatisticsFilterForm(StyledForm):
    by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("manager", _("Engagement manager")),
            ("unit", _("Unit")),
            ("type", _("Commission type")),
            ("commission", _("Commission")),
        ],
    )
    since = date_field(_("Started from"))
    until = date_field(_("Started until"))
    type = forms.ModelChoiceField(
        label=_("Commission type"), required=False, queryset=CommissionType.objects.none(), empty_label=_("All types")
    )

    def __init__(self, *args: Any, types: QuerySet[CommissionType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "type", types)


class PeriodForm(StyledForm):
    since = date_field(_("Started from"))
    until = date_field(_("Started until"))


class WeightsForm(StyledForm):
    on_time_weight = forms.IntegerField(label=_("Milestones on time (%)"), min_value=0, max_value=100)
    evaluation_weight = forms.IntegerField(label=_("3-PRO evaluation (%)"), min_value=0, max_value=100)
    response_weight = forms.IntegerField(label=_("Client response to evaluations (%)"), min_value=0, max_value=100)
    intervention_weight = forms.IntegerField(label=_("Interventions closed (%)"), min_value=0, max_value=100)
