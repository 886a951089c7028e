"""Write operations on the customer ledger. Every change of personal data writes an audit
entry in the same transaction, and a timeline entry the customer page shows."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pypinyin import Style, lazy_pinyin

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.crypto import encrypt, keyed_hash
from kefu.core.permissions import ensure_can, in_scope
from kefu.core.scoping import ancestor_ids
from kefu.core.texts import stored_text
from kefu.customers.errors import (
    ContactTaken,
    CustomerAnonymised,
    CustomerMerged,
    HouseholdDatesOutOfOrder,
    HouseholdExists,
    IdNumberNeedsConsent,
    NotACompany,
    UnitOutsideScope,
)
from kefu.customers.identity import mask_id_number, mask_mobile, normalise_mobile, validate_id_number
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, GradeRule, Household, TimelineEntry
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Unit

MANAGE = "customers.manage"


class TimelineKind:
    """Kinds written by this app; other apps use their own "<app>.<event>" names."""

    CREATED = "customers.created"
    UPDATED = "customers.updated"
    CONTACT_ADDED = "customers.contact_added"
    CONTACT_REMOVED = "customers.contact_removed"
    CONTACT_PERSON_ADDED = "customers.contact_person_added"
    CONTACT_PERSON_REMOVED = "customers.contact_person_removed"
    HOUSEHOLD_ADDED = "customers.household_added"
    HOUSEHOLD_UPDATED = "customers.household_updated"
    GRADE_CHANGED = "customers.grade_changed"
    CONSENT_GRANTED = "customers.consent_granted"
    CONSENT_WITHDRAWN = "customers.consent_withdrawn"
    ID_NUMBER_SET = "customers.id_number_set"
    IMPORTED = "customers.imported"
    MERGED = "customers.merged"
    TAG_ADDED = "customers.tag_added"
    TAG_REMOVED = "customers.tag_removed"


def timeline_record(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    actor: Membership | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> TimelineEntry:
    """Record that something happened to a customer. The one door every module uses."""
    return TimelineEntry.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        kind=kind,
        summary=summary[:255],
        actor=actor.user if actor is not None else None,
        data=data or {},
        occurred_at=occurred_at or timezone.now(),
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
    )


def timeline_record_many(entries: Iterable[dict[str, Any]]) -> int:
    """Record many events at once (for scans): each dict has timeline_record's keyword arguments."""
    rows = []
    types: dict[type, ContentType] = {}
    for entry in entries:
        customer, target, actor = entry["customer"], entry.get("target"), entry.get("actor")
        content_type = None
        if target is not None:
            content_type = types.setdefault(type(target), ContentType.objects.get_for_model(target))
        rows.append(
            TimelineEntry(
                organisation_id=customer.organisation_id,
                customer_id=customer.pk,
                kind=entry["kind"],
                summary=entry["summary"][:255],
                actor=actor.user if actor is not None else None,
                data=entry.get("data") or {},
                occurred_at=entry.get("occurred_at") or timezone.now(),
                content_type=content_type,
                object_id=str(target.pk) if target is not None else "",
            )
        )
    TimelineEntry.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def name_search_keys(name: str) -> tuple[str, str]:
    """("zhangsan", "zs") for 张三; letters and digits of other scripts kept as they are."""
    syllables = [s.lower() for s in lazy_pinyin(name, errors="default") if s.strip()]
    initials = [s.lower() for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default") if s.strip()]
    return "".join(syllables)[:300], "".join(initials)[:100]


def _ensure_writable(customer: Customer) -> None:
    if customer.merged_into_id:
        raise CustomerMerged(name=customer.name)
    if customer.is_anonymised:
        raise CustomerAnonymised()


def _audit(
    *, actor: Membership | None, customer: Customer, action: str, changes: dict[str, Any], obj: Any = None
) -> None:
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=action,
        obj=obj if obj is not None else customer,
        object_label=customer.name if obj is None else f"{customer.name} · {obj}",
        changes=changes,
    )


def _masked_contact(kind: str, value: str) -> str:
    return mask_mobile(value) if kind == ContactMethod.Kind.MOBILE else value


