"""Forms of the customer's pages: shape only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer
from kefu.portal import selectors
from kefu.portal.submissions import MAX_PHOTOS
from kefu.standards.models import RequestKind


class MobileForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 1234 5678"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "maxlength": 6}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    widget = MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("Add at most %(count)s photos."), params={"count": MAX_PHOTOS})
        return [super(PhotoField, self).clean(item, initial) for item in files]


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it about"), choices=RequestKind.choices, widget=forms.RadioSelect)
    unit = forms.ModelChoiceField(label=_("Home"), queryset=None, empty_label=None)  # type: ignore[arg-type]
    description = forms.CharField(label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    photos = PhotoField(label=_("Photos (up to 6)"), required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(customer=customer)  # type: ignore[attr-defined]


class FeedbackForm(forms.Form):
    resolved = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("yes", _("Yes, solved")), ("no", _("No, not solved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
