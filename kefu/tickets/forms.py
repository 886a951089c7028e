"""Forms of the ticket pages. They check shape only; the services apply the rules and write.

Field names match the `field` the services name in their errors (title, body, reason, assignee …),
so kefu.core.pages.add_service_error puts every refusal on the right field.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm, date_field
from kefu.customers.models import Customer
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Building, Project, Unit
from kefu.standards.models import RequestCategory, RequestKind, Severity
from kefu.tickets.models import Channel, Team, Ticket
from kefu.tickets.selectors import SORTS, STATUS_OPEN
from kefu.tickets.services import RevisitOutcome


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.name} · {obj.unit.name}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.label} · {obj.project.name}" if obj.project_id else obj.label


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RequestCategory) -> str:
        return obj.name


class SplitCategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RequestCategory) -> str:
        return str(obj)


class OrgUnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        base = getattr(self, "base_depth", 0)
        return "· " * max(obj.depth - base, 0) + obj.name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; the service checks that each is an image and not too large."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _text(label: Any, rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


SORT_CHOICES = [
    ("-received", _("Newest first")),
    ("received", _("Oldest first")),
    ("due", _("Due soonest")),
    ("-due", _("Due latest")),
]
assert {key for key, _label in SORT_CHOICES} == set(SORTS)


class TicketFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), (STATUS_OPEN, _("Open (not resolved)")), *Ticket.Status.choices],
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *RequestKind.choices])
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("All severities")), *Severity.choices]
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("All projects")
    )
    assignee = StaffChoiceField(
        label=_("Handler"), required=False, queryset=Membership.objects.none(), empty_label=_("Anyone")
    )
    mine = forms.BooleanField(label=_("Mine"), required=False)
    breached = forms.BooleanField(label=_("Breached"), required=False)
    due_soon = forms.BooleanField(label=_("Due within 2 hours"), required=False)
    waiting = forms.BooleanField(label=_("Waiting for the customer"), required=False)
    received_from = date_field(_("Received from"))
    received_to = date_field(_("Received until"))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, projects: QuerySet[Project], staff: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class TicketCreateForm(StyledForm):
    """Log a voice. The customer comes from the picker (a hidden id); the unit select offers the
    customer's units first and the units found by the unit search, but accepts any visible unit."""

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("Find and choose the customer first.")},
    )
    unit = UnitChoiceField(label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("No unit"))
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices, initial=RequestKind.COMPLAINT)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    category = CategoryChoiceField(
        label=_("Category"), required=False, queryset=RequestCategory.objects.none(), empty_label=_("Not chosen")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL)
    title = forms.CharField(label=_("Subject"), max_length=120)
    description = _text(_("What the customer said"), rows=5)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    assignee = StaffChoiceField(
        label=_("Handler"),
        required=False,
        queryset=Membership.objects.none(),
        empty_label=_("By the assignment rules"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("By the assignment rules")
    )
    attachments = PhotosField(
        label=_("Photos"), required=False, help_text=_("JPEG, PNG, WebP or GIF; several at once.")
    )

    def __init__(
        self,
        *args: Any,
        customers: QuerySet[Customer],
        units: QuerySet[Unit],
        offered_units: Iterable[Unit],
        found_units: Iterable[Unit],
        categories: QuerySet[RequestCategory],
        staff: QuerySet[Membership],
        teams: QuerySet[Team],
        refresh_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        unit_field = self.fields["unit"]
        unit_field.queryset = units  # type: ignore[attr-defined]
        # Validation accepts any visible unit; the select lists only the customer's and those found.
        label = unit_field.label_from_instance  # type: ignore[attr-defined]
        offered = [(u.pk, label(u)) for u in offered_units]
        offered_ids = {pk for pk, _label in offered}
        found = [(u.pk, label(u)) for u in found_units if u.pk not in offered_ids]
        choices: list[Any] = [("", _("No unit"))]
        if offered:
            choices.append((_("The customer's units"), offered))
        if found:
            choices.append((_("Units found"), found))
        unit_field.widget.choices = choices
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["kind"].widget.attrs.update(
            {
                "hx-get": refresh_url,
                "hx-trigger": "change",
                "hx-include": "closest form",
                "hx-target": "#category-field",
                "hx-select": "#category-field",
                "hx-swap": "outerHTML",
            }
        )


# The ticket page's actions. Each form is rendered with a prefix (its action's name), so one page
# can hold them all without clashing ids, and errors land on unprefixed field names.


class ReplyForm(StyledForm):
    canned = forms.ChoiceField(label=_("Canned reply"), required=False)
    body = _text(_("Reply"), rows=4)
    channel = forms.ChoiceField(label=_("Sent by"), choices=Channel.choices, initial=Channel.PHONE)

    def __init__(self, *args: Any, canned: Iterable[tuple[int, str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.canned_options = list(canned)
        # Typing here tells the others on the ticket "is replying" (kefu/static/js/tickets.js).
        self.fields["body"].widget.attrs["data-presence-typing"] = ""
        self.fields["canned"].choices = [("", _("Insert a canned reply…"))] + [
            (pk, title) for pk, title, _text in self.canned_options
        ]


class NoteForm(StyledForm):
    body = _text(_("Internal note"), rows=3, help_text=_("Staff only; the customer never sees it."))


class AssignForm(StyledForm):
    assignee = StaffChoiceField(
        label=_("Handler"), required=False, queryset=Membership.objects.none(), empty_label=_("Nobody in particular")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("No team")
    )

    def __init__(self, *args: Any, staff: QuerySet[Membership], teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class TransferForm(AssignForm):
    reason = _text(_("Why"), rows=2)


class ReasonForm(StyledForm):
    reason = _text(_("Reason"), rows=2)


class ResolveForm(StyledForm):
    resolution = _text(_("Measures taken"), rows=3)


class RevisitForm(StyledForm):
    method = forms.ChoiceField(label=_("How"), choices=Channel.choices, initial=Channel.PHONE)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (RevisitOutcome.SATISFIED, _("Satisfied")),
            (RevisitOutcome.DISSATISFIED, _("Not satisfied")),
            (RevisitOutcome.UNREACHABLE, _("Could not reach the customer")),
        ],
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Not given")), *Ticket.Satisfaction.choices],
    )
    note = _text(_("Note"), rows=2, required=False)


class MergeForm(StyledForm):
    target = forms.CharField(
        label=_("Merge into ticket number"), max_length=20, help_text=_("e.g. KS202503040001; this ticket closes.")
    )


class SplitForm(StyledForm):
    title = forms.CharField(label=_("Subject"), max_length=120)
    description = _text(_("What the customer said"), rows=3)
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices)
    category = SplitCategoryChoiceField(
        label=_("Category"), required=False, queryset=RequestCategory.objects.none(), empty_label=_("Not chosen")
    )

    def __init__(self, *args: Any, categories: QuerySet[RequestCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]


class AttachForm(StyledForm):
    attachments = PhotosField(label=_("Photos"), help_text=_("JPEG, PNG, WebP or GIF; several at once."))

    def clean_attachments(self) -> list[Any]:
        photos = self.cleaned_data["attachments"]
        if not photos:
            raise forms.ValidationError(_("Choose at least one photo."))
        return photos


class EditForm(StyledForm):
    title = forms.CharField(label=_("Subject"), max_length=120)
    category = CategoryChoiceField(
        label=_("Category"), required=False, queryset=RequestCategory.objects.none(), empty_label=_("Not chosen")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    unit = UnitChoiceField(label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("No unit"))

    def __init__(
        self,
        *args: Any,
        categories: QuerySet[RequestCategory],
        units: QuerySet[Unit],
        offered_units: Iterable[Unit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        unit_field = self.fields["unit"]
        unit_field.queryset = units  # type: ignore[attr-defined]
        label = unit_field.label_from_instance  # type: ignore[attr-defined]
        unit_field.widget.choices = [("", _("No unit"))] + [(u.pk, label(u)) for u in offered_units]


# Settings


class TeamForm(StyledForm):
    organisation = OrgUnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=50)
    strategy = forms.ChoiceField(
        label=_("Hand-out"),
        choices=Team.Strategy.choices,
        help_text=_("Round robin takes turns; least loaded gives the next ticket to whoever has the fewest open."),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        required=False,
        queryset=Membership.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Staff who handle customer voices; hold Ctrl (⌘) to choose several."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[OrgUnit] | None,
        staff: QuerySet[Membership],
        base_depth: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            # A team stays in its unit; only a new one chooses.
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
            self.fields["organisation"].base_depth = base_depth  # type: ignore[attr-defined]
            del self.fields["is_active"]
        members = self.fields["members"]
        members.queryset = staff  # type: ignore[attr-defined]
        members.label_from_instance = lambda m: f"{m.name} · {m.unit.name}"  # type: ignore[attr-defined]


class RuleForm(StyledForm):
    organisation = OrgUnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=80)
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("Any project")
    )
    building = forms.ModelChoiceField(
        label=_("Building"), required=False, queryset=Building.objects.none(), empty_label=_("Any building")
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *RequestKind.choices])
    category = SplitCategoryChoiceField(
        label=_("Category"), required=False, queryset=RequestCategory.objects.none(), empty_label=_("Any category")
    )
    team = forms.ModelChoiceField(
        label=_("Route to team"), queryset=Team.objects.none(), empty_label=_("Choose a team")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[OrgUnit] | None,
        projects: QuerySet[Project],
        buildings: QuerySet[Building],
        categories: QuerySet[RequestCategory],
        teams: QuerySet[Team],
        base_depth: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
            self.fields["organisation"].base_depth = base_depth  # type: ignore[attr-defined]
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        building = self.fields["building"]
        building.queryset = buildings  # type: ignore[attr-defined]
        building.label_from_instance = lambda b: f"{b.project.name} · {b.name}"  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class CannedReplyForm(StyledForm):
    organisation = OrgUnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=_("Title"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *RequestKind.choices])
    category = SplitCategoryChoiceField(
        label=_("Category"), required=False, queryset=RequestCategory.objects.none(), empty_label=_("Any category")
    )
    body = _text(
        _("Text"),
        rows=6,
        help_text=_("Variables: {customer_name} {ticket_number} {agent_name} {due_at} {unit}"),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[OrgUnit] | None,
        categories: QuerySet[RequestCategory],
        preview_url: str,
        base_depth: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
            self.fields["organisation"].base_depth = base_depth  # type: ignore[attr-defined]
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["body"].widget.attrs.update(
            {
                "hx-post": preview_url,
                "hx-trigger": "input changed delay:400ms, load",
                "hx-target": "#reply-preview",
                "hx-include": "this",
            }
        )
