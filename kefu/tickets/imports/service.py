"""The import service: check every row of an old system's workbook, then log each ticket through the
ticket service (number, clocks, routing, history and the customer's timeline included).

Reading and checking happen before anything is written, with a fixed number of queries per file:
existing external numbers, projects and units, customers by mobile, categories, handlers. Writing
runs in one transaction, a savepoint per row: in all-or-nothing mode the first refused row rolls
everything back; otherwise that row alone is skipped. The job is recorded in every case.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import InvalidInput, KefuError
from kefu.core.excel import Sheet, read_sheet
from kefu.core.permissions import can, ensure_can, in_scope
from kefu.core.scoping import ancestor_paths, one_or_404, visible
from kefu.customers.models import ContactMethod, Customer, Household
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.imports.cells import PARSERS, CellError
from kefu.properties.models import Project, Unit
from kefu.standards.models import RequestCategory, RequestKind, Severity
from kefu.tickets.errors import DuplicateClientKey
from kefu.tickets.imports.columns import (
    CLIENT_KEY_PREFIX,
    COLUMN_BY_KEY,
    COLUMNS,
    MAX_ROWS,
    MSG_COLUMN_MISSING,
    MSG_COLUMN_TWICE,
    PARSERS_BY_KEY,
    SHEET_NAMES,
    field_for_header,
)
from kefu.tickets.imports.create import ticket_create_imported
from kefu.tickets.models import Channel, Ticket, TicketImport

logger = logging.getLogger(__name__)

IMPORT = "tickets.import"
ERROR_LIMIT = 500  # errors stored on the job; every failed row is counted
TICKET_LIMIT = 500  # tickets listed on the job's page
CHUNK = 500  # values per IN (...) list

MSG_EMPTY = _("The sheet is empty. Fill in the header row and one row per ticket.")
MSG_NO_DATA = _("The sheet has no tickets below the header row.")
MSG_WRONG_SHEET = _(
    "No column of the sheet “%(sheet)s” matches the ticket template (原系统编号, 客户手机号, 类型 …). "
    "Is it the wrong sheet or the wrong file? Download the template to see the columns."
)
MSG_DUPLICATE = _("External number %(number)s already appears in row %(row)s of this file.")
MSG_UNKNOWN_CUSTOMER = _("No customer in your customer ledger has this mobile number. Add the customer first.")
MSG_SEVERAL_CUSTOMERS = _(
    "This mobile number belongs to several customers (%(names)s). Give the unit to tell them apart."
)
MSG_UNIT_PARTS = _("Give the project code, the building and the unit number together, or none of them.")
MSG_UNKNOWN_PROJECT = _("No project of yours has the code %(code)s.")
MSG_SEVERAL_PROJECTS = _("Several of your projects have the code %(code)s; this import cannot tell them apart.")
MSG_UNKNOWN_UNIT = _("Unit %(unit)s does not exist in %(project)s. Check building, entrance and unit number.")
MSG_UNKNOWN_CATEGORY = _("%(unit)s uses no %(kind)s category called “%(name)s”.")
MSG_UNKNOWN_HANDLER = _("No staff member of yours has the employee number %(number)s.")
MSG_SEVERAL_HANDLERS = _("Several staff members have the employee number %(number)s.")
MSG_HANDLER_OUTSIDE = _("%(name)s does not work for %(unit)s, the ticket's unit.")
MSG_HANDLER_CANNOT = _("%(name)s has no role that handles customer voices, or has left.")
MSG_RECEIVED_FUTURE = _("The time received is in the future.")
MSG_DUE_PAST = _("The due time is in the past; an open ticket needs a due time still to come.")
MSG_DUE_BEFORE_RECEIVED = _("The due time must be after the time received.")

# A service error's field → the column it is about.
FIELD_COLUMNS = {
    "customer": "mobile",
    "unit": "number",
    "kind": "kind",
    "channel": "channel",
    "category": "category",
    "severity": "severity",
    "title": "title",
    "description": "description",
    "received_at": "received_at",
    "due_at": "due_at",
    "assignee": "handler",
    "client_key": "external_number",
}


@dataclass
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)

    def add(self, row: int, column: str, message: Any) -> None:
        self.failed_rows.add(row)
        if len(self.items) < ERROR_LIMIT:
            self.items.append({"row": row, "column": column, "message": str(message)})


@dataclass
class _Headers:
    """The headers as the user's file wrote them, for error messages."""

    written: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.written.get(key) or COLUMN_BY_KEY[key].header


