"""Checking read rows against the project and the ledger, and planning what a commit writes.

A row names a customer and a unit. The unit must exist in the project. The customer is the one
already in the viewer's scope with the row's ID number, or with the row's mobile and name; rows
of one file that share an ID number, or a mobile and a name, are the same customer. A mobile
alone does not decide: a couple often gives one number, and the ledger keeps them apart.
Whatever is planned here is planned again at commit, against the ledger as it is by then.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kefu.core.scoping import visible
from kefu.customers.identity import mask_mobile
from kefu.customers.imports.reading import COLUMN_BY_KEY, DATE_KEYS, Errors, LedgerRow
from kefu.customers.models import Consent, ContactMethod, Customer, Household
from kefu.customers.services import HOUSEHOLD_DATES, stage_for
from kefu.orgs.models import Membership
from kefu.properties.imports.cells import PARSERS, CellError
from kefu.properties.models import Project, Unit

CHUNK = 500  # ids per IN (...) list: well below every database's parameter limit
PREVIEW_ROWS = 50

MSG_NO_UNIT = _("Unit %(unit)s does not exist in %(project)s. Check building, entrance and unit number.")
MSG_DUPLICATE = _("This customer and unit %(unit)s already appear in row %(row)s.")
MSG_ID_OTHER_NAME_IN_FILE = _("This ID number is given for %(name)s in row %(row)s.")
MSG_OTHER_ID_IN_FILE = _("%(name)s has a different ID number in row %(row)s.")
MSG_TWO_CUSTOMERS = _(
    "The mobile number is %(mobile_name)s's (row %(mobile_row)s) and the ID number %(id_name)s's (row %(id_row)s)."
)
MSG_ID_BELONGS_TO = _("This ID number is recorded for another customer, %(name)s. Check the name and the number.")
MSG_CUSTOMER_HAS_OTHER_ID = _("%(name)s is recorded with another ID number (%(masked)s). Check the number.")
MSG_DATE_ORDER = _("%(later)s (%(later_on)s) cannot be before %(earlier)s (%(earlier_on)s).")


class Action:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"


def name_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass
class Headers:
    """The column headers as the user's file wrote them, for error messages."""

    written: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.written.get(key) or COLUMN_BY_KEY[key].header

    def has(self, key: str) -> bool:
        return key in self.written


@dataclass
class _Group:
    """Rows of one file that are the same customer."""

    name: str
    key: str
    rows: list[LedgerRow] = field(default_factory=list)

    @property
    def id_hash(self) -> str:
        return next((row.id_hash for row in self.rows if row.id_hash), "")

    @property
    def mobiles(self) -> list[str]:
        return list(dict.fromkeys(row.mobile for row in self.rows if row.mobile))


@dataclass
class HouseholdChange:
    household: Household
    changes: dict[str, tuple[Any, Any]]  # field -> (old, new)


@dataclass
class Target:
    """One customer the commit creates or changes, with everything it writes for them."""

    name: str
    customer: Customer | None  # None until a new customer is created
    is_new: bool
    rows: list[LedgerRow] = field(default_factory=list)
    new_households: list[Household] = field(default_factory=list)  # unsaved
    changed_households: list[HouseholdChange] = field(default_factory=list)
    add_mobiles: list[tuple[str, bool]] = field(default_factory=list)  # (number, is_primary)
    id_number: tuple[str, str, str] | None = None  # (encrypted, hash, masked) to store
    needs_id_consent: bool = False
    grade: str | None = None  # a new grade to set by hand
    stage: str = Customer.Stage.PROSPECT
    first_row: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(
            self.is_new
            or self.new_households
            or self.changed_households
            or self.add_mobiles
            or self.id_number
            or self.grade is not None
            or (self.customer is not None and self.stage != self.customer.stage)
        )


