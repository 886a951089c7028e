"""Settings pages of notifications (administrators): channel settings, message templates, and the
delivery policy with each event's channels. Each page works on one unit (the viewer's own, or one
below it chosen with ?unit=) and says what that unit inherits. Selectors read,
kefu.notifications.settings_services writes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import int_param, run_service
from kefu.notifications import events, selectors, settings_services
from kefu.notifications.forms import (
    ChannelConfigForm,
    ChannelTestForm,
    PolicyForm,
    RouteForm,
    TemplateForm,
    UnitPickerForm,
)
from kefu.notifications.models import Channel, Status
from kefu.notifications.views import PageRequest
from kefu.orgs.models import OrgUnit
from kefu.orgs.selectors import unit_choices


def _picker(request: PageRequest, unit: OrgUnit) -> UnitPickerForm | None:
    """The unit chooser, for viewers with units below theirs."""
    viewer = request.membership
    units = unit_choices(viewer=viewer, also_id=unit.pk)
    if units.count() < 2:
        return None
    return UnitPickerForm(initial={"unit": unit.pk}, units=units, base_depth=viewer.unit.depth)


def _with_unit(url_name: str, unit: OrgUnit, viewer_unit: OrgUnit) -> str:
    url = reverse(url_name)
    return url if unit.pk == viewer_unit.pk else f"{url}?{urlencode({'unit': unit.pk})}"


# Channel settings


def channel_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=int_param(request, "unit"))
    context = {
        "unit": unit,
        "picker": _picker(request, unit),
        "states": selectors.channel_overview(viewer=viewer, unit=unit),
    }
    return TemplateResponse(request, "notifications/channel_list.html", context)


def _channel_context(request: PageRequest, unit: OrgUnit, state: selectors.ChannelState, form: Any) -> dict[str, Any]:
    callback_url = ""
    if state.own is not None and state.has_callback:
        callback_url = request.build_absolute_uri(
            reverse("notifications:callback", kwargs={"channel": state.channel, "key": state.own.callback_key})
        )
    return {
        "unit": unit,
        "state": state,
        "form": form,
        "test_form": ChannelTestForm(),
        "callback_url": callback_url,
        "list_url": _with_unit("notifications:channel_list", unit, request.membership.unit),
    }


def channel_edit(request: PageRequest, orgunit_id: int, channel: str) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    state = selectors.channel_state(viewer=viewer, unit=unit, channel=channel)
    initial: dict[str, Any] = {spec.name: spec.default for spec in state.fields if not spec.secret}
    initial["is_enabled"] = True
    if state.own is not None:
        initial.update(state.own.settings)
        initial["is_enabled"] = state.own.is_enabled
    form = ChannelConfigForm(
        request.POST or None,
        fields=state.fields,
        stored_secrets=selectors.stored_secret_names(state.own),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: settings_services.channel_config_save(
                actor=viewer,
                unit=unit,
                channel=channel,
                values=form.values(),
                is_enabled=form.cleaned_data["is_enabled"],
                clear_secrets=form.cleared(),
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("%(channel)s has been saved for %(unit)s.") % {"channel": Channel(channel).label, "unit": unit.name},
            )
            return redirect("notifications:channel_edit", orgunit_id=unit.pk, channel=channel)
    return TemplateResponse(request, "notifications/channel_form.html", _channel_context(request, unit, state, form))


@require_POST
def channel_delete(request: PageRequest, orgunit_id: int, channel: str) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    state = selectors.channel_state(viewer=viewer, unit=unit, channel=channel)
    if state.own is None:
        messages.info(request, _("%(unit)s has no settings of its own for this channel.") % {"unit": unit.name})
    else:
        try:
            settings_services.channel_config_delete(actor=viewer, config=state.own)
        except Forbidden as exc:
            raise PermissionDenied from exc
        messages.success(
            request,
            _("The %(channel)s settings of %(unit)s have been deleted.")
            % {"channel": Channel(channel).label, "unit": unit.name},
        )
    return redirect(_with_unit("notifications:channel_list", unit, viewer.unit))


@require_POST
def channel_test(request: PageRequest, orgunit_id: int, channel: str) -> HttpResponse:
    """Send the test message now and say what became of it."""
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    state = selectors.channel_state(viewer=viewer, unit=unit, channel=channel)
    form = ChannelTestForm(request.POST)
    address = form.cleaned_data["address"] if form.is_valid() else ""
    try:
        message = settings_services.channel_test(actor=viewer, unit=unit, channel=state.channel, address=address)
    except Forbidden as exc:
        raise PermissionDenied from exc
    except KefuError as exc:
        messages.error(request, _("The test message was not sent: %(error)s") % {"error": exc.message})
    else:
        if message.status in (Status.SENT, Status.DELIVERED):
            messages.success(
                request,
                _("The test message was sent. Provider message id: %(id)s")
                % {"id": message.provider_message_id or "—"},
            )
        elif message.status in (Status.PENDING, Status.HELD):
            messages.warning(
                request,
                _("The provider did not take the test message yet (%(error)s); it will be tried again.")
                % {"error": message.error or message.error_code},
            )
        else:
            messages.error(
                request,
                _("The test message was not sent: %(error)s") % {"error": message.error or message.error_code},
            )
    return redirect("notifications:channel_edit", orgunit_id=unit.pk, channel=state.channel)


# Message templates


def template_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=int_param(request, "unit"))
    context = {
        "unit": unit,
        "picker": _picker(request, unit),
        "rows": selectors.template_overview(viewer=viewer, unit=unit),
    }
    return TemplateResponse(request, "notifications/template_list.html", context)


def _template_initial(cell: selectors.TemplateCell) -> dict[str, Any]:
    source = cell.own or cell.inherited
    if source is not None:
        return {
            "subject": source.subject,
            "body": source.body,
            "provider_template": source.provider_template,
            "provider_params": TemplateForm.params_text(source.provider_params),
            "is_approved": source.is_approved if cell.own is not None else False,
            "is_active": source.is_active if cell.own is not None else True,
        }
    text = cell.event.texts.get(cell.channel)
    return {"subject": text.subject if text else "", "body": text.body if text else "", "is_active": True}


def _preview_of(unit: OrgUnit, cell: selectors.TemplateCell, form: TemplateForm) -> settings_services.Preview:
    return settings_services.template_preview(
        unit=unit,
        event=cell.event.key,
        channel=cell.channel,
        subject=form["subject"].value() or "",
        body=form["body"].value() or "",
        provider_params=form["provider_params"].value() or "",
        provider_template=form["provider_template"].value() or "",
    )


def template_edit(request: PageRequest, orgunit_id: int, event: str, channel: str) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    cell = selectors.template_cell(viewer=viewer, unit=unit, event=event, channel=channel)
    preview_url = reverse(
        "notifications:template_preview", kwargs={"orgunit_id": unit.pk, "event": event, "channel": channel}
    )
    form = TemplateForm(request.POST or None, preview_url=preview_url, initial=_template_initial(cell))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: settings_services.template_save(
                actor=viewer,
                unit=unit,
                event=event,
                channel=channel,
                subject=data["subject"],
                body=data["body"],
                provider_template=data["provider_template"],
                provider_params=data["provider_params"],
                is_approved=data["is_approved"],
                is_active=data["is_active"],
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("The template has been saved (version %(version)s). New messages use it from now on.")
                % {"version": saved.version},
            )
            return redirect("notifications:template_edit", orgunit_id=unit.pk, event=event, channel=channel)
    context = {
        "unit": unit,
        "cell": cell,
        "form": form,
        "preview": _preview_of(unit, cell, form),
        "variables": [(name, label, sample) for name, (label, sample) in cell.event.variables.items()],
        "list_url": _with_unit("notifications:template_list", unit, viewer.unit),
    }
    return TemplateResponse(request, "notifications/template_form.html", context)


@require_POST
def template_preview(request: PageRequest, orgunit_id: int, event: str, channel: str) -> HttpResponse:
    """The template as it would go out, with the event's sample values (htmx, on every change)."""
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    cell = selectors.template_cell(viewer=viewer, unit=unit, event=event, channel=channel)
    form = TemplateForm(request.POST, preview_url="")
    context = {"preview": _preview_of(unit, cell, form), "cell": cell}
    return TemplateResponse(request, "notifications/template_form.html#preview", context)


