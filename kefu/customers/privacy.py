"""Personal-data rights and safeguards: showing a masked value in full, the customer's copy of
their data (subject access), and erasure on request. Each writes an audit entry in its own
transaction, so nothing is shown, exported or erased without a record of it."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.crypto import decrypt
from kefu.core.permissions import can, ensure_can
from kefu.core.scoping import one_or_404, visible
from kefu.customers.errors import CustomerAnonymised, ErasureReasonMissing, NothingToReveal
from kefu.customers.identity import display_mobile, mask_mobile
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, TimelineEntry
from kefu.customers.services import timeline_record
from kefu.orgs.models import Membership

REVEAL = "customers.reveal"
EXPORT = "customers.export"
ERASE = "customers.erase"


class PrivacyTimelineKind:
    EXPORTED = "customers.privacy_exported"
    ERASED = "customers.erased"


def can_reveal(viewer: Membership) -> bool:
    """Whether the viewer may see mobiles and ID numbers in full (the customer page asks, to
    show or hide the "Show" buttons)."""
    return can(viewer, REVEAL)


def privacy_customer_get(*, viewer: Membership, customer_id: int) -> Customer:
    """A customer in the viewer's scope, merged or not (their data is still theirs), or 404."""
    return one_or_404(visible(Customer, viewer).select_related("organisation"), pk=customer_id)


def privacy_contact_get(*, viewer: Membership, contact_id: int) -> ContactMethod:
    contacts = ContactMethod.objects.select_related("customer__organisation").filter(
        customer__in=visible(Customer, viewer).values("pk")
    )
    return one_or_404(contacts, pk=contact_id)


def _masked_contact_value(contact: ContactMethod) -> str:
    if contact.kind in (ContactMethod.Kind.MOBILE, ContactMethod.Kind.PHONE):
        return mask_mobile(contact.value)
    return contact.value


def _contact_display(contact: ContactMethod) -> str:
    if contact.kind == ContactMethod.Kind.MOBILE:
        return display_mobile(contact.value)
    return contact.value


@transaction.atomic
def customer_reveal_id_number(*, actor: Membership, customer: Customer) -> str:
    """The full ID number, for roles allowed to see it; every call is audited."""
    ensure_can(actor, REVEAL, customer.organisation)
    if not customer.id_number_encrypted:
        raise NothingToReveal()
    value = decrypt(customer.id_number_encrypted)
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=AuditEntry.Action.REVEAL,
        obj=customer,
        object_label=customer.name,
        changes={"id_number": customer.id_number_masked},
    )
    return value


@transaction.atomic
def contact_reveal(*, actor: Membership, contact: ContactMethod) -> str:
    """A contact method in full (a mobile as people write it), audited like an ID number."""
    customer = contact.customer
    ensure_can(actor, REVEAL, customer.organisation)
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=AuditEntry.Action.REVEAL,
        obj=contact,
        object_label=f"{customer.name} · {contact.get_kind_display()}",
        changes={contact.kind: _masked_contact_value(contact)},
    )
    return _contact_display(contact)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def customer_subject_export(*, actor: Membership, customer: Customer) -> dict[str, Any]:
    """Everything Kefu holds on the customer, for their right to a copy. Mobiles and the ID
    number are in full only for roles that may reveal them; the export is audited."""
    ensure_can(actor, EXPORT, customer.organisation)
    full = can(actor, REVEAL)
    customer = (
        Customer.objects.select_related("organisation")
        .prefetch_related("tags", "contacts", "contact_people", "consents", "households__unit__project")
        .get(pk=customer.pk)
    )
    if customer.id_number_encrypted and full:
        id_number = decrypt(customer.id_number_encrypted)
    else:
        id_number = customer.id_number_masked
    timeline = TimelineEntry.objects.filter(customer=customer).order_by("occurred_at", "id")
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.name,
        "organisation": customer.organisation.name,
        "values_in_full": full,
        "customer": {
            "id": customer.pk,
            "kind": str(customer.get_kind_display()),
            "name": customer.name,
            "credit_code": customer.credit_code,
            "id_number": id_number,
            "grade": str(customer.get_grade_display()),
            "grade_reason": customer.grade_reason,
            "stage": str(customer.get_stage_display()),
            "tags": [tag.name for tag in customer.tags.all()],
            "notes": customer.notes,
            "created_at": _iso(customer.created_at),
            "is_anonymised": customer.is_anonymised,
        },
        "contact_methods": [
            {
                "kind": str(contact.get_kind_display()),
                "value": _contact_display(contact) if full else _masked_contact_value(contact),
                "is_primary": contact.is_primary,
            }
            for contact in customer.contacts.all()
        ],
        "contact_people": [
            {
                "name": person.name,
                "title": person.title,
                "mobile": person.mobile if full or not person.mobile else mask_mobile(person.mobile),
                "email": person.email,
            }
            for person in customer.contact_people.all()
        ],
        "households": [
            {
                "project": household.unit.project.name,
                "unit": household.unit.label,
                "role": str(household.get_role_display()),
                "subscribed_on": _iso(household.subscribed_on),
                "signed_on": _iso(household.signed_on),
                "delivered_on": _iso(household.delivered_on),
                "moved_in_on": _iso(household.moved_in_on),
            }
            for household in customer.households.all()
        ],
        "consents": [
            {
                "purpose": str(consent.get_purpose_display()),
                "channel": str(consent.get_channel_display()),
                "method": str(consent.get_method_display()),
                "granted_at": _iso(consent.granted_at),
                "withdrawn_at": _iso(consent.withdrawn_at),
                "evidence": consent.evidence,
            }
            for consent in customer.consents.all()
        ],
        "timeline": [
            {"occurred_at": _iso(entry.occurred_at), "event": entry.kind, "summary": entry.summary}
            for entry in timeline
        ],
    }
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=AuditEntry.Action.EXPORT,
        obj=customer,
        object_label=customer.name,
        note=_("Copy of the customer's data (values in full)") if full else _("Copy of the customer's data (masked)"),
    )
    timeline_record(
        customer=customer,
        kind=PrivacyTimelineKind.EXPORTED,
        summary=_("A copy of the customer's data was exported"),
        actor=actor,
    )
    return data


