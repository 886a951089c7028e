"""Staff pages of the customer ledger: the list with its search, the 360° customer page and the
forms that change a customer. Selectors read, services write; another unit's row is a 404."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error as _add_error
from kefu.core.pages import int_param as _int_param
from kefu.core.pages import valid_filters as _filters
from kefu.core.permissions import can
from kefu.customers import selectors, services
from kefu.customers.forms import (
    ConsentForm,
    ContactForm,
    ContactPersonForm,
    CustomerCreateForm,
    CustomerEditForm,
    CustomerFilterForm,
    GradeOverrideForm,
    HouseholdAddForm,
    HouseholdDatesForm,
    IdNumberForm,
    ScoresForm,
)
from kefu.customers.identity import mask_mobile
from kefu.customers.models import Consent, ContactMethod, Customer
from kefu.orgs.models import Membership
from kefu.orgs.selectors import unit_choices
from kefu.properties import selectors as property_selectors
from kefu.properties.models import Project

PAGE_SIZE = 50
TIMELINE_PAGE = 20


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def _detail(customer: Customer) -> HttpResponse:
    return redirect("customers:customer_detail", customer_id=customer.pk)


def _masked(contact: ContactMethod) -> str:
    return mask_mobile(contact.value) if contact.kind == ContactMethod.Kind.MOBILE else contact.value


# The list and its search


def customer_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = CustomerFilterForm(
        request.GET or None,
        projects=property_selectors.project_choices(viewer=viewer),
        tags=selectors.tag_choices(viewer=viewer),
    )
    filters = _filters(form)
    project: Project | None = filters.get("project")
    customers = selectors.customer_list(
        viewer=viewer,
        q=filters.get("q"),
        grade=filters.get("grade"),
        stage=filters.get("stage"),
        kind=filters.get("kind"),
        tag=filters["tag"].pk if "tag" in filters else None,
        project_id=project.pk if project else None,
    )
    page_obj = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    for customer in page_obj:
        customer.mobile_masked = mask_mobile(customer.primary_mobile) if customer.primary_mobile else ""
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": bool(filters),
        "can_manage": can(viewer, services.MANAGE),
        "can_import": can(viewer, "customers.import"),
        "can_export": can(viewer, "customers.export"),
    }
    template = "customers/customer_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


# Creating and editing


def customer_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = CustomerCreateForm(
        request.POST or None,
        organisations=unit_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        initial={"organisation": viewer.unit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=viewer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Customer %(name)s has been created.") % {"name": customer.name})
            return _detail(customer)
    return TemplateResponse(request, "customers/customer_form.html", {"form": form, "customer": None})


def customer_edit(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    initial = {name: getattr(customer, name) for name in CustomerEditForm.base_fields}
    form = CustomerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_update(actor=viewer, customer=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Customer %(name)s has been saved.") % {"name": customer.name})
            return _detail(customer)
    return TemplateResponse(request, "customers/customer_form.html", {"form": form, "customer": customer})


# The 360° page


def _timeline_offset(request: HttpRequest) -> int:
    offset = _int_param(request, "timeline") or 0
    return max(offset, 0)


def customer_detail(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    offset = _timeline_offset(request)
    if request.htmx and "timeline" in request.GET:
        # "Show more": the next entries only, appended in place of the button.
        start, count = offset, TIMELINE_PAGE
    else:
        # Without JavaScript the link reloads the page with every entry up to the next page.
        start, count = 0, offset + TIMELINE_PAGE
    entries = list(selectors.timeline_for(viewer=viewer, customer=customer, limit=count + 1, offset=start))
    context = {
        "customer": customer,
        "timeline": entries[:count],
        "timeline_next": start + count if len(entries) > count else None,
        # Message entries link to their delivery log entry for those who may read the log.
        "can_view_messages": can(viewer, "notifications.view_log"),
    }
    if request.htmx and "timeline" in request.GET:
        return TemplateResponse(request, "customers/customer_detail.html#timeline_entries", context)
    contacts = list(customer.contacts.all())
    for contact in contacts:
        contact.masked = _masked(contact)
    people = list(customer.contact_people.all())
    for person in people:
        person.mobile_masked = mask_mobile(person.mobile) if person.mobile.isdigit() else person.mobile
    context |= {
        "contacts": contacts,
        "contact_people": people,
        "households": list(customer.households.all()),
        "consents": list(customer.consents.all()),
        "can_manage": can(viewer, services.MANAGE) and not customer.merged_into_id and not customer.is_anonymised,
        "can_reveal": can(viewer, "customers.reveal"),
        "can_export_data": can(viewer, "customers.export"),
        "can_erase": can(viewer, "customers.erase"),
    }
    return TemplateResponse(request, "customers/customer_detail.html", context)


# Households


def _unit_picker(request: PageRequest, *, customer: Customer) -> HouseholdAddForm:
    viewer = request.membership
    project_id = _int_param(request, "project")
    building_id = _int_param(request, "building")
    buildings = property_selectors.building_choices(viewer=viewer, project_id=project_id) if project_id else None
    units = None
    if buildings is not None and building_id:
        # Only the chosen building's units, and only if that building is in the chosen project.
        units = property_selectors.unit_list(viewer=viewer, project_id=project_id, building_id=building_id)
    initial = {"project": project_id, "building": building_id}
    return HouseholdAddForm(
        request.POST or None,
        projects=property_selectors.project_choices(viewer=viewer),
        buildings=buildings,
        units=units,
        refresh_url=reverse("customers:household_add", kwargs={"customer_id": customer.pk}),
        initial=initial,
    )


def household_add(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    form = _unit_picker(request, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_add(
                actor=viewer,
                customer=customer,
                unit=data["unit"],
                role=data["role"],
                **{name: data[name] for name in services.HOUSEHOLD_DATES},
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now linked to unit %(unit)s.") % {"name": customer.name, "unit": household.unit.label},
            )
            return _detail(customer)
    context = {"form": form, "customer": customer, "household": None}
    return TemplateResponse(request, "customers/household_form.html", context)


def household_edit(request: PageRequest, household_id: int) -> HttpResponse:
    viewer = request.membership
    household = selectors.household_get(viewer=viewer, household_id=household_id)
    initial: dict[str, str | date | None] = {name: getattr(household, name) for name in HouseholdDatesForm.base_fields}
    form = HouseholdDatesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_update(actor=viewer, household=household, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Unit %(unit)s has been saved.") % {"unit": household.unit.label})
            return _detail(household.customer)
    context = {"form": form, "customer": household.customer, "household": household}
    return TemplateResponse(request, "customers/household_form.html", context)


# Contact methods


def contact_add(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_add(actor=viewer, customer=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s %(value)s has been added.")
                % {"kind": contact.get_kind_display(), "value": _masked(contact)},
            )
            return _detail(customer)
    return TemplateResponse(request, "customers/contact_form.html", {"form": form, "customer": customer})


# Consent and the ID number


def consent_add(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_grant(actor=viewer, customer=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Consent recorded: %(purpose)s.") % {"purpose": consent.get_purpose_display()})
            return _detail(customer)
    return TemplateResponse(request, "customers/consent_form.html", {"form": form, "customer": customer})


@require_POST
def consent_withdraw(request: PageRequest, consent_id: int) -> HttpResponse:
    viewer = request.membership
    consent = selectors.consent_get(viewer=viewer, consent_id=consent_id)
    try:
        consent = services.consent_withdraw(actor=viewer, consent=consent)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Consent withdrawn: %(purpose)s.") % {"purpose": consent.get_purpose_display()})
    return _detail(consent.customer)


def id_number_set(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    has_consent = services.has_consent(customer=customer, purpose=Consent.Purpose.ID_NUMBER)
    form = IdNumberForm(request.POST or None, has_consent=has_consent)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_set_id_number(actor=viewer, customer=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The ID number has been stored, encrypted."))
            return _detail(customer)
    context = {"form": form, "customer": customer, "has_consent": has_consent}
    return TemplateResponse(request, "customers/customer_id_number_form.html", context)


# Grade and scores


def grade_override(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    form = GradeOverrideForm(request.POST or None, initial={"grade": customer.grade})
    if request.method == "POST" and form.is_valid():
        grade, note = form.cleaned_data["grade"], form.cleaned_data["note"]
        try:
            with transaction.atomic():
                customer = services.customer_override_grade(actor=viewer, customer=customer, grade=grade, note=note)
                if not grade:
                    # Back to the rules: grade by the scores on file now, not at the next change.
                    customer = services.customer_set_scores(
                        actor=viewer,
                        customer=customer,
                        contribution=customer.contribution_score,
                        influence=customer.influence_score,
                        potential=customer.potential_score,
                    )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The grade of %(name)s has been saved.") % {"name": customer.name})
            return _detail(customer)
    return TemplateResponse(request, "customers/customer_grade_form.html", {"form": form, "customer": customer})


def scores_set(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    initial = {
        "contribution": customer.contribution_score,
        "influence": customer.influence_score,
        "potential": customer.potential_score,
    }
    form = ScoresForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_set_scores(actor=viewer, customer=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The scores of %(name)s have been saved.") % {"name": customer.name})
            return _detail(customer)
    return TemplateResponse(request, "customers/customer_scores_form.html", {"form": form, "customer": customer})


@require_POST
def contact_remove(request: PageRequest, contact_id: int) -> HttpResponse:
    viewer = request.membership
    contact = selectors.contact_get(viewer=viewer, contact_id=contact_id)
    masked = _masked(contact)
    try:
        customer = services.contact_remove(actor=viewer, contact=contact)
    except KefuError as exc:
        messages.error(request, exc.message)
        customer = contact.customer
    else:
        messages.success(request, _("%(value)s has been removed.") % {"value": masked})
    return _detail(customer)


def contactperson_add(request: PageRequest, customer_id: int) -> HttpResponse:
    viewer = request.membership
    customer = selectors.customer_get(viewer=viewer, customer_id=customer_id)
    form = ContactPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.contactperson_add(actor=viewer, company=customer, **form.cleaned_data)
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Contact person %(name)s has been added.") % {"name": person.name})
            return _detail(customer)
    return TemplateResponse(request, "customers/contactperson_form.html", {"form": form, "customer": customer})


@require_POST
def contactperson_remove(request: PageRequest, contactperson_id: int) -> HttpResponse:
    viewer = request.membership
    person = selectors.contactperson_get(viewer=viewer, contactperson_id=contactperson_id)
    try:
        customer = services.contactperson_remove(actor=viewer, person=person)
    except KefuError as exc:
        messages.error(request, exc.message)
        customer = person.company
    else:
        messages.success(request, _("Contact person %(name)s has been removed.") % {"name": person.name})
    return _detail(customer)
