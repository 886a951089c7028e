"""The ticket page and the actions on it (reply, note, assign, transfer, pause, resolve, revisit,
close, reopen, merge, split, photos, details).

Each action is a POST to its own URL. Success: a message and back to the page (htmx follows an
HX-Redirect). Failure: the form again with the service's error on its field (htmx swaps just that
form; without JavaScript the whole page comes back with that form open). The page offers only the
actions the viewer's roles and the ticket's state allow; the services check again.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import add_service_error
from kefu.core.permissions import can
from kefu.customers import selectors as customer_selectors
from kefu.orgs.models import Membership
from kefu.properties import selectors as property_selectors
from kefu.standards.selectors import category_list
from kefu.tickets import selectors, services
from kefu.tickets.forms import (
    AssignForm,
    AttachForm,
    EditForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    ReplyForm,
    ResolveForm,
    RevisitForm,
    SplitForm,
    TransferForm,
)
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import RevisitOutcome
from kefu.tickets.views import PageRequest, customer_card, first_response_clock, resolution_clock

Status = Ticket.Status
Kind = TicketEvent.Kind


# Which actions the viewer may take on the ticket now


def allowed_actions(viewer: Membership, ticket: Ticket) -> list[str]:
    """Action names in page order; the same rules the services apply, so no button leads to a refusal."""
    handle = can(viewer, "tickets.handle")
    done = ticket.status in Ticket.DONE_STATUSES
    is_open = ticket.status in Ticket.OPEN_STATUSES
    rules = {
        "reply": handle and not done,
        "note": handle,
        "assign": handle and not done,
        "transfer": handle and not done and bool(ticket.assignee_id or ticket.team_id),
        "pause": handle and ticket.status in (Status.NEW, Status.IN_PROGRESS),
        "resume": handle and ticket.status == Status.WAITING,
        "resolve": handle and is_open,
        "revisit": handle and ticket.status == Status.RESOLVED,
        "close": handle and not done and (ticket.kind in services.NO_REVISIT_KINDS or can(viewer, "tickets.supervise")),
        "reopen": can(viewer, "tickets.reopen") and ticket.status in (Status.RESOLVED, Status.CLOSED),
        "attach": handle and not done,
        "edit": handle and not done,
        "merge": can(viewer, "tickets.merge") and not done,
        "split": can(viewer, "tickets.merge") and not done,
    }
    return [name for name, allowed in rules.items() if allowed]


# The forms, one per action


def _assign_choices(viewer: Membership, ticket: Ticket) -> dict[str, Any]:
    return {
        "staff": selectors.assignee_choices(viewer=viewer, organisation=ticket.organisation),
        "teams": selectors.team_choices(viewer=viewer),
    }


def _offered_units(viewer: Membership, ticket: Ticket) -> list[Any]:
    units = [h.unit for h in customer_selectors.household_list(viewer=viewer, customer=ticket.customer)]
    if ticket.unit_id and ticket.unit_id not in {u.pk for u in units}:
        units.insert(0, ticket.unit)
    return units


def _canned(viewer: Membership, ticket: Ticket) -> list[tuple[int, str, str]]:
    return [
        (reply.pk, reply.title, selectors.canned_reply_render(body=reply.body, ticket=ticket, agent=viewer))
        for reply in selectors.canned_replies_for(viewer=viewer, ticket=ticket)
    ]


def build_form(name: str, viewer: Membership, ticket: Ticket, data: Any = None, files: Any = None) -> forms.Form:
    """The form of action `name`, bound to `data` when given, prefixed with the action's name."""
    common: dict[str, Any] = {"prefix": name}
    if name == "reply":
        return ReplyForm(data, canned=_canned(viewer, ticket), **common)
    if name == "note":
        return NoteForm(data, **common)
    if name == "assign":
        initial = {"assignee": ticket.assignee_id, "team": ticket.team_id}
        return AssignForm(data, initial=initial, **_assign_choices(viewer, ticket), **common)
    if name == "transfer":
        return TransferForm(data, **_assign_choices(viewer, ticket), **common)
    if name in ("pause", "close", "reopen"):
        return ReasonForm(data, **common)
    if name == "resume":
        return forms.Form(data, **common)
    if name == "resolve":
        return ResolveForm(data, **common)
    if name == "revisit":
        return RevisitForm(data, **common)
    if name == "merge":
        return MergeForm(data, **common)
    if name == "split":
        categories = category_list(viewer=viewer, active_only=True).order_by("kind", "name", "id")
        return SplitForm(data, categories=categories, initial={"kind": ticket.kind}, **common)
    if name == "attach":
        return AttachForm(data, files, **common)
    if name == "edit":
        initial = {
            "title": ticket.title,
            "category": ticket.category_id,
            "severity": ticket.severity,
            "unit": ticket.unit_id,
        }
        return EditForm(
            data,
            categories=category_list(viewer=viewer, kind=ticket.kind, active_only=True).order_by("name", "id"),
            units=property_selectors.unit_list(viewer=viewer),
            offered_units=_offered_units(viewer, ticket),
            initial=initial,
            **common,
        )
    raise Http404


