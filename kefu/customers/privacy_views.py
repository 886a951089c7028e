"""Pages for personal-data rights: show a masked value in full, a customer's copy of their
data, erasure on request. The work and the audit entries are in kefu.customers.privacy."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from kefu.audit.models import RETENTION_DAYS
from kefu.core.errors import Forbidden, KefuError
from kefu.core.forms import StyledForm
from kefu.customers import privacy
from kefu.orgs.models import Membership


class PrivacyRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


class EraseForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E.g. the customer's written request and its date. Kept in the audit log."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the personal data cannot be restored."),
    )


def _revealed(request: PrivacyRequest, *, element_id: str, value: str) -> HttpResponse:
    response = TemplateResponse(
        request, "customers/privacy_reveal.html#revealed", {"element_id": element_id, "value": value}
    )
    # A full value must not linger in shared caches or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def reveal_id(request: PrivacyRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = privacy.privacy_customer_get(viewer=viewer, customer_id=customer_id)
    try:
        value = privacy.customer_reveal_id_number(actor=viewer, customer=customer)
    except Forbidden as exc:
        raise PermissionDenied from exc
    except KefuError as exc:
        return HttpResponse(exc.message, status=exc.status)
    return _revealed(request, element_id=f"id-number-{customer.pk}", value=value)


@require_POST
def reveal_contact(request: PrivacyRequest, contact_id: int) -> HttpResponse:
    viewer = request.membership
    contact = privacy.privacy_contact_get(viewer=viewer, contact_id=contact_id)
    try:
        value = privacy.contact_reveal(actor=viewer, contact=contact)
    except Forbidden as exc:
        raise PermissionDenied from exc
    return _revealed(request, element_id=f"contact-{contact.pk}", value=value)


@require_GET
def privacy_export(request: PrivacyRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = privacy.privacy_customer_get(viewer=viewer, customer_id=customer_id)
    try:
        data = privacy.customer_subject_export(actor=viewer, customer=customer)
    except Forbidden as exc:
        raise PermissionDenied from exc
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def privacy_erase(request: PrivacyRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = privacy.privacy_customer_get(viewer=viewer, customer_id=customer_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.customer_erase(actor=viewer, customer=customer, reason=form.cleaned_data["reason"])
        except Forbidden as exc:
            raise PermissionDenied from exc
        except KefuError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The customer's personal data has been erased. Households and statistics are kept."),
            )
            return redirect("customers:customer_detail", customer_id=customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "preview": privacy.erase_preview(customer=customer),
        "retention_days": RETENTION_DAYS,
    }
    return TemplateResponse(request, "customers/privacy_erase.html", context)