@transaction.atomic
def customer_create(
    *,
    actor: Membership | None,
    organisation: OrgUnit,
    name: str,
    kind: str = Customer.Kind.PERSON,
    mobile: str = "",
    country_code: str = "86",
    credit_code: str = "",
    notes: str = "",
) -> Customer:
    """A new customer, with a primary mobile when given. `actor=None` only from set-up commands."""
    if actor is not None:
        ensure_can(actor, MANAGE, organisation)
    name = name.strip()
    pinyin, initials = name_search_keys(name)
    customer = Customer.objects.create(
        organisation=organisation,
        kind=Customer.Kind(kind),
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        credit_code=credit_code.strip().upper(),
        notes=notes,
        created_by=actor.user if actor is not None else None,
    )
    changes: dict[str, Any] = {"name": {"old": None, "new": name}, "kind": {"old": None, "new": customer.kind}}
    if mobile:
        number = normalise_mobile(mobile, country_code=country_code)
        ContactMethod.objects.create(
            customer=customer, kind=ContactMethod.Kind.MOBILE, value=number, last4=number[-4:], is_primary=True
        )
        changes["mobile"] = {"old": None, "new": mask_mobile(number)}
    _audit(actor=actor, customer=customer, action=AuditEntry.Action.CREATE, changes=changes)
    timeline_record(
        customer=customer, kind=TimelineKind.CREATED, summary=_("Customer record created"), actor=actor, target=customer
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: Membership,
    customer: Customer,
    name: str,
    credit_code: str = "",
    notes: str = "",
) -> Customer:
    customer = Customer.objects.select_for_update().select_related("organisation").get(pk=customer.pk)
    ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    changes = {}
    name = name.strip()
    if name != customer.name:
        changes["name"] = {"old": customer.name, "new": name}
        customer.name = name
        customer.name_pinyin, customer.name_initials = name_search_keys(name)
    credit_code = credit_code.strip().upper()
    if credit_code != customer.credit_code:
        changes["credit_code"] = {"old": customer.credit_code, "new": credit_code}
        customer.credit_code = credit_code
    if notes != customer.notes:
        changes["notes"] = {"old": "…", "new": "…"}  # free text may hold anything: record only that it changed
        customer.notes = notes
    if changes:
        customer.save()
        _audit(actor=actor, customer=customer, action=AuditEntry.Action.UPDATE, changes=changes)
        timeline_record(
            customer=customer,
            kind=TimelineKind.UPDATED,
            summary=_("Details changed: %(fields)s") % {"fields": ", ".join(sorted(changes))},
            actor=actor,
            target=customer,
        )
    return customer


@transaction.atomic
def contact_add(
    *,
    actor: Membership | None,
    customer: Customer,
    kind: str,
    value: str,
    country_code: str = "86",
    is_primary: bool = False,
) -> ContactMethod:
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    kind = ContactMethod.Kind(kind)
    value = normalise_mobile(value, country_code=country_code, field="value") if kind == kind.MOBILE else value.strip()
    if customer.contacts.filter(kind=kind, value=value).exists():
        raise ContactTaken(field="value", value=_masked_contact(kind, value))
    if is_primary:
        customer.contacts.filter(kind=kind).update(is_primary=False)
    contact = ContactMethod.objects.create(
        customer=customer,
        kind=kind,
        value=value,
        last4=value[-4:] if kind in (kind.MOBILE, kind.PHONE) else "",
        is_primary=is_primary or not customer.contacts.filter(kind=kind).exists(),
    )
    _audit(
        actor=actor,
        customer=customer,
        action=AuditEntry.Action.CREATE,
        obj=contact,
        changes={kind.value: {"old": None, "new": _masked_contact(kind, value)}},
    )
    timeline_record(
        customer=customer,
        kind=TimelineKind.CONTACT_ADDED,
        summary=_("Contact added: %(kind)s %(value)s") % {"kind": kind.label, "value": _masked_contact(kind, value)},
        actor=actor,
        target=contact,
    )
    return contact


def _check_dates(dates: dict[str, date | None]) -> None:
    labels = {
        "subscribed_on": _("Subscription date"),
        "signed_on": _("Signing date"),
        "delivered_on": _("Delivery date"),
        "moved_in_on": _("Move-in date"),
    }
    order = list(labels)
    for i, later in enumerate(order):
        for earlier in order[:i]:
            if dates.get(later) and dates.get(earlier) and dates[later] < dates[earlier]:
                raise HouseholdDatesOutOfOrder(field=later, later=labels[later], earlier=labels[earlier])


