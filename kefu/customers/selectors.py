"""Read queries for the customer ledger. Every one starts from kefu.core.scoping."""

import re

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from kefu.core.crypto import keyed_hash
from kefu.core.scoping import one_or_404, visible
from kefu.customers.models import Consent, ContactMethod, ContactPerson, Customer, Household, Tag, TimelineEntry
from kefu.orgs.models import Membership

# "3-1-1202", "3-1202", "A-2-301", "3-1-" (a building and entrance): unit labels and their beginnings.
_UNIT_LABEL = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]*)+")
# A mainland mobile as people write it: 13812345678, 138-1234-5678, +86 138 1234 5678.
_MOBILE_LIKE = re.compile(r"\+?(?:86)?1[3-9]\d-?\d{4}-?\d{4}")
_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
# The first digits of a mainland mobile: searched as a prefix of the stored "86…" value.
_MOBILE_START = re.compile(r"1[3-9]\d{3,}")
_LAST4 = 4
_FULL_NUMBER = 11


def _mobile_match(digits: str) -> Exists:
    """Customers with a phone number matching `digits`: four digits are the last four, a full
    number is an exact value, the start of a mainland mobile is a prefix (all three indexed);
    other digits are looked for anywhere in the number."""
    contacts = ContactMethod.objects.filter(
        customer=OuterRef("pk"), kind__in=[ContactMethod.Kind.MOBILE, ContactMethod.Kind.PHONE]
    )
    if len(digits) == _LAST4:
        return Exists(contacts.filter(last4=digits))
    if len(digits) >= _FULL_NUMBER:
        return Exists(contacts.filter(value__in=[digits, f"86{digits}"]))
    if _MOBILE_START.fullmatch(digits):
        # A prefix, not "contains": PostgreSQL estimates it from the index and does not walk
        # every customer probing for a match it guessed would be common.
        return Exists(contacts.filter(value__startswith=f"86{digits}"))
    return Exists(contacts.filter(value__contains=digits))


def _search(customers: QuerySet[Customer], *, viewer: Membership, q: str) -> QuerySet[Customer]:
    """Narrow `customers` by what `q` looks like. Each shape uses one indexed condition, so no
    OR across tables forces PostgreSQL to probe every customer in scope."""
    text = q.strip()
    compact = re.sub(r"[\s()]", "", text)
    if not compact:
        return customers
    if _ID_NUMBER.fullmatch(compact):
        return customers.filter(id_number_hash=keyed_hash(compact.upper()))
    if compact.lstrip("+").isdigit() or _MOBILE_LIKE.fullmatch(compact):
        return customers.filter(_mobile_match(re.sub(r"\D", "", compact)))
    if _UNIT_LABEL.fullmatch(compact) and any(ch.isdigit() for ch in compact):
        households = visible(Household, viewer).filter(customer=OuterRef("pk"), unit__label__startswith=compact)
        return customers.filter(Exists(households))
    latin = compact.lower()
    # Case means nothing to Chinese characters; a plain LIKE spares PostgreSQL an UPPER() per row.
    condition = Q(name__icontains=text) if any(ch.isascii() and ch.isalpha() for ch in text) else Q(name__contains=text)
    if latin.isascii() and latin.isalpha():
        # "zhangsan" and "zs" find 张三; both columns are indexed for prefix search.
        condition |= Q(name_pinyin__startswith=latin) | Q(name_initials__startswith=latin)
    return customers.filter(condition)


