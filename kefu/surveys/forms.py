"""Forms of the survey pages. They check shape only; kefu.surveys.services applies the rules and
writes. Field names match the `field` the services name in their errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StaffChoiceField, StyledForm, date_field
from kefu.orgs.models import Membership
from kefu.properties.models import Project
from kefu.surveys.models import Intervention, Question, SurveyTemplate, SurveyTrigger

# The question types an administrator may use in their own templates; the experience-point
# type belongs to the built-in template.
CUSTOM_TYPES = (Question.Type.SCALE5, Question.Type.NPS, Question.Type.CHOICE, Question.Type.TEXT)
MAX_DELAY_HOURS = 90 * 24


# Templates


class TemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    csat_threshold = forms.IntegerField(
        label=_("Intervene at or below"),
        min_value=1,
        max_value=5,
        initial=3,
        help_text=_("Satisfaction surveys: a score at or below this opens an intervention."),
    )
    valid_days = forms.IntegerField(label=_("Days the invitation stays open"), min_value=1, max_value=90, initial=7)


def choices_text(options: dict[str, Any]) -> str:
    lines = []
    for choice in options.get("choices", []):
        value, label = str(choice.get("value", "")), str(choice.get("label", ""))
        lines.append(value if value == label else f"{value}={label}")
    return "\n".join(lines)


class QuestionForm(StyledForm):
    """One question of a custom template. A row left blank is not a question."""

    code = forms.CharField(label=_("Code"), max_length=10)
    group = forms.CharField(label=_("Group"), max_length=10, required=False)
    group_title = forms.CharField(label=_("Group title"), max_length=50, required=False)
    text = forms.CharField(label=_("Question"), max_length=200)
    type = forms.ChoiceField(
        label=_("Type"), choices=[(t.value, t.label) for t in CUSTOM_TYPES], initial=Question.Type.SCALE5
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Choice questions: one option a line, as value=label or just the label."),
    )

    def __init__(self, *args: Any, all_types: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if all_types:
            # Built-in templates keep the question types they ship with (experience points).
            self.fields["type"].choices = Question.Type.choices  # type: ignore[attr-defined]

    def as_question(self) -> dict[str, Any]:
        data = self.cleaned_data
        options: dict[str, Any] = {}
        if data["type"] == Question.Type.CHOICE:
            parsed = []
            for line in data["choices"].splitlines():
                line = line.strip()
                if not line:
                    continue
                value, _sep, label = line.partition("=")
                value = value.strip()[:50]
                parsed.append({"value": value, "label": label.strip() or value})
            options["choices"] = parsed
        return {
            "code": data["code"],
            "group": data["group"],
            "group_title": data["group_title"],
            "text": data["text"],
            "type": data["type"],
            "required": data["required"],
            "options": options,
        }


class BaseQuestionFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def questions(self) -> list[dict[str, Any]]:
        found = []
        for index, form in enumerate(self.forms):
            is_blank_extra = index >= self.initial_form_count() and not form.has_changed()
            if is_blank_extra or self._should_delete_form(form):
                continue
            found.append(form.as_question())
        return found

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.questions():
            raise forms.ValidationError(_("A survey needs at least one question."))


QuestionFormSet = forms.formset_factory(
    QuestionForm, formset=BaseQuestionFormSet, extra=3, can_delete=True, max_num=60, validate_max=True
)


def question_initial(questions: Any) -> list[dict[str, Any]]:
    return [
        {
            "code": q.code,
            "group": q.group,
            "group_title": q.group_title,
            "text": q.text,
            "type": q.type,
            "required": q.required,
            "choices": choices_text(q.options),
        }
        for q in questions
    ]


# Triggers and the fatigue policy


class TriggerForm(StyledForm):
    event = forms.ChoiceField(label=_("Event"), choices=SurveyTrigger.Event.choices)
    template = forms.ModelChoiceField(label=_("Survey"), queryset=SurveyTemplate.objects.none())
    delay_hours = forms.IntegerField(
        label=_("Delay in hours"),
        min_value=0,
        max_value=MAX_DELAY_HOURS,
        initial=0,
        help_text=_("0 sends the survey at once; the customer is never asked outside the quiet hours."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, templates: QuerySet[SurveyTemplate], fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = templates
        if fixed:
            # A trigger is its event and survey; to change either, add another trigger.
            self.fields["event"].disabled = True
            field.disabled = True


class FatigueForm(StyledForm):
    max_invitations = forms.IntegerField(label=_("Invitations at most"), min_value=1, max_value=50)
    within_days = forms.IntegerField(label=_("Within days"), min_value=1, max_value=365)
    intervention_days = forms.IntegerField(label=_("Interventions due within working days"), min_value=1, max_value=30)


# Reports


class RateFilterForm(StyledForm):
    by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("template", _("Survey")),
            ("trigger", _("Trigger")),
            ("project", _("Project")),
            ("staff", _("Staff member")),
        ],
    )
    since = date_field(_("From"))
    until = date_field(_("Until"))


class ResultFilterForm(StyledForm):
    by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[("staff", _("Staff member")), ("team", _("Team")), ("project", _("Project"))],
    )
    since = date_field(_("From"))
    until = date_field(_("Until"))
    evaluated = StaffChoiceField(
        label=_("Staff member"), required=False, queryset=Membership.objects.none(), empty_label=_("All staff")
    )
    project = forms.ModelChoiceField(
        label=_("Project"), required=False, queryset=Project.objects.none(), empty_label=_("All projects")
    )

    def __init__(self, *args: Any, staff: QuerySet[Membership], projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        evaluated = self.fields["evaluated"]
        project = self.fields["project"]
        assert isinstance(evaluated, forms.ModelChoiceField) and isinstance(project, forms.ModelChoiceField)
        evaluated.queryset = staff
        project.queryset = projects


# Interventions


class InterventionFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), ("open", _("Not closed")), *Intervention.Status.choices],
    )
    assignee = StaffChoiceField(
        label=_("Followed up by"), required=False, queryset=Membership.objects.none(), empty_label=_("Anyone")
    )

    def __init__(self, *args: Any, staff: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = staff


class ContactForm(StyledForm):
    contact_note = forms.CharField(
        label=_("What the client said"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Call or visit the client, listen, apologise where due, and write down what was agreed."),
    )


class AdjustForm(StyledForm):
    adjustment = forms.CharField(
        label=_("What was adjusted"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who does the work from now on, or how it is done differently."),
    )


class CloseForm(StyledForm):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Is the client satisfied now? What will the team do differently?"),
    )