@dataclass
class _Row:
    """One row read from the file; what it names is found while checking."""

    row: int
    external_number: str
    mobile: str
    kind: str
    title: str
    description: str
    received_on: datetime  # wall-clock time, without a zone until the ticket's unit is known
    project: str = ""
    building: str = ""
    entrance: str = ""
    number: str = ""
    channel: str = Channel.PHONE
    category_name: str = ""
    severity: str = Severity.NORMAL
    due_on: datetime | None = None
    handler: str = ""
    customer: Customer | None = None
    unit: Unit | None = None
    category: RequestCategory | None = None
    assignee: Membership | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None

    @property
    def has_unit(self) -> bool:
        return bool(self.project or self.building or self.number)

    @property
    def organisation(self) -> OrgUnit:
        if self.unit is not None:
            return self.unit.organisation
        assert self.customer is not None
        return self.customer.organisation


# Columns whose _Row attribute has another name: the resolved objects take the plain names.
_ROW_NAMES = {"received_at": "received_on", "due_at": "due_on", "category": "category_name"}


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- reading -----------------------------------------------------------------------------------


def _read(file: IO[bytes]) -> Sheet:
    sheet = read_sheet(
        file,
        sheet_names=SHEET_NAMES,
        field_for_header=field_for_header,
        max_rows=MAX_ROWS,
        empty_message=MSG_EMPTY,
        no_data_message=MSG_NO_DATA,
    )
    if not any(field_for_header(value) for value in sheet.headers):
        raise InvalidInput(str(MSG_WRONG_SHEET) % {"sheet": sheet.title}, field="file")
    return sheet


def _map_headers(sheet: Sheet, errors: _Errors) -> dict[str, tuple[int, str]]:
    """field -> (column index, header as written). Unknown columns are ignored."""
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(sheet.headers):
        name = field_for_header(value)
        if name is None:
            continue
        text = str(value).strip()
        if name in found:
            errors.add(sheet.header_row, text, MSG_COLUMN_TWICE)
            continue
        found[name] = (index, text)
    for column in COLUMNS:
        if column.required and column.key not in found:
            errors.add(sheet.header_row, column.header, MSG_COLUMN_MISSING)
    return found


def _cell(cells: tuple[Any, ...], columns: dict[str, tuple[int, str]], key: str) -> Any:
    index = columns[key][0]
    return cells[index] if index < len(cells) else None


def _parse(
    sheet: Sheet, columns: dict[str, tuple[int, str]], existing: dict[str, tuple[int, str]], errors: _Errors
) -> tuple[list[_Row], list[dict[str, Any]]]:
    """(rows to check further, rows already imported). A row whose external number was imported
    before is skipped whatever else it says: re-importing a file must not report old rows again."""
    rows: list[_Row] = []
    skipped: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        parsed: dict[str, Any] = {}
        valid = True
        try:
            external = PARSERS_BY_KEY["external_number"](_cell(cells, columns, "external_number"))
        except CellError as exc:
            errors.add(number, columns["external_number"][1], exc.message)
            external, valid = "", False
        if external and CLIENT_KEY_PREFIX + external in existing:
            pk, ticket_number = existing[CLIENT_KEY_PREFIX + external]
            skipped.append({"row": number, "id": pk, "number": ticket_number, "created": False})
            continue
        for name, (_index, header) in columns.items():
            if name == "external_number":
                continue
            try:
                parsed[name] = PARSERS_BY_KEY[name](_cell(cells, columns, name))
            except CellError as exc:
                errors.add(number, header, exc.message)
                valid = False
        if external:
            if external in first_seen:
                message = str(MSG_DUPLICATE) % {"number": external, "row": first_seen[external]}
                errors.add(number, columns["external_number"][1], message)
                continue
            first_seen[external] = number
        if valid:
            values = {_ROW_NAMES.get(name, name): value for name, value in parsed.items()}
            rows.append(_Row(row=number, external_number=external, **values))
    return rows, skipped