def customer_list(
    *,
    viewer: Membership,
    q: str | None = None,
    grade: str | None = None,
    stage: str | None = None,
    kind: str | None = None,
    tag: int | None = None,
    project_id: int | None = None,
) -> QuerySet[Customer]:
    """Customers in scope (not merged away), newest first, with `primary_mobile`, their visible
    households (with units) and tags loaded: a page costs the same few queries at any size."""
    customers = visible(Customer, viewer).filter(merged_into__isnull=True)
    if q:
        customers = _search(customers, viewer=viewer, q=q)
    if grade:
        customers = customers.filter(grade=grade)
    if stage:
        customers = customers.filter(stage=stage)
    if kind:
        customers = customers.filter(kind=kind)
    if tag is not None:
        tagged = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag_id=tag)
        customers = customers.filter(Exists(tagged))
    if project_id is not None:
        in_project = visible(Household, viewer).filter(customer=OuterRef("pk"), unit__project_id=project_id)
        customers = customers.filter(Exists(in_project))
    primary_mobile = (
        ContactMethod.objects.filter(customer=OuterRef("pk"), kind=ContactMethod.Kind.MOBILE)
        .order_by("-is_primary", "id")
        .values("value")[:1]
    )
    households = visible(Household, viewer).select_related("unit").order_by("unit__label", "id")
    return (
        customers.annotate(primary_mobile=Subquery(primary_mobile))
        .prefetch_related(Prefetch("households", queryset=households), "tags")
        .order_by("-created_at", "-id")
    )


def customer_get(*, viewer: Membership, customer_id: int) -> Customer:
    """One customer for the 360° page, merged ones included (the page says where they went),
    with households, contacts, contact people, consents and tags loaded."""
    households = visible(Household, viewer).select_related("unit__project", "unit__building")
    consents = Consent.objects.select_related("recorded_by__membership")
    return one_or_404(
        visible(Customer, viewer)
        .select_related("organisation", "merged_into", "created_by__membership")
        .prefetch_related(
            Prefetch("households", queryset=households.order_by("unit__project__name", "unit__label", "id")),
            "contacts",
            "contact_people",
            Prefetch("consents", queryset=consents),
            "tags",
        ),
        pk=customer_id,
    )


def timeline_for(
    *, viewer: Membership, customer: Customer, limit: int | None = None, offset: int = 0
) -> QuerySet[TimelineEntry]:
    """The customer's timeline, newest first, with each actor's staff name loaded."""
    entries = (
        visible(TimelineEntry, viewer)
        .filter(customer=customer)
        .select_related("actor__membership")
        .order_by("-occurred_at", "-id")
    )
    return entries[offset : offset + limit] if limit is not None else entries[offset:]


def household_get(*, viewer: Membership, household_id: int) -> Household:
    """A household whose unit and customer are both in the viewer's scope."""
    households = visible(Household, viewer).filter(customer__in=visible(Customer, viewer).values("pk"))
    return one_or_404(
        households.select_related("customer__organisation", "unit__project", "unit__building"), pk=household_id
    )


def contact_get(*, viewer: Membership, contact_id: int) -> ContactMethod:
    contacts = ContactMethod.objects.filter(customer__in=visible(Customer, viewer).values("pk"))
    return one_or_404(contacts.select_related("customer"), pk=contact_id)


def consent_get(*, viewer: Membership, consent_id: int) -> Consent:
    consents = Consent.objects.filter(customer__in=visible(Customer, viewer).values("pk"))
    return one_or_404(consents.select_related("customer"), pk=consent_id)


def tag_choices(*, viewer: Membership) -> QuerySet[Tag]:
    """Tags in scope, for the list filter."""
    return visible(Tag, viewer).order_by("name", "id")


# One customer's records as lists (the API pages through them); the customer comes from
# customer_get, so it is in scope already.


def household_list(*, viewer: Membership, customer: Customer) -> QuerySet[Household]:
    return (
        visible(Household, viewer)
        .filter(customer=customer)
        .select_related("unit__project")
        .order_by("unit__label", "id")
    )


def contact_list(*, viewer: Membership, customer: Customer) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(customer__in=visible(Customer, viewer).filter(pk=customer.pk).values("pk"))


def consent_list(*, viewer: Membership, customer: Customer) -> QuerySet[Consent]:
    return Consent.objects.filter(customer__in=visible(Customer, viewer).filter(pk=customer.pk).values("pk"))


def contactperson_get(*, viewer: Membership, contactperson_id: int) -> ContactPerson:
    people = ContactPerson.objects.filter(company__in=visible(Customer, viewer).values("pk"))
    return one_or_404(people.select_related("company"), pk=contactperson_id)