def stage_for(households: Iterable[Household], *, today: date | None = None) -> str:
    """The lifecycle stage the household dates say, the furthest along of all the customer's units."""
    today = today or timezone.localdate()
    rank = list(Customer.Stage.values)
    best = Customer.Stage.PROSPECT
    for h in households:
        if h.moved_in_on and h.moved_in_on <= today:
            stage = Customer.Stage.LIVING
        elif h.delivered_on and h.delivered_on <= today:
            stage = Customer.Stage.DELIVERED
        elif h.signed_on and h.signed_on <= today:
            stage = Customer.Stage.AWAITING_DELIVERY if h.delivered_on else Customer.Stage.SIGNED
        elif h.subscribed_on and h.subscribed_on <= today:
            stage = Customer.Stage.SUBSCRIBED
        else:
            continue
        if rank.index(stage) > rank.index(best):
            best = stage
    return best


def _refresh_stage(customer: Customer) -> None:
    stage = stage_for(customer.households.all())
    if stage != customer.stage:
        Customer.objects.filter(pk=customer.pk).update(stage=stage, updated_at=timezone.now())
        customer.stage = stage


HOUSEHOLD_DATES = ("subscribed_on", "signed_on", "delivered_on", "moved_in_on")


# A date recorded within this many days of today is a touchpoint that just happened (a signing,
# a handover) and may send a survey; an older date is history being entered.
TOUCHPOINT_RECENT_DAYS = 2


def _touchpoints(household: Household, before: dict[str, date | None]) -> None:
    """Signing and handover dates newly recorded: the survey triggers of those events may fire."""
    from kefu.surveys.services import on_event

    today = timezone.localdate()
    for field, event, label in (
        ("signed_on", "household.signed", gettext_noop("the signing of %(unit)s")),
        ("delivered_on", "household.delivered", gettext_noop("the handover of %(unit)s")),
    ):
        value = getattr(household, field)
        if value is None or before.get(field) is not None or (today - value).days > TOUCHPOINT_RECENT_DAYS:
            continue
        on_event(
            event=event,
            organisation=household.organisation,
            customer=household.customer,
            source_key=f"household:{household.pk}:{field}:{value.isoformat()}",
            subject=stored_text(label, unit=household.unit.label),
            project=household.unit.project,
        )


@transaction.atomic
def household_add(
    *,
    actor: Membership | None,
    customer: Customer,
    unit: Unit,
    role: str = Household.Role.OWNER,
    subscribed_on: date | None = None,
    signed_on: date | None = None,
    delivered_on: date | None = None,
    moved_in_on: date | None = None,
) -> Household:
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
        if not in_scope(actor, unit.organisation):
            raise UnitOutsideScope(field="unit", unit=unit.label)
    _ensure_writable(customer)
    dates = {
        "subscribed_on": subscribed_on,
        "signed_on": signed_on,
        "delivered_on": delivered_on,
        "moved_in_on": moved_in_on,
    }
    _check_dates(dates)
    if Household.objects.filter(customer=customer, unit=unit).exists():
        raise HouseholdExists(field="unit", customer=customer.name, unit=unit.label)
    household = Household.objects.create(
        organisation_id=unit.organisation_id, customer=customer, unit=unit, role=Household.Role(role), **dates
    )
    _refresh_stage(customer)
    _touchpoints(household, before={})
    _audit(
        actor=actor,
        customer=customer,
        action=AuditEntry.Action.CREATE,
        obj=household,
        changes={"unit": {"old": None, "new": unit.label}, "role": {"old": None, "new": household.role}}
        | {k: {"old": None, "new": v.isoformat()} for k, v in dates.items() if v},
    )
    timeline_record(
        customer=customer,
        kind=TimelineKind.HOUSEHOLD_ADDED,
        summary=_("Linked to unit %(unit)s as %(role)s") % {"unit": unit.label, "role": household.get_role_display()},
        actor=actor,
        target=household,
    )
    return household