@require_POST
def template_delete(request: PageRequest, orgunit_id: int, event: str, channel: str) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    cell = selectors.template_cell(viewer=viewer, unit=unit, event=event, channel=channel)
    if cell.own is None:
        messages.info(request, _("%(unit)s has no template of its own here.") % {"unit": unit.name})
    else:
        try:
            settings_services.template_delete(actor=viewer, template=cell.own)
        except Forbidden as exc:
            raise PermissionDenied from exc
        messages.success(
            request,
            _("The template has been removed: %(unit)s uses the inherited or built-in text again.")
            % {"unit": unit.name},
        )
    return redirect(_with_unit("notifications:template_list", unit, viewer.unit))


# The delivery policy and each event's channels


def _policy_page(
    request: PageRequest,
    unit: OrgUnit,
    *,
    policy_form: PolicyForm | None = None,
    route_form: RouteForm | None = None,
) -> HttpResponse:
    viewer = request.membership
    state = selectors.policy_overview(viewer=viewer, unit=unit)
    if policy_form is None:
        effective = state.effective
        policy_form = PolicyForm(
            initial={
                "quiet_start": effective.quiet_start,
                "quiet_end": effective.quiet_end,
                "daily_cap": effective.daily_cap,
            }
        )
    routes = []
    for route in selectors.route_overview(viewer=viewer, unit=unit):
        form = route_form if route_form is not None and route_form.event.key == route.event.key else None
        if form is None:
            form = RouteForm(
                prefix=route.event.key,
                event=route.event,
                initial=RouteForm.initial_for(route.channels, route.is_enabled),
            )
        routes.append((route, form))
    context = {
        "unit": unit,
        "picker": _picker(request, unit),
        "state": state,
        "policy_form": policy_form,
        "routes": routes,
    }
    return TemplateResponse(request, "notifications/policy.html", context)