def _external_numbers(sheet: Sheet, columns: dict[str, tuple[int, str]]) -> set[str]:
    numbers = set()
    for _number, cells in sheet.rows:
        try:
            value = PARSERS_BY_KEY["external_number"](_cell(cells, columns, "external_number"))
        except CellError:
            continue
        if value:
            numbers.add(CLIENT_KEY_PREFIX + value)
    return numbers


def _existing(actor: Membership, keys: set[str]) -> dict[str, tuple[int, str]]:
    """client_key -> (id, number) of the tickets imported before."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(keys):
        for key, pk, number in (
            visible(Ticket, actor).filter(client_key__in=chunk).values_list("client_key", "pk", "number")
        ):
            found[key] = (pk, number)
    return found


# --- checking against the ledger, the register and the staff -----------------------------------


def _unit_key(code: str, entrance: str, number: str) -> tuple[str, str, str]:
    """Units typed in by hand (1栋, 2单元) match the rows' normalised codes."""
    try:
        return (PARSERS["building"](code), PARSERS["entrance"](entrance), PARSERS["number"](number))
    except CellError:
        return (code, entrance, number)


def _resolve_units(actor: Membership, rows: list[_Row], headers: _Headers, errors: _Errors) -> list[_Row]:
    codes = {row.project for row in rows if row.project}
    projects: dict[str, list[Project]] = {}
    for chunk in _chunks(codes):
        for project in visible(Project, actor).filter(code__in=chunk):
            projects.setdefault(project.code, []).append(project)
    single = {code: found[0] for code, found in projects.items() if len(found) == 1}
    numbers = {row.number for row in rows if row.project in single}
    units: dict[tuple[int, str, str, str], Unit] = {}
    for chunk in _chunks(numbers):
        candidates = Unit.objects.filter(
            project__in=[project.pk for project in single.values()], number__in=chunk
        ).select_related("building", "project", "organisation")
        for unit in candidates:
            units[(unit.project_id, *_unit_key(unit.building.code, unit.entrance, unit.number))] = unit
    kept = []
    for row in rows:
        if not row.has_unit:
            kept.append(row)
            continue
        if not (row.project and row.building and row.number):
            errors.add(row.row, headers["project" if not row.project else "number"], MSG_UNIT_PARTS)
            continue
        if row.project not in projects:
            errors.add(row.row, headers["project"], str(MSG_UNKNOWN_PROJECT) % {"code": row.project})
            continue
        if row.project not in single:
            errors.add(row.row, headers["project"], str(MSG_SEVERAL_PROJECTS) % {"code": row.project})
            continue
        project = single[row.project]
        unit = units.get((project.pk, row.building, row.entrance, row.number))
        if unit is None:
            label = Unit.make_label(row.building, row.entrance, row.number)
            errors.add(row.row, headers["number"], str(MSG_UNKNOWN_UNIT) % {"unit": label, "project": project.name})
            continue
        row.unit = unit
        kept.append(row)
    return kept


def _resolve_customers(actor: Membership, rows: list[_Row], headers: _Headers, errors: _Errors) -> list[_Row]:
    candidates = visible(Customer, actor).filter(merged_into__isnull=True, is_anonymised=False)
    by_mobile: dict[str, list[Customer]] = {}
    for chunk in _chunks({row.mobile for row in rows}):
        contacts = ContactMethod.objects.filter(
            kind=ContactMethod.Kind.MOBILE, value__in=chunk, customer__in=candidates
        ).select_related("customer__organisation")
        for contact in contacts:
            by_mobile.setdefault(contact.value, []).append(contact.customer)
    shared = {customer.pk for found in by_mobile.values() if len(found) > 1 for customer in found}
    homes: set[tuple[int, int]] = set()
    for chunk in _chunks(shared):
        homes.update(Household.objects.filter(customer_id__in=chunk).values_list("customer_id", "unit_id").order_by())
    kept = []
    for row in rows:
        found = by_mobile.get(row.mobile, [])
        if len(found) > 1 and row.unit is not None:
            found = [customer for customer in found if (customer.pk, row.unit.pk) in homes] or found
        if not found:
            errors.add(row.row, headers["mobile"], MSG_UNKNOWN_CUSTOMER)
            continue
        if len(found) > 1:
            names = "、".join(sorted({customer.name for customer in found}))
            errors.add(row.row, headers["mobile"], str(MSG_SEVERAL_CUSTOMERS) % {"names": names})
            continue
        row.customer = found[0]
        kept.append(row)
    return kept