@transaction.atomic
def household_update(
    *,
    actor: Membership | None,
    household: Household,
    role: str,
    subscribed_on: date | None = None,
    signed_on: date | None = None,
    delivered_on: date | None = None,
    moved_in_on: date | None = None,
) -> Household:
    household = (
        Household.objects.select_for_update().select_related("customer__organisation", "unit").get(pk=household.pk)
    )
    customer = household.customer
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    dates = {
        "subscribed_on": subscribed_on,
        "signed_on": signed_on,
        "delivered_on": delivered_on,
        "moved_in_on": moved_in_on,
    }
    _check_dates(dates)
    before = {key: getattr(household, key) for key in dates}
    changes = {}
    if role != household.role:
        changes["role"] = {"old": household.role, "new": role}
        household.role = Household.Role(role)
    for key, value in dates.items():
        old = getattr(household, key)
        if old != value:
            changes[key] = {"old": old.isoformat() if old else None, "new": value.isoformat() if value else None}
            setattr(household, key, value)
    if changes:
        household.save()
        _refresh_stage(customer)
        _touchpoints(household, before=before)
        _audit(actor=actor, customer=customer, action=AuditEntry.Action.UPDATE, obj=household, changes=changes)
        timeline_record(
            customer=customer,
            kind=TimelineKind.HOUSEHOLD_UPDATED,
            summary=_("Unit %(unit)s: %(fields)s changed")
            % {"unit": household.unit.label, "fields": ", ".join(sorted(changes))},
            actor=actor,
            target=household,
        )
    return household


@transaction.atomic
def consent_grant(
    *,
    actor: Membership | None,
    customer: Customer,
    purpose: str,
    method: str,
    channel: str = Consent.Channel.ANY,
    evidence: str = "",
    granted_at: datetime | None = None,
) -> Consent:
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    consent = Consent.objects.create(
        customer=customer,
        purpose=Consent.Purpose(purpose),
        channel=Consent.Channel(channel),
        method=Consent.Method(method),
        evidence=evidence,
        granted_at=granted_at or timezone.now(),
        recorded_by=actor.user if actor is not None else None,
    )
    _audit(
        actor=actor,
        customer=customer,
        action=AuditEntry.Action.CREATE,
        obj=consent,
        changes={"consent": {"old": None, "new": f"{consent.purpose}/{consent.channel}/{consent.method}"}},
    )
    timeline_record(
        customer=customer,
        kind=TimelineKind.CONSENT_GRANTED,
        summary=_("Consent recorded: %(purpose)s (%(channel)s, %(method)s)")
        % {
            "purpose": consent.get_purpose_display(),
            "channel": consent.get_channel_display(),
            "method": consent.get_method_display(),
        },
        actor=actor,
        target=consent,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Membership | None, consent: Consent) -> Consent:
    consent = Consent.objects.select_for_update().select_related("customer__organisation").get(pk=consent.pk)
    customer = consent.customer
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at", "updated_at"])
        if consent.purpose == Consent.Purpose.ID_NUMBER and customer.id_number_hash:
            # Without consent the number may not be kept.
            _clear_id_number(actor=actor, customer=customer)
        _audit(
            actor=actor,
            customer=customer,
            action=AuditEntry.Action.UPDATE,
            obj=consent,
            changes={"withdrawn_at": {"old": None, "new": consent.withdrawn_at.isoformat()}},
        )
        timeline_record(
            customer=customer,
            kind=TimelineKind.CONSENT_WITHDRAWN,
            summary=_("Consent withdrawn: %(purpose)s") % {"purpose": consent.get_purpose_display()},
            actor=actor,
            target=consent,
        )
    return consent


def has_consent(*, customer: Customer, purpose: str, channel: str = Consent.Channel.ANY) -> bool:
    """Whether the customer currently agrees to `purpose` on `channel`. Service messages need
    no consent; every other send must ask this first."""
    if purpose == Consent.Purpose.SERVICE:
        return True
    return customer.consents.filter(
        purpose=purpose, withdrawn_at__isnull=True, channel__in=[Consent.Channel.ANY, channel]
    ).exists()


