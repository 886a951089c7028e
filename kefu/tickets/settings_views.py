"""Settings pages of the service desk (supervisors and administrators): teams, assignment rules
and canned replies. Selectors read, kefu.tickets.configuration writes."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Forbidden
from kefu.core.pages import run_service
from kefu.orgs.models import Membership
from kefu.orgs.selectors import unit_choices
from kefu.properties import selectors as property_selectors
from kefu.standards.selectors import category_list
from kefu.tickets import configuration, selectors
from kefu.tickets.forms import CannedReplyForm, RuleForm, TeamForm
from kefu.tickets.models import AssignmentRule, CannedReply, Team
from kefu.tickets.views import PageRequest

# Teams


def team_list(request: PageRequest) -> HttpResponse:
    teams = list(selectors.team_list(viewer=request.membership))
    return TemplateResponse(request, "tickets/team_list.html", {"teams": teams})


def _team_form(request: PageRequest, team: Team | None) -> TeamForm:
    viewer = request.membership
    initial: dict[str, Any] = {"organisation": viewer.unit}
    if team is not None:
        initial = {
            "name": team.name,
            "strategy": team.strategy,
            "members": [m.pk for m in team.members.all()],
            "is_active": team.is_active,
        }
    return TeamForm(
        request.POST or None,
        organisations=None if team is not None else unit_choices(viewer=viewer),
        staff=selectors.assignee_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        initial=initial,
    )


def team_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = _team_form(request, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = run_service(
            form,
            lambda: configuration.team_create(
                actor=viewer,
                unit=data["organisation"],
                name=data["name"],
                strategy=data["strategy"],
                members=list(data["members"]),
            ),
        )
        if team is not None:
            messages.success(request, _("Team %(name)s has been created.") % {"name": team.name})
            return redirect("tickets:team_list")
    return TemplateResponse(request, "tickets/team_form.html", {"form": form, "team": None})


def team_edit(request: PageRequest, team_id: int) -> HttpResponse:
    viewer = request.membership
    team = selectors.team_get(viewer=viewer, team_id=team_id)
    form = _team_form(request, team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: configuration.team_update(
                actor=viewer,
                team=team,
                name=data["name"],
                strategy=data["strategy"],
                members=list(data["members"]),
                is_active=data["is_active"],
            ),
        )
        if saved is not None:
            messages.success(request, _("Team %(name)s has been saved.") % {"name": saved.name})
            return redirect("tickets:team_list")
    return TemplateResponse(request, "tickets/team_form.html", {"form": form, "team": team})


# Assignment rules


def rule_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    context = {
        "rules": list(selectors.rule_list(viewer=viewer)),
        "has_teams": selectors.team_list(viewer=viewer).exists(),
    }
    return TemplateResponse(request, "tickets/rule_list.html", context)


def _rule_form(request: PageRequest, rule: AssignmentRule | None) -> RuleForm:
    viewer = request.membership
    initial: dict[str, Any] = {"organisation": viewer.unit}
    if rule is not None:
        initial = {
            "name": rule.name,
            "project": rule.project_id,
            "building": rule.building_id,
            "kind": rule.kind,
            "category": rule.category_id,
            "team": rule.team_id,
            "is_active": rule.is_active,
        }
    return RuleForm(
        request.POST or None,
        organisations=None if rule is not None else unit_choices(viewer=viewer),
        projects=property_selectors.project_choices(viewer=viewer),
        buildings=property_selectors.building_choices(viewer=viewer),
        categories=category_list(viewer=viewer, active_only=True).order_by("kind", "name", "id"),
        teams=selectors.team_list(viewer=viewer).filter(is_active=True),
        base_depth=viewer.unit.depth,
        initial=initial,
    )


def _rule_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("name", "team", "project", "building", "kind", "category", "is_active")}


def rule_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = _rule_form(request, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rule = run_service(
            form,
            lambda: configuration.rule_create(actor=viewer, unit=data["organisation"], **_rule_values(data)),
        )
        if rule is not None:
            messages.success(request, _("Assignment rule %(name)s has been created.") % {"name": rule.name})
            return redirect("tickets:rule_list")
    return TemplateResponse(request, "tickets/rule_form.html", {"form": form, "rule": None})


def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    viewer = request.membership
    rule = selectors.rule_get(viewer=viewer, rule_id=rule_id)
    form = _rule_form(request, rule)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form, lambda: configuration.rule_update(actor=viewer, rule=rule, **_rule_values(form.cleaned_data))
        )
        if saved is not None:
            messages.success(request, _("Assignment rule %(name)s has been saved.") % {"name": saved.name})
            return redirect("tickets:rule_list")
    return TemplateResponse(request, "tickets/rule_form.html", {"form": form, "rule": rule})


@require_POST
def rule_delete(request: PageRequest, rule_id: int) -> HttpResponse:
    viewer = request.membership
    rule = selectors.rule_get(viewer=viewer, rule_id=rule_id)
    try:
        configuration.rule_delete(actor=viewer, rule=rule)
    except Forbidden as exc:
        raise PermissionDenied from exc
    messages.success(request, _("Assignment rule %(name)s has been deleted.") % {"name": rule.name})
    return redirect("tickets:rule_list")


# Canned replies


def canned_reply_list(request: PageRequest) -> HttpResponse:
    replies = list(selectors.canned_reply_list(viewer=request.membership))
    return TemplateResponse(request, "tickets/canned_reply_list.html", {"replies": replies})


def _reply_form(request: PageRequest, reply: CannedReply | None) -> CannedReplyForm:
    viewer = request.membership
    initial: dict[str, Any] = {"organisation": viewer.unit}
    if reply is not None:
        initial = {
            "title": reply.title,
            "kind": reply.kind,
            "category": reply.category_id,
            "body": reply.body,
            "is_active": reply.is_active,
        }
    return CannedReplyForm(
        request.POST or None,
        organisations=None if reply is not None else unit_choices(viewer=viewer),
        categories=category_list(viewer=viewer, active_only=True).order_by("kind", "name", "id"),
        preview_url=reverse("tickets:canned_reply_preview"),
        base_depth=viewer.unit.depth,
        initial=initial,
    )


def _reply_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("title", "body", "kind", "category", "is_active")}


def canned_reply_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = _reply_form(request, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reply = run_service(
            form,
            lambda: configuration.canned_reply_create(actor=viewer, unit=data["organisation"], **_reply_values(data)),
        )
        if reply is not None:
            messages.success(request, _("Canned reply %(title)s has been created.") % {"title": reply.title})
            return redirect("tickets:canned_reply_list")
    return TemplateResponse(request, "tickets/canned_reply_form.html", _reply_context(viewer, form, None))


def canned_reply_edit(request: PageRequest, reply_id: int) -> HttpResponse:
    viewer = request.membership
    reply = selectors.canned_reply_get(viewer=viewer, reply_id=reply_id)
    form = _reply_form(request, reply)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: configuration.canned_reply_update(actor=viewer, reply=reply, **_reply_values(form.cleaned_data)),
        )
        if saved is not None:
            messages.success(request, _("Canned reply %(title)s has been saved.") % {"title": saved.title})
            return redirect("tickets:canned_reply_list")
    return TemplateResponse(request, "tickets/canned_reply_form.html", _reply_context(viewer, form, reply))


def _reply_context(viewer: Membership, form: CannedReplyForm, reply: CannedReply | None) -> dict[str, Any]:
    body = form["body"].value() or ""
    return {
        "form": form,
        "reply": reply,
        "preview": selectors.canned_reply_render(body=body, ticket=None, agent=viewer),
        "variables": selectors.CANNED_VARIABLES,
    }


@require_POST
def canned_reply_delete(request: PageRequest, reply_id: int) -> HttpResponse:
    viewer = request.membership
    reply = selectors.canned_reply_get(viewer=viewer, reply_id=reply_id)
    try:
        configuration.canned_reply_delete(actor=viewer, reply=reply)
    except Forbidden as exc:
        raise PermissionDenied from exc
    messages.success(request, _("Canned reply %(title)s has been deleted.") % {"title": reply.title})
    return redirect("tickets:canned_reply_list")


@require_POST
def canned_reply_preview(request: PageRequest) -> HttpResponse:
    """The reply text as an agent would see it, with sample values for the variables (htmx)."""
    text = selectors.canned_reply_render(body=request.POST.get("body", ""), ticket=None, agent=request.membership)
    return TemplateResponse(request, "tickets/canned_reply_preview.html", {"preview": text})
