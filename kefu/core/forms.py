from typing import Any

from django import forms


class StyledForm(forms.Form):
    """Tabler classes on every widget, and `is-invalid` on every field that gets an error.

    Fields are marked in add_error (which validation itself goes through), never by reading
    self.errors in __init__: that would validate before a subclass narrowed its querysets, and
    would miss the errors a view adds after a service refused (e.g. "username taken").
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                # Tabler draws a box or a dot only for .form-check-input (for the multiple
                # widgets the attrs go to each option's input).
                css = "form-check-input"
            else:
                css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def date_field(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DateField:
    """A date picked in the browser's own date control, ISO in and out."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member, shown with their unit (two 李娜 in different teams stay apart)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.unit.name}"


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.unit.name}"
