"""Likely duplicates (the same mobile or the same ID number) and merging one customer into another.

A merge keeps the target and retires the source: everything the source owned moves to the target,
the source keeps only its own row with `merged_into` set, so old links still lead somewhere and
the audit trail can name both.
"""

from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.permissions import ensure_can
from kefu.core.scoping import visible
from kefu.customers.errors import CustomerAnonymised, CustomerMerged, MergeWithItself
from kefu.customers.identity import mask_mobile
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, Household, Tag, TimelineEntry
from kefu.customers.services import HOUSEHOLD_DATES, TimelineKind, stage_for, timeline_record
from kefu.orgs.models import Membership

MERGE = "customers.merge"


# Duplicates


@dataclass(frozen=True)
class DuplicateKey:
    """What two or more customers share, masked for display."""

    MOBILE = "mobile"
    ID_NUMBER = "id_number"
    KINDS = (MOBILE, ID_NUMBER)
    LABELS = {MOBILE: gettext_lazy("Same mobile"), ID_NUMBER: gettext_lazy("Same ID number")}

    kind: str
    masked: str

    @property
    def label(self) -> str:
        return str(self.LABELS[self.kind])


@dataclass
class DuplicateGroup:
    """Customers that look like one person. The oldest record comes first: the suggested target."""

    customers: list[Customer]
    keys: list[DuplicateKey] = field(default_factory=list)

    @property
    def target(self) -> Customer:
        return self.customers[0]

    @property
    def sources(self) -> list[Customer]:
        return self.customers[1:]


def _mergeable(viewer: Membership) -> QuerySet[Customer]:
    return visible(Customer, viewer).filter(merged_into__isnull=True, is_anonymised=False)


def duplicate_groups(*, viewer: Membership) -> list[DuplicateGroup]:
    """Groups of customers in scope sharing a mobile or an ID number hash; merged and erased
    customers are left out. Two queries whatever the size: each shared key is found by a
    GROUP BY in the database, its holders by a subquery on it."""
    customers = _mergeable(viewer)
    shared_mobiles = (
        ContactMethod.objects.filter(kind=ContactMethod.Kind.MOBILE, customer__in=customers)
        .order_by()
        .values("value")
        .annotate(holders=Count("customer_id", distinct=True))
        .filter(holders__gt=1)
        .values("value")
    )
    mobile_rows = (
        ContactMethod.objects.filter(kind=ContactMethod.Kind.MOBILE, customer__in=customers, value__in=shared_mobiles)
        .select_related("customer__organisation")
        .order_by("value", "customer_id")
    )
    shared_hashes = (
        customers.exclude(id_number_hash="")
        .order_by()
        .values("id_number_hash")
        .annotate(holders=Count("pk"))
        .filter(holders__gt=1)
        .values("id_number_hash")
    )
    id_rows = customers.filter(id_number_hash__in=shared_hashes).select_related("organisation").order_by("pk")

    by_key: dict[tuple[str, str], tuple[DuplicateKey, list[Customer]]] = {}
    for contact in mobile_rows:
        key = (DuplicateKey.MOBILE, contact.value)
        by_key.setdefault(key, (DuplicateKey(DuplicateKey.MOBILE, mask_mobile(contact.value)), []))[1].append(
            contact.customer
        )
    for customer in id_rows:
        key = (DuplicateKey.ID_NUMBER, customer.id_number_hash)
        by_key.setdefault(key, (DuplicateKey(DuplicateKey.ID_NUMBER, customer.id_number_masked), []))[1].append(
            customer
        )

    # Two customers sharing both a mobile and an ID number are one group with two reasons.
    groups: dict[frozenset[int], DuplicateGroup] = {}
    for duplicate_key, members in by_key.values():
        members = sorted(members, key=lambda c: c.pk)
        group = groups.setdefault(frozenset(c.pk for c in members), DuplicateGroup(customers=members))
        group.keys.append(duplicate_key)
    return sorted(groups.values(), key=lambda g: (g.target.pk, [c.pk for c in g.sources]))


@dataclass(frozen=True)
class MergeSide:
    """One customer as the compare page shows it."""

    customer: Customer
    contacts: list[ContactMethod]
    households: list[Household]
    consents: list[Consent]
    contact_people: list[ContactPerson]
    tags: list[Tag]
    timeline_count: int

    @property
    def masked_contacts(self) -> list[tuple[ContactMethod, str]]:
        return [(c, mask_mobile(c.value) if c.kind == ContactMethod.Kind.MOBILE else c.value) for c in self.contacts]


def merge_side(*, viewer: Membership, customer: Customer) -> MergeSide:
    """Everything a merge would move, for the compare page (the customer comes from a scoped
    selector already)."""
    return MergeSide(
        customer=customer,
        contacts=list(customer.contacts.all()),
        households=list(
            visible(Household, viewer).filter(customer=customer).select_related("unit__project").order_by("unit_id")
        ),
        consents=list(customer.consents.all()),
        contact_people=list(customer.contact_people.all()),
        tags=list(customer.tags.all()),
        timeline_count=visible(TimelineEntry, viewer).filter(customer=customer).count(),
    )


# Merge