def _resolve_categories(rows: list[_Row], headers: _Headers, errors: _Errors) -> list[_Row]:
    names = {row.category_name for row in rows if row.category_name}
    categories: list[RequestCategory] = []
    for chunk in _chunks(names):
        categories.extend(RequestCategory.objects.filter(name__in=chunk, is_active=True).select_related("organisation"))
    kept = []
    for row in rows:
        if not row.category_name:
            kept.append(row)
            continue
        paths = set(ancestor_paths(row.organisation.path))
        usable = [
            category
            for category in categories
            if category.name == row.category_name and category.kind == row.kind and category.organisation.path in paths
        ]
        if not usable:
            message = str(MSG_UNKNOWN_CATEGORY) % {
                "unit": row.organisation.name,
                "kind": RequestKind(row.kind).label,
                "name": row.category_name,
            }
            errors.add(row.row, headers["category"], message)
            continue
        # A unit's own category wins over the group's category of the same name.
        row.category = max(usable, key=lambda category: category.organisation.depth)
        kept.append(row)
    return kept


def _resolve_handlers(actor: Membership, rows: list[_Row], headers: _Headers, errors: _Errors) -> list[_Row]:
    staff: dict[str, list[Membership]] = {}
    for chunk in _chunks({row.handler for row in rows if row.handler}):
        members = (
            visible(Membership, actor)
            .filter(employee_no__in=chunk)
            .select_related("unit", "user")
            .prefetch_related("role_grants")
        )
        for member in members:
            staff.setdefault(member.employee_no, []).append(member)
    kept = []
    for row in rows:
        if not row.handler:
            kept.append(row)
            continue
        found = staff.get(row.handler, [])
        column = headers["handler"]
        if not found:
            errors.add(row.row, column, str(MSG_UNKNOWN_HANDLER) % {"number": row.handler})
            continue
        if len(found) > 1:
            errors.add(row.row, column, str(MSG_SEVERAL_HANDLERS) % {"number": row.handler})
            continue
        member = found[0]
        if not in_scope(member, row.organisation):
            errors.add(row.row, column, str(MSG_HANDLER_OUTSIDE) % {"name": member.name, "unit": row.organisation.name})
            continue
        if not member.user.is_active or not (can(member, "tickets.receive") or can(member, "tickets.handle")):
            errors.add(row.row, column, str(MSG_HANDLER_CANNOT) % {"name": member.name})
            continue
        row.assignee = member
        kept.append(row)
    return kept


def _check_times(rows: list[_Row], now: datetime, headers: _Headers, errors: _Errors) -> list[_Row]:
    """Times are wall-clock times of the ticket's unit; a migrated ticket is open, so its due time
    must still be to come."""
    kept = []
    for row in rows:
        zone = ZoneInfo(row.organisation.timezone or "Asia/Shanghai")
        received = timezone.make_aware(row.received_on, zone)
        due = timezone.make_aware(row.due_on, zone) if row.due_on else None
        valid = True
        if received > now:
            errors.add(row.row, headers["received_at"], MSG_RECEIVED_FUTURE)
            valid = False
        if due is not None and due <= now:
            errors.add(row.row, headers["due_at"], MSG_DUE_PAST)
            valid = False
        elif due is not None and due <= received:
            errors.add(row.row, headers["due_at"], MSG_DUE_BEFORE_RECEIVED)
            valid = False
        if valid:
            row.received_at, row.due_at = received, due
            kept.append(row)
    return kept


# --- writing -----------------------------------------------------------------------------------


class _RollBack(Exception):
    """All or nothing: a row refused at write time undoes the rows written before it."""


def _create(actor: Membership, row: _Row) -> Ticket:
    return ticket_create_imported(
        actor=actor,
        customer=row.customer,
        unit=row.unit,
        kind=row.kind,
        channel=row.channel,
        category=row.category,
        severity=row.severity,
        title=row.title,
        description=row.description,
        received_at=row.received_at,
        assignee=row.assignee,
        client_key=CLIENT_KEY_PREFIX + row.external_number,
        due_at=row.due_at,
    )


