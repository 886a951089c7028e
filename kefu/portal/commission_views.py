"""The client's commissions 委托: the list, the progress page a node push links to, and the
download of shared deliverables. A customer sees only the commissions they are a contact of."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import FileResponse, Http404, HttpResponseBase
from django.template.response import TemplateResponse

from kefu.core.zones import local_today
from kefu.engagements import selectors
from kefu.engagements.models import Commission, Node
from kefu.portal.auth import PortalRequest, portal_login_required


@dataclass
class NodeRow:
    node: Node
    is_open: bool
    is_late: bool


def _rows(commission: Commission) -> list[NodeRow]:
    today = local_today(commission.organisation)
    rows = []
    for node in commission.nodes.all():
        is_open = node.status in Node.OPEN_STATUSES
        is_late = node.is_overdue(today) or bool(node.delay_days)
        rows.append(NodeRow(node=node, is_open=is_open, is_late=is_late))
    return rows


@portal_login_required
def commission_list(request: PortalRequest) -> HttpResponseBase:
    commissions = selectors.commissions_for_customer(request.customer.pk)
    return TemplateResponse(request, "portal/commission_list.html", {"commissions": commissions})


@portal_login_required
def commission_detail(request: PortalRequest, commission_id: int) -> HttpResponseBase:
    customer = request.customer
    commission = selectors.commission_for_customer(customer_id=customer.pk, commission_id=commission_id)
    rows = _rows(commission)
    next_row = next((row for row in rows if row.is_open), None)
    context = {
        "commission": commission,
        "rows": rows,
        "next_node": next_row.node if next_row is not None else None,
        "deliverables": list(commission.deliverables.all()),
        "plan_changes": list(commission.plan_changes.all()),
        "evaluations": selectors.open_evaluations_for_customer(customer_id=customer.pk, commission=commission),
        "manager": commission.manager,
    }
    return TemplateResponse(request, "portal/commission_detail.html", context)


@portal_login_required
def commission_file(request: PortalRequest, commission_id: int, deliverable_id: int) -> HttpResponseBase:
    deliverable = selectors.shared_deliverable_for_customer(
        customer_id=request.customer.pk, commission_id=commission_id, deliverable_id=deliverable_id
    )
    try:
        handle = deliverable.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=deliverable.download_name)
