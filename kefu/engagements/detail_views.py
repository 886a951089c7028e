"""The commission's page and its actions (nodes, change of plan, deliverables, risks, close and
cancel) and the follow-up tasks, which end on the same page. Selectors read,
kefu.engagements.services writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import run_service, valid_filters
from kefu.core.permissions import can
from kefu.core.scoping import one_or_404
from kefu.core.zones import local_today
from kefu.engagements import selectors, services
from kefu.engagements.forms import (
    CancelForm,
    DeliverableForm,
    NodeCompleteForm,
    NodeSkipForm,
    PlanChangeForm,
    RiskForm,
    TaskCompleteForm,
    TaskFilterForm,
)
from kefu.engagements.models import Commission, Node
from kefu.engagements.views import PAGE_SIZE, PageRequest, staff_choices

# The commission's page


def _detail_page(
    request: PageRequest,
    commission: Commission,
    *,
    forms: dict[str, Any] | None = None,
    node_forms: dict[int, dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.membership
    forms, node_forms = forms or {}, node_forms or {}
    today = local_today(commission.organisation)
    nodes = list(commission.nodes.all())
    open_nodes = [n for n in nodes if n.status in Node.OPEN_STATUSES]
    for node in nodes:
        node.is_late = node.is_overdue(today)  # type: ignore[attr-defined]
        own = node_forms.get(node.pk, {})
        node.complete_form = own.get("complete") or NodeCompleteForm(  # type: ignore[attr-defined]
            initial={"actual_on": min(today, max(node.planned_on, commission.starts_on))},
            prefix=f"n{node.pk}",
        )
        node.skip_form = own.get("skip") or NodeSkipForm(prefix=f"s{node.pk}")  # type: ignore[attr-defined]
        node.is_open_form = bool(own)  # type: ignore[attr-defined]
    is_open = commission.status in Commission.OPEN_STATUSES
    evaluations = selectors.commission_evaluations(commission)
    for evaluation in evaluations:
        response = getattr(evaluation.invitation, "response", None)
        evaluation.scores = (  # type: ignore[attr-defined]
            [(a.question.code, a.score) for a in response.answers.all() if a.score is not None] if response else []
        )
        evaluation.intervention_list = list(evaluation.invitation.interventions.all())  # type: ignore[attr-defined]
    context = {
        "commission": commission,
        "nodes": nodes,
        "nodes_done": sum(1 for n in nodes if n.status not in Node.OPEN_STATUSES),
        "late_count": sum(1 for n in nodes if n.is_late),  # type: ignore[attr-defined]
        "is_open": is_open,
        "can_work": is_open and services.works_on(viewer, commission),
        "can_cancel": is_open and can(viewer, "engagements.supervise"),
        "can_close": commission.status == Commission.Status.DELIVERED and services.works_on(viewer, commission),
        "can_follow_up": services.works_on(viewer, commission),
        "plan_form": forms.get("plan") or (PlanChangeForm(nodes=open_nodes) if open_nodes else None),
        "deliverable_form": forms.get("deliverable") or DeliverableForm(nodes=nodes),
        "risk_form": forms.get("risk") or RiskForm(nodes=nodes),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "task_form": forms.get("task") or TaskCompleteForm(),
        "task_error_id": forms.get("task_id"),
        "open_form": next(iter(forms), ""),
        "deliverables": list(commission.deliverables.all()),
        "risks": list(commission.risks.all()),
        "plan_changes": list(commission.plan_changes.all()),
        "tasks": list(commission.tasks.all()),
        "evaluations": evaluations,
        "events": selectors.commission_events(commission),
    }
    return TemplateResponse(request, "engagements/commission_detail.html", context, status=status)


def commission_detail(request: PageRequest, commission_id: int) -> HttpResponse:
    return _detail_page(request, selectors.commission_get(request.membership, pk=commission_id))


def _back(commission: Commission, anchor: str = "") -> HttpResponse:
    url = reverse("engagements:commission_detail", kwargs={"commission_id": commission.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _action(
    request: PageRequest,
    commission: Commission,
    *,
    form: Any,
    act: Callable[[dict[str, Any]], Any],
    done: str | Callable[[Any], str],
    key: str,
    anchor: str = "",
    node: Node | None = None,
    fields: Callable[[str], str | None] | None = None,
) -> HttpResponse:
    """Validate, call the service, then back to the commission with a message; a refusal that
    names a field of the form shows the page again with the error on that field."""
    if form is None or form.is_valid():
        data = form.cleaned_data if form is not None else {}
        try:
            result = act(data)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except KefuError as exc:
            field = fields(exc.field) if fields is not None and exc.field else exc.field
            if form is None or field not in form.fields:
                messages.error(request, exc.message)
                return _back(commission, anchor)
            form.add_error(field, exc.message)
        else:
            messages.success(request, done(result) if callable(done) else done)
            return _back(commission, anchor)
    messages.error(request, _("Nothing was saved; see the form below."))
    commission = selectors.commission_get(request.membership, pk=commission.pk)
    if node is not None:
        return _detail_page(request, commission, node_forms={node.pk: {key: form}}, status=400)
    return _detail_page(request, commission, forms={key: form}, status=400)


@require_POST
def commission_close(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    return _action(
        request,
        commission,
        form=None,
        key="close",
        act=lambda _data: services.commission_close(actor=viewer, commission=commission),
        done=_("The commission is closed; its contacts have been asked to evaluate the whole service."),
    )


@require_POST
def commission_cancel(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    return _action(
        request,
        commission,
        form=CancelForm(request.POST),
        key="cancel",
        act=lambda data: services.commission_cancel(actor=viewer, commission=commission, reason=data["reason"]),
        done=_("The commission is cancelled."),
    )


def _node(request: PageRequest, commission_id: int, node_id: int) -> tuple[Commission, Node]:
    viewer = request.membership
    node = selectors.node_get(viewer, commission_id=commission_id, pk=node_id)
    return selectors.commission_get(viewer, pk=commission_id), node


@require_POST
def node_start(request: PageRequest, commission_id: int, node_id: int) -> HttpResponse:
    commission, node = _node(request, commission_id, node_id)
    return _action(
        request,
        commission,
        form=None,
        key="start",
        anchor=f"node-{node.pk}",
        act=lambda _data: services.node_start(actor=request.membership, node=node),
        done=_("“%(node)s” is in progress.") % {"node": node.name},
    )


@require_POST
def node_complete(request: PageRequest, commission_id: int, node_id: int) -> HttpResponse:
    commission, node = _node(request, commission_id, node_id)
    return _action(
        request,
        commission,
        form=NodeCompleteForm(request.POST, prefix=f"n{node.pk}"),
        key="complete",
        node=node,
        anchor=f"node-{node.pk}",
        act=lambda data: services.node_complete(
            actor=request.membership, node=node, actual_on=data["actual_on"], note=data["note"]
        ),
        done=_("“%(node)s” is done; the client's contacts have been told.") % {"node": node.name},
    )


@require_POST
def node_skip(request: PageRequest, commission_id: int, node_id: int) -> HttpResponse:
    commission, node = _node(request, commission_id, node_id)
    return _action(
        request,
        commission,
        form=NodeSkipForm(request.POST, prefix=f"s{node.pk}"),
        key="skip",
        node=node,
        anchor=f"node-{node.pk}",
        act=lambda data: services.node_skip(actor=request.membership, node=node, reason=data["reason"]),
        done=_("“%(node)s” is skipped.") % {"node": node.name},
    )


@require_POST
def node_evaluate(request: PageRequest, commission_id: int, node_id: int) -> HttpResponse:
    commission, node = _node(request, commission_id, node_id)
    return _action(
        request,
        commission,
        form=None,
        key="evaluate",
        anchor="evaluations",
        act=lambda _data: services.evaluation_request(actor=request.membership, node=node),
        done=lambda sent: (
            ngettext(
                "%(count)s evaluation invitation sent for “%(node)s”.",
                "%(count)s evaluation invitations sent for “%(node)s”.",
                len(sent),
            )
            % {"count": len(sent), "node": node.name}
        ),
    )


def _plan_field(field: str) -> str | None:
    return "date_" + field.split(".", 1)[1] if field.startswith("dates.") and field != "dates" else "reason"


@require_POST
def plan_change(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    open_nodes = [n for n in commission.nodes.all() if n.status in Node.OPEN_STATUSES]
    form = PlanChangeForm(request.POST, nodes=open_nodes)
    return _action(
        request,
        commission,
        form=form,
        key="plan",
        anchor="plan",
        fields=_plan_field,
        act=lambda data: services.plan_change(
            actor=viewer, commission=commission, reason=data["reason"], dates=form.dates()
        ),
        done=lambda change: (
            ngettext(
                "The plan has been changed (%(count)s node moved); the client sees why.",
                "The plan has been changed (%(count)s nodes moved); the client sees why.",
                len(change.changes),
            )
            % {"count": len(change.changes)}
        ),
    )


def _node_of(commission: Commission, value: str) -> Node | None:
    return next((n for n in commission.nodes.all() if str(n.pk) == value), None) if value else None


@require_POST
def deliverable_add(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    return _action(
        request,
        commission,
        form=DeliverableForm(request.POST, request.FILES, nodes=commission.nodes.all()),
        key="deliverable",
        anchor="deliverables",
        act=lambda data: services.deliverable_add(
            actor=viewer,
            commission=commission,
            file=data["file"],
            name=data["name"],
            node=_node_of(commission, data["node"]),
            is_shared=data["is_shared"],
        ),
        done=lambda deliverable: _("The deliverable %(name)s has been uploaded.") % {"name": deliverable.name},
    )


def deliverable_download(request: PageRequest, commission_id: int, deliverable_id: int) -> FileResponse:
    commission = selectors.commission_get(request.membership, pk=commission_id)
    deliverable = one_or_404(commission.deliverables.all(), pk=deliverable_id)
    try:
        handle = deliverable.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=deliverable.download_name)


@require_POST
def risk_add(request: PageRequest, commission_id: int) -> HttpResponse:
    viewer = request.membership
    commission = selectors.commission_get(viewer, pk=commission_id)
    return _action(
        request,
        commission,
        form=RiskForm(request.POST, nodes=commission.nodes.all()),
        key="risk",
        anchor="risks",
        act=lambda data: services.risk_raise(
            actor=viewer,
            commission=commission,
            description=data["description"],
            level=data["level"],
            mitigation=data["mitigation"],
            node=_node_of(commission, data["node"]),
        ),
        done=_("The risk has been raised; close it once it is handled."),
    )


@require_POST
def risk_close(request: PageRequest, commission_id: int, risk_id: int) -> HttpResponse:
    viewer = request.membership
    risk = selectors.risk_get(viewer, commission_id=commission_id, pk=risk_id)
    commission = selectors.commission_get(viewer, pk=commission_id)
    return _action(
        request,
        commission,
        form=None,
        key="risk_close",
        anchor="risks",
        act=lambda _data: services.risk_close(actor=viewer, risk=risk),
        done=_("The risk is closed."),
    )


# Follow-up tasks


def task_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = TaskFilterForm(request.GET or None, staff=staff_choices(viewer))
    filters = valid_filters(form)
    assignee = filters.get("assignee")
    rows = selectors.task_list(
        viewer, open_only=filters.get("status") != "all", assignee_id=assignee.pk if assignee is not None else None
    )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for task in page_obj:
        # Only the commission's team (or a supervisor) may record the outcome; others just see it.
        task.can_complete = services.works_on(viewer, task.commission)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "today": local_today(viewer.unit),
        "mine_url_query": f"assignee={viewer.pk}",
    }
    template = "engagements/task_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


@require_POST
def task_complete(request: PageRequest, task_id: int) -> HttpResponse:
    viewer = request.membership
    task = selectors.task_get(viewer, pk=task_id)
    form = TaskCompleteForm(request.POST)
    back = request.POST.get("next") == "tasks"
    if form.is_valid():
        done = run_service(
            form, lambda: services.task_complete(actor=viewer, task=task, outcome=form.cleaned_data["outcome"])
        )
        if done is not None:
            messages.success(request, _("“%(task)s” is done and on the client's timeline.") % {"task": task.title})
            return redirect("engagements:task_list") if back else _back(task.commission, "tasks")
    if back:
        # The list has one small form per task: say which task and what is missing.
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(
            request, _("“%(task)s” was not marked done: %(problems)s") % {"task": task.title, "problems": problems}
        )
        return redirect("engagements:task_list")
    messages.error(request, _("Nothing was saved; see the form below."))
    commission = selectors.commission_get(viewer, pk=task.commission_id)
    return _detail_page(request, commission, forms={"task": form, "task_id": task.pk}, status=400)