@dataclass
class Plan:
    targets: list[Target]
    actions: dict[int, str]  # Excel row -> Action, for every row that will be written
    rows: list[LedgerRow]  # the rows that will be written, in file order

    @property
    def customers_created(self) -> int:
        return sum(1 for target in self.targets if target.is_new)

    @property
    def customers_matched(self) -> int:
        return sum(1 for target in self.targets if not target.is_new)

    @property
    def households_created(self) -> int:
        return sum(len(target.new_households) for target in self.targets)

    @property
    def households_updated(self) -> int:
        return sum(len(target.changed_households) for target in self.targets)

    @property
    def rows_unchanged(self) -> int:
        return sum(1 for action in self.actions.values() if action == Action.UNCHANGED)

    def preview(self, limit: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
        """The first rows as the preview shows them: no raw mobile, no ID number."""
        return [
            {
                "row": row.row,
                "name": row.name,
                "mobile": mask_mobile(row.mobile) if row.mobile else "",
                "id_number": row.id_masked,
                "unit": row.label,
                "role": row.role or "",
                "action": self.actions[row.row],
            }
            for row in self.rows[:limit]
        ]


# --- units -------------------------------------------------------------------------------------


def _unit_key(building: str, entrance: str, number: str) -> tuple[str, str, str]:
    """Units typed in by hand (1栋, 2单元) match the rows' normalised codes."""
    try:
        return (PARSERS["building"](building), PARSERS["entrance"](entrance), PARSERS["number"](number))
    except CellError:
        return (building, entrance, number)


def _resolve_units(project: Project, rows: list[LedgerRow], errors: Errors, headers: Headers) -> list[LedgerRow]:
    units = Unit.objects.filter(project=project).values_list("id", "building__code", "entrance", "number", "label")
    by_key = {_unit_key(code, entrance, number): (pk, label) for pk, code, entrance, number, label in units}
    kept = []
    for row in rows:
        found = by_key.get((row.building, row.entrance, row.number))
        if found is None:
            errors.add(row.row, headers["number"], str(MSG_NO_UNIT) % {"unit": row.label, "project": project.name})
            continue
        row.unit_id, row.unit_label = found
        kept.append(row)
    return kept


# --- customers in the file ---------------------------------------------------------------------


def _group(rows: list[LedgerRow], errors: Errors, headers: Headers) -> list[_Group]:
    groups: list[_Group] = []
    by_id: dict[str, _Group] = {}
    by_mobile: dict[tuple[str, str], _Group] = {}
    seen: dict[tuple[int, int | None], int] = {}  # (id of the group, unit) -> row
    for row in rows:
        key = name_key(row.name)
        with_id = by_id.get(row.id_hash) if row.id_hash else None
        with_mobile = by_mobile.get((row.mobile, key)) if row.mobile else None
        if with_id is not None and with_id.key != key:
            message = str(MSG_ID_OTHER_NAME_IN_FILE) % {"name": with_id.name, "row": with_id.rows[0].row}
            errors.add(row.row, headers["id_number"], message)
            continue
        if with_id is not None and with_mobile is not None and with_id is not with_mobile:
            message = str(MSG_TWO_CUSTOMERS) % {
                "mobile_name": with_mobile.name,
                "mobile_row": with_mobile.rows[0].row,
                "id_name": with_id.name,
                "id_row": with_id.rows[0].row,
            }
            errors.add(row.row, headers["mobile"], message)
            continue
        group = with_id or with_mobile
        if group is not None and row.id_hash and group.id_hash and group.id_hash != row.id_hash:
            first = next(r for r in group.rows if r.id_hash)
            errors.add(
                row.row, headers["id_number"], str(MSG_OTHER_ID_IN_FILE) % {"name": group.name, "row": first.row}
            )
            continue
        if group is None:
            group = _Group(name=row.name, key=key)
            groups.append(group)
        if (id(group), row.unit_id) in seen:
            message = str(MSG_DUPLICATE) % {"unit": row.label, "row": seen[(id(group), row.unit_id)]}
            errors.add(row.row, headers["number"], message)
            continue
        seen[(id(group), row.unit_id)] = row.row
        group.rows.append(row)
        if row.id_hash:
            by_id[row.id_hash] = group
        if row.mobile:
            by_mobile[(row.mobile, key)] = group
    return groups


# --- customers in the ledger -------------------------------------------------------------------


def _candidates(viewer: Membership) -> QuerySet[Customer]:
    return visible(Customer, viewer).filter(merged_into__isnull=True, is_anonymised=False)


def _match(viewer: Membership, groups: list[_Group], errors: Errors, headers: Headers) -> list[Target]:
    """Targets: each group joined to the existing customer it is, groups of one customer merged."""
    candidates = _candidates(viewer)
    # Everything the commit may change, so that bulk_update never loads a deferred field row by row.
    fields = (
        "id",
        "organisation_id",
        "name",
        "stage",
        "grade",
        "grade_source",
        "grade_reason",
        "grade_set_at",
        "id_number_encrypted",
        "id_number_hash",
        "id_number_masked",
        "updated_at",
    )
    # Two steps each: the rows by their indexed value first, then only those of customers in
    # the viewer's scope. One query joining both lets SQLite walk every customer in scope.
    hash_owners: dict[str, list[int]] = {}
    for chunk in _chunks({group.id_hash for group in groups if group.id_hash}):
        owners = Customer.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", "pk")
        for value, customer_id in owners:
            hash_owners.setdefault(value, []).append(customer_id)
    by_mobile: dict[str, list[int]] = {}
    for chunk in _chunks({mobile for group in groups for mobile in group.mobiles}):
        contacts = ContactMethod.objects.filter(kind=ContactMethod.Kind.MOBILE, value__in=chunk)
        for value, customer_id in contacts.values_list("value", "customer_id"):
            by_mobile.setdefault(value, []).append(customer_id)
    customers: dict[int, Customer] = {}
    wanted = {pk for ids in [*hash_owners.values(), *by_mobile.values()] for pk in ids}
    for chunk in _chunks(wanted):
        customers.update({c.pk: c for c in candidates.filter(pk__in=chunk).only(*fields)})
    by_hash = {
        value: customers[min(in_scope)]
        for value, ids in hash_owners.items()
        if (in_scope := [pk for pk in ids if pk in customers])
    }

    targets: dict[tuple[str, int], Target] = {}
    for index, group in enumerate(groups):
        customer = by_hash.get(group.id_hash) if group.id_hash else None
        if customer is not None and name_key(customer.name) != group.key:
            _drop_id_rows(group, errors, headers, str(MSG_ID_BELONGS_TO) % {"name": customer.name})
            customer = None
        if customer is None and group.mobiles:
            same_name = sorted(
                pk
                for mobile in group.mobiles
                for pk in by_mobile.get(mobile, [])
                if pk in customers and name_key(customers[pk].name) == group.key
            )
            customer = customers[same_name[0]] if same_name else None
            if customer is not None and group.id_hash and customer.id_number_hash not in ("", group.id_hash):
                message = str(MSG_CUSTOMER_HAS_OTHER_ID) % {"name": customer.name, "masked": customer.id_number_masked}
                _drop_id_rows(group, errors, headers, message)
        if not group.rows:
            continue
        key = ("customer", customer.pk) if customer is not None else ("group", index)
        target = targets.setdefault(
            key, Target(name=customer.name if customer else group.name, customer=customer, is_new=customer is None)
        )
        target.rows.extend(group.rows)
    return list(targets.values())


def _drop_id_rows(group: _Group, errors: Errors, headers: Headers, message: str) -> None:
    for row in group.rows:
        if row.id_hash:
            errors.add(row.row, headers["id_number"], message)
    group.rows = [row for row in group.rows if not row.id_hash]


# --- what changes ------------------------------------------------------------------------------


@dataclass
class _Ledger:
    """What the matched customers already have."""

    households: dict[int, list[Household]] = field(default_factory=dict)  # customer -> all their households
    mobiles: dict[int, list[str]] = field(default_factory=dict)
    id_consent: set[int] = field(default_factory=set)


def _load_ledger(customer_ids: set[int]) -> _Ledger:
    ledger = _Ledger()
    for chunk in _chunks(customer_ids):
        for household in Household.objects.filter(customer_id__in=chunk).order_by("id"):
            ledger.households.setdefault(household.customer_id, []).append(household)
        contacts = ContactMethod.objects.filter(customer_id__in=chunk, kind=ContactMethod.Kind.MOBILE)
        for customer_id, value in contacts.values_list("customer_id", "value"):
            ledger.mobiles.setdefault(customer_id, []).append(value)
        consents = Consent.objects.filter(
            customer_id__in=chunk, purpose=Consent.Purpose.ID_NUMBER, withdrawn_at__isnull=True
        )
        ledger.id_consent.update(consents.values_list("customer_id", flat=True))
    return ledger


def _date_label(key: str, headers: Headers) -> str:
    if headers.has(key):
        return headers[key]
    return str(Household._meta.get_field(key).verbose_name)


def _given(row: LedgerRow, key: str) -> bool:
    return key in DATE_KEYS and getattr(row, key) is not None


def _dates_in_order(row: LedgerRow, dates: dict[str, date | None], errors: Errors, headers: Headers) -> bool:
    """The row's dates, merged with those already recorded, in order; an error names the row's
    own date. Disorder among dates the row does not give is not this import's to report."""
    for i, later in enumerate(HOUSEHOLD_DATES):
        for earlier in HOUSEHOLD_DATES[:i]:
            later_on, earlier_on = dates.get(later), dates.get(earlier)
            if not (later_on and earlier_on and later_on < earlier_on):
                continue
            if not (_given(row, later) or _given(row, earlier)):
                continue
            message = str(MSG_DATE_ORDER) % {
                "later": _date_label(later, headers),
                "later_on": later_on.isoformat(),
                "earlier": _date_label(earlier, headers),
                "earlier_on": earlier_on.isoformat(),
            }
            errors.add(row.row, headers[later] if _given(row, later) else headers[earlier], message)
            return False
    return True


def _row_dates(row: LedgerRow) -> dict[str, date | None]:
    return {key: date.fromisoformat(value) if (value := getattr(row, key)) else None for key in DATE_KEYS}


def _plan_target(
    target: Target, ledger: _Ledger, project: Project, errors: Errors, headers: Headers, actions: dict[int, str]
) -> None:
    customer = target.customer
    existing = {h.unit_id: h for h in ledger.households.get(customer.pk, [])} if customer else {}
    seen_units: dict[int | None, int] = {}
    kept: list[LedgerRow] = []
    for row in target.rows:
        if row.unit_id in seen_units:  # two groups of the file turned out to be one customer
            message = str(MSG_DUPLICATE) % {"unit": row.label, "row": seen_units[row.unit_id]}
            errors.add(row.row, headers["number"], message)
            continue
        household = existing.get(row.unit_id) if row.unit_id is not None else None
        given = {key: value for key, value in _row_dates(row).items() if value is not None}
        merged = {key: getattr(household, key) if household else None for key in HOUSEHOLD_DATES} | given
        if not _dates_in_order(row, merged, errors, headers):
            continue
        seen_units[row.unit_id] = row.row
        kept.append(row)
        if household is None:
            target.new_households.append(
                Household(
                    organisation_id=project.organisation_id,
                    unit_id=row.unit_id,
                    role=row.role or Household.Role.OWNER,
                    **merged,
                )
            )
            actions[row.row] = Action.NEW
            continue
        changes = {key: (getattr(household, key), value) for key, value in given.items()}
        if row.role:
            changes["role"] = (household.role, row.role)
        changes = {key: pair for key, pair in changes.items() if pair[0] != pair[1]}
        if changes:
            target.changed_households.append(HouseholdChange(household=household, changes=changes))
        actions[row.row] = Action.UPDATE if changes else Action.UNCHANGED
    target.rows = kept
    if not kept:
        return
    target.first_row = kept[0].row
    if customer is None:
        actions.update({row.row: Action.NEW for row in kept})

    have = list(ledger.mobiles.get(customer.pk, [])) if customer else []
    for mobile in dict.fromkeys(row.mobile for row in kept if row.mobile):
        if mobile not in have:
            target.add_mobiles.append((mobile, not have))
            have.append(mobile)
    with_id = next((row for row in kept if row.id_hash), None)
    if with_id is not None and (customer is None or not customer.id_number_hash):
        target.id_number = (with_id.id_encrypted, with_id.id_hash, with_id.id_masked)
        target.needs_id_consent = customer is None or customer.pk not in ledger.id_consent
    grade = next((row.grade for row in reversed(kept) if row.grade), "")
    if grade and (customer is None or customer.grade != grade):
        target.grade = grade
    for change in target.changed_households:
        for key, (_old, new) in change.changes.items():
            setattr(change.household, key, new)
    if customer is None or target.new_households or target.changed_households:
        target.stage = stage_for([*existing.values(), *target.new_households])
    else:
        target.stage = customer.stage
    customer_changes = target.add_mobiles or target.id_number or target.grade is not None
    if customer is not None and customer_changes and actions[target.first_row] == Action.UNCHANGED:
        actions[target.first_row] = Action.UPDATE


def plan_import(
    *, viewer: Membership, project: Project, rows: list[LedgerRow], errors: Errors, headers: Headers
) -> Plan:
    """What importing `rows` into `project` would write now. Rows that cannot be written get
    their errors in `errors` and are left out of the plan."""
    rows = _resolve_units(project, rows, errors, headers)
    groups = _group(rows, errors, headers)
    targets = _match(viewer, groups, errors, headers)
    ledger = _load_ledger({target.customer.pk for target in targets if target.customer is not None})
    actions: dict[int, str] = {}
    for target in targets:
        _plan_target(target, ledger, project, errors, headers, actions)
    targets = [target for target in targets if target.rows]
    written = sorted((row for target in targets for row in target.rows), key=lambda row: row.row)
    return Plan(targets=targets, actions=actions, rows=written)
