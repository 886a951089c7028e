"""Small helpers every staff page module uses."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kefu.core.errors import Forbidden, KefuError


def valid_filters(form: forms.Form) -> dict[str, Any]:
    """The valid filter values; a bad value drops that filter only, never the page."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}


def int_param(request: HttpRequest, name: str) -> int | None:
    """An integer from the query string (GET) or the form (POST); None when absent or not a number."""
    value = request.POST.get(name) if request.method == "POST" else request.GET.get(name)
    try:
        return int(value) if value else None
    except ValueError:
        return None


def add_service_error(form: forms.Form, exc: KefuError) -> None:
    """A service's error on its field (StyledForm outlines it), or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def run_service(form: forms.Form, call: Callable[[], Any], *, fields: Callable[[str], str | None] | None = None) -> Any:
    """Run a service for a page: its refusal lands on the form and gives None, a wrong role is a
    403. `fields` maps a service's field name ("dates.12") to the form's ("date_12")."""
    try:
        return call()
    except Forbidden as exc:
        raise PermissionDenied from exc
    except KefuError as exc:
        if fields is not None and exc.field:
            exc.field = fields(exc.field)
        add_service_error(form, exc)
        return None