def _dates_in_order(household: Household) -> bool:
    given = [getattr(household, name) for name in HOUSEHOLD_DATES if getattr(household, name)]
    return all(earlier <= later for earlier, later in pairwise(given))


def _combine_households(*, kept: Household, extra: Household) -> list[str]:
    """Fill the kept household's missing dates from the other one, as long as the dates stay
    in order; the names of the dates filled."""
    filled = []
    for name in HOUSEHOLD_DATES:
        value: date | None = getattr(extra, name)
        if value is None or getattr(kept, name) is not None:
            continue
        setattr(kept, name, value)
        if _dates_in_order(kept):
            filled.append(name)
        else:
            setattr(kept, name, None)
    if filled:
        kept.save(update_fields=[*filled, "updated_at"])
    return filled


def _move_households(*, target: Customer, source: Customer) -> dict[str, int]:
    kept_by_unit = {h.unit_id: h for h in Household.objects.select_for_update().filter(customer=target)}
    moved = combined = 0
    for household in Household.objects.select_for_update().filter(customer=source).order_by("pk"):
        kept = kept_by_unit.get(household.unit_id)
        if kept is None:
            household.customer = target
            household.save(update_fields=["customer", "updated_at"])
            moved += 1
        else:
            _combine_households(kept=kept, extra=household)
            household.delete()
            combined += 1
    return {"households": moved, "households_combined": combined}


def _move_contacts(*, target: Customer, source: Customer) -> dict[str, int]:
    existing = set(target.contacts.values_list("kind", "value"))
    primary_kinds = set(target.contacts.filter(is_primary=True).values_list("kind", flat=True))
    moved = dropped = 0
    for contact in source.contacts.order_by("pk"):
        if (contact.kind, contact.value) in existing:
            contact.delete()
            dropped += 1
            continue
        contact.customer = target
        contact.is_primary = contact.is_primary and contact.kind not in primary_kinds
        contact.save(update_fields=["customer", "is_primary", "updated_at"])
        moved += 1
    return {"contacts": moved, "contacts_duplicate": dropped}


def _move_id_number(*, target: Customer, source: Customer) -> bool:
    if target.id_number_hash or not source.id_number_hash:
        return False
    fields = ["id_number_encrypted", "id_number_hash", "id_number_masked"]
    for name in fields:
        setattr(target, name, getattr(source, name))
        setattr(source, name, "")
    return True


@transaction.atomic
def customer_merge(*, actor: Membership, target: Customer, source: Customer, note: str = "") -> Customer:
    """Move everything of `source` to `target` (households, contacts, consents, company contacts,
    tags, timeline, the ID number if the target has none) and mark `source` as merged into it.
    Both get an audit entry; the target's timeline says where the records came from."""
    if target.pk == source.pk:
        raise MergeWithItself(field="source")
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=[target.pk, source.pk])
        .order_by("pk")
    }
    target, source = locked[target.pk], locked[source.pk]
    ensure_can(actor, MERGE, target.organisation)
    ensure_can(actor, MERGE, source.organisation)
    for customer in (target, source):
        if customer.merged_into_id:
            raise CustomerMerged(name=customer.name)
        if customer.is_anonymised:
            raise CustomerAnonymised()

    now = timezone.now()
    moved: dict[str, int] = {}
    moved |= _move_households(target=target, source=source)
    moved |= _move_contacts(target=target, source=source)
    moved["consents"] = Consent.objects.filter(customer=source).update(customer=target, updated_at=now)
    moved["contact_people"] = ContactPerson.objects.filter(company=source).update(company=target, updated_at=now)
    tags = list(source.tags.all())
    target.tags.add(*tags)
    source.tags.clear()
    moved["tags"] = len(tags)
    moved["timeline"] = TimelineEntry.objects.filter(customer=source).update(
        customer=target, organisation_id=target.organisation_id
    )
    id_moved = _move_id_number(target=target, source=source)

    target.stage = stage_for(target.households.all())
    target.save(update_fields=["stage", "id_number_encrypted", "id_number_hash", "id_number_masked", "updated_at"])
    source.merged_into = target
    source.save(
        update_fields=["merged_into", "id_number_encrypted", "id_number_hash", "id_number_masked", "updated_at"]
    )

    target_changes: dict[str, Any] = {
        "merged_from": {"old": None, "new": f"{source.name} #{source.pk}"},
        "moved": {"old": None, "new": moved},
    }
    if id_moved:
        target_changes["id_number"] = {"old": None, "new": target.id_number_masked}
    audit_record(
        actor=actor,
        organisation=target.organisation,
        action=AuditEntry.Action.MERGE,
        obj=target,
        object_label=target.name,
        changes=target_changes,
        note=note,
    )
    audit_record(
        actor=actor,
        organisation=source.organisation,
        action=AuditEntry.Action.MERGE,
        obj=source,
        object_label=source.name,
        changes={"merged_into": {"old": None, "new": f"{target.name} #{target.pk}"}},
        note=note,
    )
    timeline_record(
        customer=target,
        kind=TimelineKind.MERGED,
        summary=_("Merged from %(name)s") % {"name": source.name},
        actor=actor,
        target=source,
        data={"source_id": source.pk, "moved": moved, "note": note},
    )
    return target