def _write(
    actor: Membership, rows: list[_Row], mode: str, headers: _Headers, errors: _Errors
) -> tuple[list[dict[str, Any]], int, bool]:
    """(tickets created, rows found already imported meanwhile, whether everything was rolled back)."""
    created: list[dict[str, Any]] = []
    skipped = 0
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        ticket = _create(actor, row)
                except DuplicateClientKey:
                    # Imported by someone else between the check and now: the same as imported before.
                    skipped += 1
                    continue
                except KefuError as exc:
                    column = headers[FIELD_COLUMNS.get(exc.field or "", "external_number")]
                    errors.add(row.row, column, exc.message)
                    if mode == TicketImport.Mode.ALL_OR_NOTHING:
                        raise _RollBack from exc
                    continue
                created.append({"row": row.row, "id": ticket.pk, "number": ticket.number, "created": True})
    except _RollBack:
        return [], 0, True
    return created, skipped, False


def import_tickets(*, actor: Membership, file: IO[bytes], file_name: str, mode: str) -> TicketImport:
    """Import the open tickets of a workbook; the job records counts, row errors and the tickets.

    ALL_OR_NOTHING writes nothing if any row has an error; VALID_ROWS writes the rows without
    errors. A row whose external number was imported before is skipped, never duplicated. An
    unreadable file raises InvalidInput(field="file") and records nothing."""
    ensure_can(actor, IMPORT, actor.unit)
    if mode not in TicketImport.Mode.values:
        raise InvalidInput(_("Choose how to handle rows with errors."), field="mode")
    sheet = _read(file)
    now = timezone.now()
    errors = _Errors()
    columns = _map_headers(sheet, errors)
    header_broken = bool(errors.failed_rows)
    rows: list[_Row] = []
    skipped: list[dict[str, Any]] = []
    headers = _Headers({key: header for key, (_index, header) in columns.items()})
    if not header_broken:
        existing = _existing(actor, _external_numbers(sheet, columns))
        rows, skipped = _parse(sheet, columns, existing, errors)
        rows = _resolve_units(actor, rows, headers, errors)
        rows = _resolve_customers(actor, rows, headers, errors)
        rows = _resolve_categories(rows, headers, errors)
        rows = _resolve_handlers(actor, rows, headers, errors)
        rows = _check_times(rows, now, headers, errors)
    rejected = header_broken or (mode == TicketImport.Mode.ALL_OR_NOTHING and bool(errors.failed_rows))
    created: list[dict[str, Any]] = []
    late_skips = 0
    if not rejected and rows:
        created, late_skips, rejected = _write(actor, rows, mode, headers, errors)
    failed = len(sheet.rows) if header_broken else len(errors.failed_rows)
    if rejected:
        status = TicketImport.Status.REJECTED
    elif failed:
        status = TicketImport.Status.PARTIAL if created else TicketImport.Status.REJECTED
    else:
        status = TicketImport.Status.IMPORTED
    job = TicketImport.objects.create(
        organisation=actor.unit,
        created_by=actor.user,
        file_name=file_name[:255],
        mode=mode,
        status=status,
        rows_total=len(sheet.rows),
        rows_created=len(created),
        rows_skipped=len(skipped) + late_skips,
        rows_failed=failed,
        errors=sorted(errors.items, key=lambda error: error["row"]),
        tickets=sorted(created + skipped, key=lambda item: item["row"])[:TICKET_LIMIT],
    )
    logger.info(
        "ticket import %s: %s, %s created, %s already imported, %s rows failed",
        job.pk,
        job.status,
        job.rows_created,
        job.rows_skipped,
        job.rows_failed,
    )
    return job


# --- reads -------------------------------------------------------------------------------------


def import_list(*, viewer: Membership) -> QuerySet[TicketImport]:
    """Ticket imports in the viewer's scope, newest first, without their large fields."""
    return (
        visible(TicketImport, viewer)
        .select_related("created_by__membership", "organisation")
        .defer("errors", "tickets")
        .order_by("-created_at", "-id")
    )


def import_get(*, viewer: Membership, import_id: int) -> TicketImport:
    """One import in scope, or the uniform 404."""
    return one_or_404(visible(TicketImport, viewer).select_related("created_by__membership"), pk=import_id)