def policy(request: PageRequest) -> HttpResponse:
    unit = selectors.managed_unit(viewer=request.membership, unit_id=int_param(request, "unit"))
    return _policy_page(request, unit)


@require_POST
def policy_save(request: PageRequest, orgunit_id: int) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    form = PolicyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: settings_services.policy_save(
                actor=viewer,
                unit=unit,
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                daily_cap=data["daily_cap"],
            ),
        )
        if saved is not None:
            messages.success(request, _("The delivery policy of %(unit)s has been saved.") % {"unit": unit.name})
            return redirect(_with_unit("notifications:policy", unit, viewer.unit))
    return _policy_page(request, unit, policy_form=form)


@require_POST
def route_save(request: PageRequest, orgunit_id: int, event: str) -> HttpResponse:
    viewer = request.membership
    unit = selectors.managed_unit(viewer=viewer, unit_id=orgunit_id)
    route = selectors.route_state(viewer=viewer, unit=unit, event=event)
    form = RouteForm(request.POST, prefix=event, event=route.event)
    if form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: settings_services.route_save(
                actor=viewer, unit=unit, event=event, channels=data["channels"], is_enabled=data["is_enabled"]
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("The channels of “%(event)s” have been saved for %(unit)s.")
                % {"event": events.get(event).label, "unit": unit.name},
            )
            return redirect(_with_unit("notifications:policy", unit, viewer.unit))
    return _policy_page(request, unit, route_form=form)