@dataclass(frozen=True)
class ErasePreview:
    """What an erasure removes and what it keeps, for the confirmation page."""

    has_id_number: bool
    contacts: int
    contact_people: int
    open_consents: int
    households: int
    timeline_entries: int
    merged_records: int


def erase_preview(*, customer: Customer) -> ErasePreview:
    return ErasePreview(
        has_id_number=bool(customer.id_number_hash),
        contacts=ContactMethod.objects.filter(customer=customer).count(),
        contact_people=ContactPerson.objects.filter(company=customer).count(),
        open_consents=Consent.objects.filter(customer=customer, withdrawn_at__isnull=True).count(),
        households=customer.households.count(),
        timeline_entries=TimelineEntry.objects.filter(customer=customer).count(),
        merged_records=Customer.objects.filter(merged_into=customer, is_anonymised=False).count(),
    )


def _erase_personal_data(customer: Customer) -> dict[str, Any]:
    """Remove what identifies the customer from the record and return the audit changes.
    Households, grade, stage, scores and tags stay: they carry no identity and statistics
    (handover rates, grade mix) need them."""
    old_name, old_id = customer.name, customer.id_number_masked
    customer.name = _("Erased customer #%(id)s") % {"id": customer.pk}
    customer.name_pinyin = customer.name_initials = ""
    customer.credit_code = customer.notes = ""
    customer.id_number_encrypted = customer.id_number_hash = customer.id_number_masked = ""
    if customer.grade_source == Customer.GradeSource.MANUAL:
        customer.grade_reason = ""  # a note typed by hand may say anything about the person
    customer.is_anonymised = True
    customer.save()
    contacts, _deleted = ContactMethod.objects.filter(customer=customer).delete()
    people, _deleted = ContactPerson.objects.filter(company=customer).delete()
    open_consents = Consent.objects.filter(customer=customer, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), updated_at=timezone.now()
    )
    Consent.objects.filter(customer=customer).exclude(evidence="").update(evidence="")
    # Timeline summaries hold masked values only, but some name the customer.
    entries = list(TimelineEntry.objects.filter(customer=customer, summary__contains=old_name))
    for entry in entries:
        entry.summary = entry.summary.replace(old_name, customer.name)[:255]
    TimelineEntry.objects.bulk_update(entries, ["summary"])
    changes: dict[str, Any] = {"name": {"old": "…", "new": customer.name}}
    if old_id:
        changes["id_number"] = {"old": old_id, "new": None}
    for key, count in (("contacts", contacts), ("contact_people", people), ("consents", open_consents)):
        if count:
            changes[key] = {"old": count, "new": 0}
    return changes


@transaction.atomic
def customer_erase(*, actor: Membership, customer: Customer, reason: str) -> Customer:
    """Erase the customer's personal data on their request, keeping the record (renamed
    "Erased customer #id") so that statistics stay whole. Records merged into this one are
    erased with it. Nothing can be changed afterwards."""
    customer = Customer.objects.select_for_update().select_related("organisation").get(pk=customer.pk)
    ensure_can(actor, ERASE, customer.organisation)
    reason = reason.strip()
    if not reason:
        raise ErasureReasonMissing(field="reason")
    if customer.is_anonymised:
        raise CustomerAnonymised()
    merged = list(Customer.objects.select_for_update().filter(merged_into=customer, is_anonymised=False))
    for record in [customer, *merged]:
        changes = _erase_personal_data(record)
        audit_record(
            actor=actor,
            organisation=record.organisation,
            action=AuditEntry.Action.ERASE,
            obj=record,
            object_label=record.name,
            changes=changes,
            note=reason,
        )
    timeline_record(
        customer=customer,
        kind=PrivacyTimelineKind.ERASED,
        summary=_("Personal data erased on request"),
        actor=actor,
    )
    return customer