@dataclass
class Panel:
    """One action as the page shows it: a titled form posting to the action's URL."""

    name: str
    title: str
    icon: str
    submit: str
    url: str
    form: forms.Form
    button: str = "btn-primary"
    multipart: bool = False
    open: bool = False
    hint: str = ""


def _panel(name: str, ticket: Ticket, form: forms.Form, *, open: bool = False) -> Panel:
    title, icon, submit, button = {
        "reply": (_("Reply to the customer"), "ti-message-reply", _("Record the reply"), "btn-primary"),
        "note": (_("Internal note"), "ti-lock", _("Add the note"), "btn-yellow"),
        "assign": (_("Assign"), "ti-user-share", _("Assign"), "btn-primary"),
        "transfer": (_("Transfer"), "ti-arrows-exchange", _("Transfer"), "btn-primary"),
        "pause": (_("Wait for the customer"), "ti-player-pause", _("Pause the clocks"), "btn-secondary"),
        "resume": (_("Resume"), "ti-player-play", _("The customer answered: resume"), "btn-primary"),
        "resolve": (_("Resolve"), "ti-circle-check", _("Resolve"), "btn-success"),
        "revisit": (_("Revisit"), "ti-phone-call", _("Record the revisit"), "btn-success"),
        "close": (_("Close"), "ti-lock-check", _("Close the ticket"), "btn-danger"),
        "reopen": (_("Reopen"), "ti-refresh", _("Reopen"), "btn-warning"),
        "attach": (_("Add photos"), "ti-photo-plus", _("Upload"), "btn-primary"),
        "edit": (_("Edit details"), "ti-pencil", _("Save"), "btn-primary"),
        "merge": (_("Merge into another ticket"), "ti-arrows-join", _("Merge"), "btn-danger"),
        "split": (_("Split off a new ticket"), "ti-arrows-split", _("Split"), "btn-primary"),
    }[name]
    hint = {
        "pause": _("The clocks stop until the customer answers; the time left is kept."),
        "close": _("Complaints and repairs normally close through a revisit."),
        "merge": _("For a duplicate: this ticket closes and its history points to the other."),
        "split": _("A second matter in the same voice becomes its own ticket, same customer and time."),
        "edit": _("A new severity or category re-reads the service standard and may move the due times."),
    }.get(name, "")
    return Panel(
        name=name,
        title=title,
        icon=icon,
        submit=submit,
        button=button,
        url=reverse(f"tickets:ticket_{name}", kwargs={"ticket_id": ticket.pk}),
        form=form,
        multipart=name == "attach",
        open=open,
        hint=hint,
    )


# History


def _event_detail(event: TicketEvent) -> str:
    """What the history line adds to the event's name, from its data."""
    data = event.data or {}
    if event.kind in (Kind.ASSIGNED, Kind.TRANSFERRED):
        parts = [p for p in (data.get("to_name"), data.get("team_name")) if p]
        return "→ " + " · ".join(parts) if parts else ""
    if event.kind == Kind.REVISITED:
        outcome = {
            RevisitOutcome.SATISFIED: _("satisfied"),
            RevisitOutcome.DISSATISFIED: _("not satisfied"),
            RevisitOutcome.UNREACHABLE: _("customer not reached"),
        }.get(data.get("outcome"), "")
        score = data.get("satisfaction")
        return f"{outcome} ({score}/5)" if score else outcome
    if event.kind == Kind.BREACHED:
        return _("first response") if data.get("which") == "first_response" else _("resolution")
    if event.kind == Kind.ESCALATED:
        return "→ " + "、".join(data.get("to_names") or []) if data.get("to_names") else ""
    if event.kind == Kind.ATTACHMENT:
        return data.get("name", "")
    if event.kind == Kind.UPDATED:
        labels = {
            "title": _("subject"),
            "category_id": _("category"),
            "severity": _("severity"),
            "unit_id": _("unit"),
        }
        return "、".join(str(labels.get(name, name)) for name in data.get("changes", {}))
    return ""


