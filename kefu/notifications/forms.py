"""Forms of the notification pages. They check shape only; kefu.notifications.settings_services
applies the rules and writes. Field names match the `field` the services name in their errors."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.forms import StyledForm, date_field
from kefu.notifications import events
from kefu.notifications.channels.base import SettingField
from kefu.notifications.models import Channel, Status
from kefu.notifications.settings_services import DAILY_CAP_RANGE
from kefu.orgs.models import OrgUnit

ENV_HINT = _("Or write env:NAME to read it from the environment variable NAME when sending.")


def event_choices() -> list[tuple[str, Any]]:
    return [(event.key, event.label) for event in events.EVENTS.values()]


class MessageFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    event = forms.ChoiceField(label=_("Event"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *Status.choices])
    created_from = date_field(_("From"))
    created_to = date_field(_("Until"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", _("All events")), *event_choices()]  # type: ignore[attr-defined]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        base = getattr(self, "base_depth", 0)
        return "· " * max(obj.depth - base, 0) + obj.name


class UnitPickerForm(StyledForm):
    """Which unit a settings page shows (the viewer's own or one below it)."""

    unit = UnitChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.none(), empty_label=None)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], base_depth: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = units
        field.base_depth = base_depth


def _setting_field(spec: SettingField, *, stored: bool) -> forms.Field:
    """The form field of one adapter setting; a secret is a password input never filled in."""
    help_text = str(spec.help_text or "")
    if spec.secret:
        hint = str(_("Leave blank to keep the stored value.")) if stored else ""
        return forms.CharField(
            label=spec.label,
            required=spec.required and not stored,
            strip=True,
            max_length=4000,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            help_text=" ".join(part for part in (hint, help_text, str(ENV_HINT)) if part),
        )
    required = spec.required and spec.default in ("", None)
    if spec.kind == "bool":
        return forms.BooleanField(label=spec.label, required=False, help_text=help_text)
    if spec.kind == "int":
        return forms.IntegerField(label=spec.label, required=required, min_value=1, help_text=help_text)
    if spec.kind == "choice":
        return forms.ChoiceField(label=spec.label, required=required, choices=list(spec.choices), help_text=help_text)
    if spec.kind == "email":
        return forms.EmailField(label=spec.label, required=required, help_text=help_text)
    validators = [URLValidator(schemes=["http", "https"])] if spec.kind == "url" else []
    return forms.CharField(
        label=spec.label, required=required, max_length=500, validators=validators, help_text=help_text
    )


class ChannelConfigForm(StyledForm):
    """Built from the channel adapter's `fields`. Stored secrets are never put back in the form."""

    def __init__(
        self,
        *args: Any,
        fields: tuple[SettingField, ...],
        stored_secrets: set[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = fields
        self.secret_names = {spec.name for spec in fields if spec.secret}
        self.stored_secrets = stored_secrets
        for spec in fields:
            stored = spec.secret and spec.name in stored_secrets
            self.fields[spec.name] = _setting_field(spec, stored=stored)
            if stored and not spec.required:
                self.fields[f"{spec.name}__clear"] = forms.BooleanField(
                    label=_("Remove the stored %(field)s") % {"field": spec.label}, required=False
                )
        self.fields["is_enabled"] = forms.BooleanField(
            label=_("Enabled"),
            required=False,
            help_text=_("When off, this unit and the units below it do not use the channel at all."),
        )
        # StyledForm styled the fields that existed when it ran; these came after.
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, forms.CheckboxInput) or "class" in widget.attrs:
                continue
            widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"

    def values(self) -> dict[str, Any]:
        return {spec.name: self.cleaned_data.get(spec.name) for spec in self.specs}

    def cleared(self) -> list[str]:
        return [name for name in self.secret_names if self.cleaned_data.get(f"{name}__clear")]


class ChannelTestForm(StyledForm):
    address = forms.CharField(
        label=_("Send to"),
        required=False,
        max_length=255,
        help_text=_("Leave blank to send it to yourself."),
    )


class TemplateForm(StyledForm):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    provider_template = forms.CharField(
        label=_("Provider template id"),
        required=False,
        max_length=100,
        help_text=_("SMS: the template code Aliyun approved (SMS_123456789). WeChat: the template id."),
    )
    provider_params = forms.CharField(
        label=_("Provider template parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_('A JSON object of the provider template\'s parameters, for example {"code": "{ticket_number}"}.'),
    )
    is_approved = forms.BooleanField(label=_("Approved by the provider"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, preview_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The preview follows the text as it is typed (htmx, no script of our own).
        for name in ("subject", "body", "provider_template", "provider_params"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": preview_url,
                    "hx-trigger": "input changed delay:400ms",
                    "hx-target": "#template-preview",
                    "hx-include": "closest form",
                }
            )

    @staticmethod
    def params_text(params: dict[str, str]) -> str:
        return json.dumps(params, ensure_ascii=False, indent=2) if params else ""


class PolicyForm(StyledForm):
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "SMS and WeChat messages to customers wait until then; urgent ones do not. Equal times: no quiet hours."
        ),
    )
    daily_cap = forms.IntegerField(
        label=_("Messages per customer per day"),
        min_value=DAILY_CAP_RANGE[0],
        max_value=DAILY_CAP_RANGE[1],
        help_text=_("Counts messages that are not replies to the customer's own request."),
    )


class RouteForm(StyledForm):
    """An event's channels: each gets a place in the order (1 is tried first) or none (not used)."""

    is_enabled = forms.BooleanField(label=_("Send this event"), required=False)

    def __init__(self, *args: Any, event: events.Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        places = [("", _("Not used")), *[(str(n), str(n)) for n in range(1, len(event.channels) + 1)]]
        for channel in event.channels:
            self.fields[f"place_{channel}"] = forms.TypedChoiceField(
                label=Channel(channel).label, required=False, choices=places, coerce=int, empty_value=None
            )
            self.fields[f"place_{channel}"].widget.attrs["class"] = "form-select form-select-sm"

    def place_fields(self) -> list[forms.BoundField]:
        return [self[f"place_{channel}"] for channel in self.event.channels]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        places = {c: data.get(f"place_{c}") for c in self.event.channels if data.get(f"place_{c}") is not None}
        if len(set(places.values())) != len(places):
            raise forms.ValidationError(_("Give each channel its own place in the order."))
        data["channels"] = sorted(places, key=lambda c: places[c])
        return data

    @staticmethod
    def initial_for(channels: tuple[str, ...], is_enabled: bool) -> dict[str, Any]:
        initial: dict[str, Any] = {"is_enabled": is_enabled}
        for place, channel in enumerate(channels, start=1):
            initial[f"place_{channel}"] = str(place)
        return initial