def _clear_id_number(*, actor: Membership | None, customer: Customer) -> None:
    old = customer.id_number_masked
    Customer.objects.filter(pk=customer.pk).update(id_number_encrypted="", id_number_hash="", id_number_masked="")
    customer.id_number_encrypted = customer.id_number_hash = customer.id_number_masked = ""
    _audit(
        actor=actor,
        customer=customer,
        action=AuditEntry.Action.DELETE,
        changes={"id_number": {"old": old, "new": None}},
    )


@transaction.atomic
def customer_set_id_number(
    *, actor: Membership | None, customer: Customer, id_number: str, consent_method: str = "", evidence: str = ""
) -> Customer:
    """Store an ID number, encrypted. It needs its own consent: an existing one, or one
    recorded now (`consent_method`)."""
    customer = Customer.objects.select_for_update().select_related("organisation").get(pk=customer.pk)
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    value = validate_id_number(id_number)
    if not has_consent(customer=customer, purpose=Consent.Purpose.ID_NUMBER):
        if not consent_method:
            raise IdNumberNeedsConsent(field="consent_method")
        consent_grant(
            actor=actor, customer=customer, purpose=Consent.Purpose.ID_NUMBER, method=consent_method, evidence=evidence
        )
    old = customer.id_number_masked
    customer.id_number_encrypted = encrypt(value)
    customer.id_number_hash = keyed_hash(value)
    customer.id_number_masked = mask_id_number(value)
    customer.save(update_fields=["id_number_encrypted", "id_number_hash", "id_number_masked", "updated_at"])
    _audit(
        actor=actor,
        customer=customer,
        action=AuditEntry.Action.UPDATE if old else AuditEntry.Action.CREATE,
        changes={"id_number": {"old": old or None, "new": customer.id_number_masked}},
    )
    timeline_record(customer=customer, kind=TimelineKind.ID_NUMBER_SET, summary=_("ID number recorded"), actor=actor)
    return customer


def grade_for_scores(*, organisation: OrgUnit, contribution: int, influence: int, potential: int) -> tuple[str, str]:
    """(grade, reason) from the first active rule of the organisation (or a unit above it) that
    the scores meet; ("", reason) when none does."""
    ancestors = ancestor_ids(organisation)
    rules = GradeRule.objects.filter(organisation_id__in=ancestors, is_active=True).order_by("priority", "id")
    for rule in rules:
        if (
            contribution >= rule.min_contribution
            and influence >= rule.min_influence
            and potential >= rule.min_potential
        ):
            reason = _(
                "Rule %(rule)s: contribution %(c)s ≥ %(mc)s, influence %(i)s ≥ %(mi)s, potential %(p)s ≥ %(mp)s"
            ) % {
                "rule": rule.description or rule.get_grade_display(),
                "c": contribution,
                "mc": rule.min_contribution,
                "i": influence,
                "mi": rule.min_influence,
                "p": potential,
                "mp": rule.min_potential,
            }
            return rule.grade, reason
    return "", _("No grade rule matches these scores.")


@transaction.atomic
def customer_set_scores(
    *, actor: Membership | None, customer: Customer, contribution: int, influence: int, potential: int
) -> Customer:
    """Record the three scores and, unless the grade was set by hand, grade by the rules."""
    customer = Customer.objects.select_for_update().select_related("organisation").get(pk=customer.pk)
    if actor is not None:
        ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    customer.contribution_score, customer.influence_score, customer.potential_score = contribution, influence, potential
    customer.full_clean(validate_unique=False, validate_constraints=False)
    customer.save()
    if customer.grade_source != Customer.GradeSource.MANUAL:
        grade, reason = grade_for_scores(
            organisation=customer.organisation, contribution=contribution, influence=influence, potential=potential
        )
        _set_grade(actor=actor, customer=customer, grade=grade, reason=reason, source=Customer.GradeSource.RULE)
    return customer


@transaction.atomic
def customer_override_grade(*, actor: Membership, customer: Customer, grade: str, note: str) -> Customer:
    """Set the grade by hand, with the note saying why; rules leave it alone from then on."""
    customer = Customer.objects.select_for_update().select_related("organisation").get(pk=customer.pk)
    ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    _set_grade(actor=actor, customer=customer, grade=grade, reason=note.strip(), source=Customer.GradeSource.MANUAL)
    return customer


