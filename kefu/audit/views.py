"""The audit log page for administrators: search the entries, verify the chain."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from kefu.audit import selectors
from kefu.audit.display import ACTION_BADGES, change_rows, record_type_label
from kefu.audit.forms import AuditFilterForm
from kefu.audit.models import RETENTION_DAYS
from kefu.audit.services import ChainReport, audit_chain_start, audit_verify
from kefu.orgs.models import Membership

PAGE_SIZE = 50


class AuditRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


@require_GET
def entry_list(request: AuditRequest) -> HttpResponse:
    viewer = request.membership
    form = AuditFilterForm(request.GET or None, object_types=selectors.audit_object_types(viewer=viewer))
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_entry_list(
        viewer=viewer,
        object_type=filters.get("object_type"),
        action=filters.get("action"),
        actor=filters.get("actor"),
        since=filters.get("since"),
        until=filters.get("until"),
        q=filters.get("q"),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "type_label": record_type_label(entry.object_type),
            "badge": ACTION_BADGES.get(entry.action, "bg-secondary-lt"),
            "changes": change_rows(entry),
        }
        for entry in page
    ]
    context: dict[str, Any] = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "retention_days": RETENTION_DAYS,
        "filtered": any(filters.values()),
    }
    template = "audit/entry_list.html#rows" if request.htmx else "audit/entry_list.html"
    return TemplateResponse(request, template, context)


def _verify() -> ChainReport:
    # After an operator archived old entries the chain starts later; the panel says so.
    return audit_verify(start_after=audit_chain_start())


@require_POST
def verify(request: AuditRequest) -> HttpResponse:
    report = _verify()
    if request.htmx:
        return TemplateResponse(request, "audit/entry_list.html#verify_panel", {"report": report})
    if report.ok:
        messages.success(request, _("Chain intact: %(count)s entries checked.") % {"count": report.checked})
    else:
        messages.error(
            request,
            _("The chain is broken at entry #%(sequence)s: %(reason)s.")
            % {"sequence": report.first_broken_sequence, "reason": report.reason},
        )
    return redirect("audit:entry_list")
