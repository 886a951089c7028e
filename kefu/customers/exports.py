"""Export of the customer ledger to Excel: the viewer's scope and list filters, one row per
customer and unit in the import template's columns, numbers masked unless asked and allowed.

The workbook is written row by row (openpyxl write-only) into a temporary file while the
customers are read in chunks, so 100,000 customers need little memory; the response streams
the file.
"""

import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.crypto import decrypt
from kefu.core.permissions import ensure_can
from kefu.core.scoping import visible
from kefu.customers.identity import MAINLAND, mask_mobile
from kefu.customers.imports.reading import COLUMNS, ROLE_WORDS, SHEET_NAMES
from kefu.customers.models import Customer, Household
from kefu.customers.selectors import customer_list
from kefu.orgs.models import Membership

logger = logging.getLogger(__name__)

EXPORT = "customers.export"
REVEAL = "customers.reveal"
CHUNK_SIZE = 2000
PROJECT_HEADER = "项目"
HEADERS = [PROJECT_HEADER, *(column.header for column in COLUMNS)]


@dataclass(frozen=True)
class LedgerExport:
    file: IO[bytes]  # a temporary file, deleted when closed
    customers: int
    rows: int


def _full_mobile(number: str) -> str:
    """As the import reads it back: 13812345678 for the mainland, +852… for others."""
    if number.startswith(MAINLAND) and len(number) == 13:
        return number[len(MAINLAND) :]
    return f"+{number}"


def _date_cell(sheet: Any, value: date | None) -> Any:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def ledger_export(
    *,
    viewer: Membership,
    q: str = "",
    grade: str = "",
    stage: str = "",
    kind: str = "",
    tag: int | None = None,
    project_id: int | None = None,
    full: bool = False,
) -> LedgerExport:
    """The ledger of the viewer's scope as an .xlsx file. `full` (roles that may reveal numbers
    only) writes mobiles and ID numbers in full and records the export in the audit log."""
    ensure_can(viewer, EXPORT)
    if full:
        ensure_can(viewer, REVEAL)
    households = visible(Household, viewer).select_related("unit__project", "unit__building")
    if project_id is not None:
        households = households.filter(unit__project_id=project_id)
    customers = (
        customer_list(
            viewer=viewer,
            q=q or None,
            grade=grade or None,
            stage=stage or None,
            kind=kind or None,
            tag=tag,
            project_id=project_id,
        )
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("households", queryset=households.order_by("unit__project__name", "unit__label", "id"))
        )
    )
    if not full:
        customers = customers.defer("id_number_encrypted")

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAMES[0])
    sheet.append(HEADERS)
    customer_count = row_count = 0
    for customer in customers.iterator(chunk_size=CHUNK_SIZE):
        customer_count += 1
        mobile = getattr(customer, "primary_mobile", None) or ""
        if full:
            mobile_text = _full_mobile(mobile) if mobile else ""
            id_text = decrypt(customer.id_number_encrypted) if customer.id_number_encrypted else ""
        else:
            mobile_text = mask_mobile(mobile) if mobile else ""
            id_text = customer.id_number_masked
        person = [customer.name, mobile_text, id_text, "是" if customer.id_number_hash else ""]
        grade_text = customer.get_grade_display() if customer.grade else ""
        linked = customer.households.all()
        if not linked:
            sheet.append(["", *person, "", "", "", "", None, None, None, grade_text])
            row_count += 1
        for household in linked:
            unit = household.unit
            sheet.append(
                [
                    unit.project.name,
                    *person,
                    unit.building.code,
                    unit.entrance,
                    unit.number,
                    ROLE_WORDS.get(household.role, household.role),
                    _date_cell(sheet, household.subscribed_on),
                    _date_cell(sheet, household.signed_on),
                    _date_cell(sheet, household.delivered_on),
                    grade_text,
                ]
            )
            row_count += 1

    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it after streaming
    workbook.save(file)
    file.seek(0)
    if full:
        filters = {"q": q, "grade": grade, "stage": stage, "kind": kind, "tag": tag, "project": project_id}
        with transaction.atomic():
            audit_record(
                actor=viewer,
                organisation=viewer.unit,
                action=AuditEntry.Action.EXPORT,
                object_type=Customer._meta.label_lower,
                object_id="",
                object_label=gettext("Customer ledger with full numbers"),
                changes={
                    "customers": {"old": None, "new": customer_count},
                    "rows": {"old": None, "new": row_count},
                    "filters": {"old": None, "new": {key: value for key, value in filters.items() if value}},
                },
            )
    logger.info("ledger export: %s customers, %s rows, full numbers: %s", customer_count, row_count, full)
    return LedgerExport(file=file, customers=customer_count, rows=row_count)