def _event_link(event: TicketEvent) -> tuple[int | None, str]:
    data = event.data or {}
    for key, number in (("into", "into_number"), ("from", "from_number"), ("child", "child_number")):
        if event.kind in (Kind.MERGED, Kind.SPLIT) and data.get(key):
            return data[key], data.get(number, "")
    return None, ""


def _history(viewer: Membership, ticket: Ticket) -> list[TicketEvent]:
    events = list(selectors.ticket_events(viewer=viewer, ticket=ticket))
    for event in events:
        event.detail = _event_detail(event)
        event.link_id, event.link_number = _event_link(event)
    return events


# The page


def detail_response(
    request: PageRequest, ticket: Ticket, *, failed: tuple[str, forms.Form] | None = None
) -> HttpResponse:
    viewer = request.membership
    now = timezone.now()
    allowed = allowed_actions(viewer, ticket)
    if failed is not None and failed[0] not in allowed:
        # The page would not offer it (the ticket moved on, or the role cannot): show the refusal anyway.
        allowed.insert(0, failed[0])
    panels: dict[str, Panel] = {}
    for name in allowed:
        if failed is not None and failed[0] == name:
            panels[name] = _panel(name, ticket, failed[1], open=True)
        else:
            panels[name] = _panel(name, ticket, build_form(name, viewer, ticket))
    compose = [panels[name] for name in ("reply", "note") if name in panels]
    side = [panels[name] for name in allowed if name not in ("reply", "note")]
    context = {
        "ticket": ticket,
        "first_clock": first_response_clock(ticket, now),
        "resolution_clock": resolution_clock(ticket, now),
        "events": _history(viewer, ticket),
        "photos": list(selectors.ticket_attachments(viewer=viewer, ticket=ticket)),
        "compose": compose,
        "compose_open": next((p.name for p in compose if p.open), compose[0].name if compose else ""),
        "side_panels": side,
        "others": list(selectors.presence_others(viewer=viewer, ticket=ticket, now=now)),
        "is_revisit_kind": ticket.kind not in services.NO_REVISIT_KINDS,
        **customer_card(viewer, ticket),
    }
    return TemplateResponse(request, "tickets/ticket_detail.html", context)