def _set_grade(*, actor: Membership | None, customer: Customer, grade: str, reason: str, source: str) -> None:
    old = customer.grade
    customer.grade, customer.grade_reason, customer.grade_source = grade, reason[:255], source if grade else ""
    customer.grade_set_at = timezone.now()
    customer.save(update_fields=["grade", "grade_reason", "grade_source", "grade_set_at", "updated_at"])
    if old != grade:
        timeline_record(
            customer=customer,
            kind=TimelineKind.GRADE_CHANGED,
            summary=_("Grade %(old)s → %(new)s: %(reason)s")
            % {"old": old.upper() or "—", "new": grade.upper() or "—", "reason": reason},
            actor=actor,
            data={"old": old, "new": grade, "source": source},
        )


@transaction.atomic
def contact_remove(*, actor: Membership, contact: ContactMethod) -> Customer:
    """Remove a contact method (a number the customer no longer uses)."""
    contact = ContactMethod.objects.select_for_update().select_related("customer__organisation").get(pk=contact.pk)
    customer = contact.customer
    ensure_can(actor, MANAGE, customer.organisation)
    _ensure_writable(customer)
    masked = _masked_contact(contact.kind, contact.value)
    label = str(contact)
    kind, was_primary, pk = contact.kind, contact.is_primary, contact.pk
    contact.delete()
    if was_primary:
        # Another number of the same kind becomes the one messages go to.
        successor = customer.contacts.filter(kind=kind).order_by("id").first()
        if successor is not None:
            ContactMethod.objects.filter(pk=successor.pk).update(is_primary=True)
    audit_record(
        actor=actor,
        organisation=customer.organisation,
        action=AuditEntry.Action.DELETE,
        object_type=ContactMethod._meta.label_lower,
        object_id=pk,
        object_label=f"{customer.name} · {label}",
        changes={kind: {"old": masked, "new": None}},
    )
    timeline_record(
        customer=customer,
        kind=TimelineKind.CONTACT_REMOVED,
        summary=_("Contact removed: %(kind)s %(value)s") % {"kind": ContactMethod.Kind(kind).label, "value": masked},
        actor=actor,
    )
    return customer


@transaction.atomic
def contactperson_add(
    *, actor: Membership | None, company: Customer, name: str, title: str = "", mobile: str = "", email: str = ""
) -> ContactPerson:
    """A contact at a company customer."""
    if actor is not None:
        ensure_can(actor, MANAGE, company.organisation)
    _ensure_writable(company)
    if company.kind != Customer.Kind.COMPANY:
        raise NotACompany(field="name")
    number = normalise_mobile(mobile) if mobile.strip() else ""
    person = ContactPerson.objects.create(
        company=company, name=name.strip(), title=title.strip(), mobile=number, email=email.strip()
    )
    _audit(
        actor=actor,
        customer=company,
        action=AuditEntry.Action.CREATE,
        obj=person,
        changes={
            "name": {"old": None, "new": person.name},
            "mobile": {"old": None, "new": mask_mobile(number) if number else None},
        },
    )
    timeline_record(
        customer=company,
        kind=TimelineKind.CONTACT_PERSON_ADDED,
        summary=_("Contact person added: %(name)s") % {"name": person.name},
        actor=actor,
        target=person,
    )
    return person


@transaction.atomic
def contactperson_remove(*, actor: Membership, person: ContactPerson) -> Customer:
    person = ContactPerson.objects.select_for_update().select_related("company__organisation").get(pk=person.pk)
    company = person.company
    ensure_can(actor, MANAGE, company.organisation)
    _ensure_writable(company)
    name, pk = person.name, person.pk
    person.delete()
    audit_record(
        actor=actor,
        organisation=company.organisation,
        action=AuditEntry.Action.DELETE,
        object_type=ContactPerson._meta.label_lower,
        object_id=pk,
        object_label=f"{company.name} · {name}",
        changes={"name": {"old": name, "new": None}},
    )
    timeline_record(
        customer=company,
        kind=TimelineKind.CONTACT_PERSON_REMOVED,
        summary=_("Contact person removed: %(name)s") % {"name": name},
        actor=actor,
    )
    return company
