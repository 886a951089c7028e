from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import SecurityEvent
from kefu.core.forms import StyledForm


class LoginForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class SecurityPolicyForm(StyledForm):
    idle_timeout_minutes = forms.IntegerField(
        label=_("Idle timeout (minutes)"),
        min_value=5,
        max_value=24 * 60,
        help_text=_("Staff who do nothing for this long are signed out. Between 5 and 1440 minutes."),
    )


class SecurityEventFilterForm(StyledForm):
    q = forms.CharField(label=_("Username"), required=False)
    kind = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), *SecurityEvent.Kind.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
