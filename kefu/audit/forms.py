from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.audit.display import record_type_label
from kefu.audit.models import AuditEntry
from kefu.core.forms import StyledForm


class AuditFilterForm(StyledForm):
    q = forms.CharField(label=_("Record"), required=False, max_length=200)
    object_type = forms.ChoiceField(label=_("Record type"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All actions")), *AuditEntry.Action.choices]
    )
    actor = forms.CharField(label=_("Performed by"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, object_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", _("All record types")),
            *((value, record_type_label(value)) for value in object_types),
        ]