def ticket_detail(request: PageRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_get(viewer=request.membership, ticket_id=ticket_id)
    return detail_response(request, ticket)


# The actions

Perform = Callable[[Membership, Ticket, dict[str, Any]], tuple[Ticket, str]]


def _number(ticket: Ticket) -> dict[str, str]:
    return {"number": ticket.number}


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _reply(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    services.ticket_reply(actor=actor, ticket=ticket, body=data["body"], channel=data["channel"])
    return ticket, _("Reply to the customer recorded on %(number)s.") % _number(ticket)


def _note(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    services.ticket_note(actor=actor, ticket=ticket, body=data["body"])
    return ticket, _("Internal note added to %(number)s.") % _number(ticket)


def _to_whom(ticket: Ticket) -> str:
    if ticket.assignee is not None:
        return ticket.assignee.name
    return _("team %(team)s (handed out in working hours)") % {"team": ticket.team.name if ticket.team else "—"}


def _assign(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_assign(actor=actor, ticket=ticket, assignee=data["assignee"], team=data["team"])
    return ticket, _("%(number)s assigned to %(to)s.") % {"number": ticket.number, "to": _to_whom(ticket)}


def _transfer(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_transfer(
        actor=actor, ticket=ticket, reason=data["reason"], assignee=data["assignee"], team=data["team"]
    )
    return ticket, _("%(number)s transferred to %(to)s.") % {"number": ticket.number, "to": _to_whom(ticket)}


def _pause(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_pause(actor=actor, ticket=ticket, reason=data["reason"])
    return ticket, _("The clocks of %(number)s are paused until the customer answers.") % _number(ticket)


def _resume(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_resume(actor=actor, ticket=ticket)
    return ticket, _("The clocks of %(number)s run again; resolution is due by %(due)s.") % {
        "number": ticket.number,
        "due": _local(ticket.resolution_due_at),
    }


def _resolve(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_resolve(actor=actor, ticket=ticket, resolution=data["resolution"])
    if ticket.status == Status.CLOSED:
        return ticket, _("%(number)s resolved and closed.") % _number(ticket)
    return ticket, _("%(number)s resolved. Revisit the customer by %(due)s.") % {
        "number": ticket.number,
        "due": _local(ticket.revisit_due_at),
    }


def _revisit(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_revisit(
        actor=actor,
        ticket=ticket,
        method=data["method"],
        outcome=data["outcome"],
        satisfaction=data["satisfaction"],
        note=data["note"],
    )
    if data["outcome"] == RevisitOutcome.UNREACHABLE:
        return ticket, _("Customer not reached; try again by %(due)s.") % {"due": _local(ticket.revisit_due_at)}
    if ticket.status == Status.CLOSED:
        return ticket, _("Revisit recorded; %(number)s is closed.") % _number(ticket)
    return ticket, _("The customer is not satisfied: %(number)s is reopened, resolution due by %(due)s.") % {
        "number": ticket.number,
        "due": _local(ticket.resolution_due_at),
    }


def _close(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_close(actor=actor, ticket=ticket, reason=data["reason"])
    return ticket, _("%(number)s closed.") % _number(ticket)


def _reopen(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_reopen(actor=actor, ticket=ticket, reason=data["reason"])
    return ticket, _("%(number)s reopened; resolution due by %(due)s.") % {
        "number": ticket.number,
        "due": _local(ticket.resolution_due_at),
    }


def _attach(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    # All the photos or none: a bad one must not leave half an upload behind.
    with transaction.atomic():
        for upload in data["attachments"]:
            services.attachment_add(actor=actor, ticket=ticket, upload=upload)
    return ticket, _("%(count)s photo(s) added to %(number)s.") % {
        "count": len(data["attachments"]),
        "number": ticket.number,
    }


def _edit(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    ticket = services.ticket_update(
        actor=actor,
        ticket=ticket,
        title=data["title"],
        category=data["category"],
        severity=data["severity"],
        unit=data["unit"],
    )
    return ticket, _("The details of %(number)s have been saved.") % _number(ticket)


def _merge(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    try:
        target = selectors.ticket_get_by_number(viewer=actor, number=data["target"])
    except Http404 as exc:
        raise _NoSuchTicket(_("No ticket with this number in your part of the organisation."), field="target") from exc
    target = services.ticket_merge(actor=actor, source=ticket, target=target)
    return target, _("%(number)s merged into %(target)s.") % {"number": ticket.number, "target": target.number}


class _NoSuchTicket(KefuError):
    code = "ticket_not_found"


def _split(actor: Membership, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, str]:
    child = services.ticket_split(
        actor=actor,
        ticket=ticket,
        title=data["title"],
        description=data["description"],
        kind=data["kind"],
        category=data["category"],
    )
    return child, _("%(child)s split off from %(number)s.") % {"child": child.number, "number": ticket.number}


PERFORM: dict[str, Perform] = {
    "reply": _reply,
    "note": _note,
    "assign": _assign,
    "transfer": _transfer,
    "pause": _pause,
    "resume": _resume,
    "resolve": _resolve,
    "revisit": _revisit,
    "close": _close,
    "reopen": _reopen,
    "attach": _attach,
    "edit": _edit,
    "merge": _merge,
    "split": _split,
}


def _act(request: PageRequest, ticket_id: int, name: str) -> HttpResponse:
    viewer = request.membership
    ticket = selectors.ticket_get(viewer=viewer, ticket_id=ticket_id)
    form = build_form(name, viewer, ticket, data=request.POST, files=request.FILES)
    if form.is_valid():
        try:
            target, message = PERFORM[name](viewer, ticket, form.cleaned_data)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, message)
            url = reverse("tickets:ticket_detail", kwargs={"ticket_id": target.pk})
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
    if request.htmx:
        context = {"panel": _panel(name, ticket, form, open=True), "ticket": ticket}
        return TemplateResponse(request, "tickets/action_form.html", context)
    ticket = selectors.ticket_get(viewer=viewer, ticket_id=ticket_id)
    return detail_response(request, ticket, failed=(name, form))


def _action_view(name: str) -> Callable[[PageRequest, int], HttpResponse]:
    @require_POST
    def view(request: PageRequest, ticket_id: int) -> HttpResponse:
        return _act(request, ticket_id, name)

    view.__name__ = view.__qualname__ = f"ticket_{name}"
    view.__doc__ = f"POST the {name} form of the ticket page."
    return view


ticket_reply = _action_view("reply")
ticket_note = _action_view("note")
ticket_assign = _action_view("assign")
ticket_transfer = _action_view("transfer")
ticket_pause = _action_view("pause")
ticket_resume = _action_view("resume")
ticket_resolve = _action_view("resolve")
ticket_revisit = _action_view("revisit")
ticket_close = _action_view("close")
ticket_reopen = _action_view("reopen")
ticket_attach = _action_view("attach")
ticket_edit = _action_view("edit")
ticket_merge = _action_view("merge")
ticket_split = _action_view("split")
