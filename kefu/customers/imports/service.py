"""Upload, preview, commit and cancel a ledger import; the history of imports.

Upload reads and checks the whole workbook and stores the result as a draft CustomerImport: its
counts, its errors, and the checked rows (ID numbers only encrypted) so that the commit does
not read the file again. The commit plans again against the ledger as it is then, and writes
in one transaction, in bulk: 10,000 rows one service call at a time would take minutes. It still
writes what the services write for each customer: one audit entry per customer created or
changed (through audit_record, in the same transaction) and one timeline entry.
"""

import json
import logging
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.crypto import decrypt, encrypt
from kefu.core.errors import InvalidInput
from kefu.core.excel import Sheet
from kefu.core.permissions import ensure_can
from kefu.core.scoping import one_or_404, visible
from kefu.customers.identity import mask_mobile
from kefu.customers.imports.reading import Errors, LedgerRow, cell_text, map_headers, parse_row, read_ledger
from kefu.customers.imports.validation import Headers, Plan, Target, plan_import
from kefu.customers.models import Consent, ContactMethod, Customer, CustomerImport, Household, TimelineEntry
from kefu.customers.services import HOUSEHOLD_DATES, TimelineKind, name_search_keys
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project

logger = logging.getLogger(__name__)

IMPORT = "customers.import"
ERROR_LIMIT = 500  # errors stored on the job; every failed row is counted
BATCH_SIZE = 500
# A fixed key for the advisory lock that lets one ledger import commit at a time (PostgreSQL;
# SQLite's IMMEDIATE transactions already do): two imports must not both create one customer.
_COMMIT_LOCK_KEY = 7_011_202
_LARGE_FIELDS = ("rows", "preview", "errors", "error_rows_encrypted")


class CommitOutcome:
    DONE = "done"
    ALREADY_DONE = "already_done"
    REFUSED = "refused"  # rejected or cancelled: nothing can be written


# --- upload ------------------------------------------------------------------------------------


def _error_rows_blob(sheet: Sheet, errors: Errors) -> str:
    """The header and original cells of every row with a stored error, encrypted."""
    wanted = {error["row"] for error in errors.items}
    rows = {str(number): [cell_text(value) for value in cells] for number, cells in sheet.rows if number in wanted}
    if not rows:
        return ""
    payload = {"headers": [cell_text(value) for value in sheet.headers], "rows": rows}
    return encrypt(json.dumps(payload, ensure_ascii=False))


def import_upload(*, actor: Membership, project: Project, file: IO[bytes], file_name: str, mode: str) -> CustomerImport:
    """Check a ledger workbook in full and store it as an import waiting for confirmation.

    Nothing is written to the ledger. The import is stored as rejected when nothing of it could
    be written (missing columns, no valid row, or errors in all-or-nothing mode). An unreadable
    file, or one whose headers match none of the ledger's, raises InvalidInput(field="file")."""
    ensure_can(actor, IMPORT, project.organisation)
    if mode not in CustomerImport.Mode.values:
        raise InvalidInput(_("Choose how to handle rows with errors."), field="mode")
    sheet = read_ledger(file)
    errors = Errors(limit=ERROR_LIMIT)
    columns = map_headers(sheet.headers, sheet.header_row, errors)
    header_broken = bool(errors.failed_rows)
    rows: list[LedgerRow] = []
    if not header_broken:
        for number, cells in sheet.rows:
            row = parse_row(number, cells, columns, errors)
            if row is not None:
                rows.append(row)
    headers = Headers({key: header for key, (_index, header) in columns.items()})
    plan = plan_import(viewer=actor, project=project, rows=rows, errors=errors, headers=headers)
    failed = len(sheet.rows) if header_broken else len(errors.failed_rows)
    rejected = header_broken or not plan.rows or (mode == CustomerImport.Mode.ALL_OR_NOTHING and failed > 0)
    job = CustomerImport.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        created_by=actor.user,
        file_name=file_name[:255],
        mode=mode,
        status=CustomerImport.Status.REJECTED if rejected else CustomerImport.Status.DRAFT,
        rows_total=len(sheet.rows),
        rows_failed=failed,
        errors=sorted(errors.items, key=lambda error: error["row"]),
        error_rows_encrypted=_error_rows_blob(sheet, errors),
        rows=[] if rejected else [row.to_json() for row in plan.rows],
        preview=plan.preview(),
        **_plan_counts(plan),
    )
    logger.info(
        "customer import %s into project %s checked: %s, %s rows, %s failed",
        job.pk,
        project.pk,
        job.status,
        job.rows_total,
        job.rows_failed,
    )
    return job


def _plan_counts(plan: Plan) -> dict[str, int]:
    return {
        "customers_created": plan.customers_created,
        "customers_matched": plan.customers_matched,
        "households_created": plan.households_created,
        "households_updated": plan.households_updated,
        "rows_unchanged": plan.rows_unchanged,
    }


# --- commit ------------------------------------------------------------------------------------


def _serialise_commits() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_COMMIT_LOCK_KEY])


def import_commit(*, actor: Membership, job: CustomerImport) -> tuple[CustomerImport, str]:
    """Write a draft import to the ledger, all of it in one transaction; (job, CommitOutcome).

    A second commit of the same import writes nothing and says so (ALREADY_DONE)."""
    ensure_can(actor, IMPORT, job.organisation)
    with transaction.atomic(durable=True):
        _serialise_commits()
        # The claim: of two commits racing on one import, only one finds it still a draft.
        claimed = CustomerImport.objects.filter(
            pk=job.pk, status=CustomerImport.Status.DRAFT, committed_at__isnull=True
        ).update(committed_at=timezone.now())
        job = CustomerImport.objects.select_related("project__organisation").get(pk=job.pk)
        if not claimed:
            done = job.status in (CustomerImport.Status.IMPORTED, CustomerImport.Status.PARTIAL)
            return job, CommitOutcome.ALREADY_DONE if done else CommitOutcome.REFUSED
        project = job.project
        errors = Errors(limit=max(0, ERROR_LIMIT - len(job.errors)))
        rows = [LedgerRow.from_json(data) for data in job.rows]
        plan = plan_import(viewer=actor, project=project, rows=rows, errors=errors, headers=Headers())
        job.errors = sorted([*job.errors, *errors.items], key=lambda error: error["row"])
        job.rows_failed += len(errors.failed_rows)
        job.rows = []
        job.preview = plan.preview()
        for name, value in _plan_counts(plan).items():
            setattr(job, name, value)
        if not plan.rows or (job.mode == CustomerImport.Mode.ALL_OR_NOTHING and errors.failed_rows):
            # The ledger changed since the preview (a unit removed, a customer recorded meanwhile).
            job.status, job.committed_at = CustomerImport.Status.REJECTED, None
            job.save()
            return job, CommitOutcome.REFUSED
        _write(plan=plan, job=job, actor=actor, project=project)
        job.status = CustomerImport.Status.PARTIAL if job.rows_failed else CustomerImport.Status.IMPORTED
        job.save()
    logger.info(
        "customer import %s committed: %s customers created, %s matched, %s households created, %s updated",
        job.pk,
        job.customers_created,
        job.customers_matched,
        job.households_created,
        job.households_updated,
    )
    return job, CommitOutcome.DONE


def _masked_mobiles(target: Target) -> str:
    return ", ".join(mask_mobile(number) for number, _primary in target.add_mobiles)


def _audit_changes(target: Target, labels: dict[int, str], old_grade: str, old_stage: str) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if target.is_new:
        changes["name"] = {"old": None, "new": target.name}
    if target.add_mobiles:
        changes["mobile"] = {"old": None, "new": _masked_mobiles(target)}
    if target.id_number:
        changes["id_number"] = {"old": None, "new": target.id_number[2]}
    if target.grade is not None:
        changes["grade"] = {"old": old_grade or None, "new": target.grade}
    for household in target.new_households:
        values = {"role": household.role} | {
            key: value.isoformat() for key in HOUSEHOLD_DATES if (value := getattr(household, key))
        }
        changes[f"household {labels[household.unit_id]}"] = {"old": None, "new": values}
    for change in target.changed_households:
        old = {
            key: pair[0].isoformat() if hasattr(pair[0], "isoformat") else pair[0]
            for key, pair in change.changes.items()
        }
        new = {
            key: pair[1].isoformat() if hasattr(pair[1], "isoformat") else pair[1]
            for key, pair in change.changes.items()
        }
        changes[f"household {labels[change.household.unit_id]}"] = {"old": old, "new": new}
    if target.stage != old_stage and not target.is_new:
        changes["stage"] = {"old": old_stage, "new": target.stage}
    return changes


def _write(*, plan: Plan, job: CustomerImport, actor: Membership, project: Project) -> None:
    now = timezone.now()
    user = actor.user
    grade_note = gettext("Import")
    targets = [target for target in plan.targets if target.has_changes]
    before = {
        id(target): (target.customer.grade, target.customer.stage) if target.customer else ("", "")
        for target in targets
    }

    new_customers = []
    for target in targets:
        if not target.is_new:
            continue
        pinyin, initials = name_search_keys(target.name)
        target.customer = Customer(
            organisation_id=project.organisation_id,
            kind=Customer.Kind.PERSON,
            name=target.name,
            name_pinyin=pinyin,
            name_initials=initials,
            created_by=user,
        )
        new_customers.append(target.customer)
    changed_customers = [target.customer for target in targets if not target.is_new and target.customer]
    for target in targets:
        customer = target.customer
        assert customer is not None
        customer.stage = target.stage
        if target.id_number:
            customer.id_number_encrypted, customer.id_number_hash, customer.id_number_masked = target.id_number
        if target.grade is not None:
            customer.grade, customer.grade_source = target.grade, Customer.GradeSource.MANUAL
            customer.grade_reason, customer.grade_set_at = grade_note, now
        customer.updated_at = now
    Customer.objects.bulk_create(new_customers, batch_size=BATCH_SIZE)
    Customer.objects.bulk_update(
        changed_customers,
        [
            "stage",
            "grade",
            "grade_source",
            "grade_reason",
            "grade_set_at",
            "id_number_encrypted",
            "id_number_hash",
            "id_number_masked",
            "updated_at",
        ],
        batch_size=BATCH_SIZE,
    )

    contacts, consents, households, changed_households = [], [], [], []
    for target in targets:
        customer = target.customer
        assert customer is not None
        contacts.extend(
            ContactMethod(
                customer=customer,
                kind=ContactMethod.Kind.MOBILE,
                value=number,
                last4=number[-4:],
                is_primary=primary,
            )
            for number, primary in target.add_mobiles
        )
        if target.id_number and target.needs_id_consent:
            consents.append(
                Consent(
                    customer=customer,
                    purpose=Consent.Purpose.ID_NUMBER,
                    channel=Consent.Channel.ANY,
                    method=Consent.Method.IMPORT,
                    granted_at=now,
                    recorded_by=user,
                    evidence=f"{job.file_name[:150]} #{job.pk}",
                )
            )
        for household in target.new_households:
            household.customer = customer
            households.append(household)
        for change in target.changed_households:
            change.household.updated_at = now
            changed_households.append(change.household)
    ContactMethod.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
    Consent.objects.bulk_create(consents, batch_size=BATCH_SIZE)
    Household.objects.bulk_create(households, batch_size=BATCH_SIZE)
    Household.objects.bulk_update(changed_households, ["role", *HOUSEHOLD_DATES, "updated_at"], batch_size=BATCH_SIZE)

    labels = {row.unit_id: row.label for row in plan.rows if row.unit_id is not None}
    organisations = {
        unit.pk: unit
        for unit in OrgUnit.objects.filter(
            pk__in={target.customer.organisation_id for target in targets if target.customer}
        )
    }
    note = gettext("Ledger import #%(id)s: %(file)s") % {"id": job.pk, "file": job.file_name}
    job_type = ContentType.objects.get_for_model(CustomerImport)
    summary = (gettext("Imported from %(file)s") % {"file": job.file_name})[:255]
    timeline = []
    for target in targets:
        customer = target.customer
        assert customer is not None
        old_grade, old_stage = before[id(target)]
        audit_record(
            actor=actor,
            organisation=organisations[customer.organisation_id],
            action=AuditEntry.Action.IMPORT,
            obj=customer,
            object_label=customer.name,
            changes=_audit_changes(target, labels, old_grade, old_stage),
            note=note,
        )
        timeline.append(
            TimelineEntry(
                organisation_id=customer.organisation_id,
                customer=customer,
                kind=TimelineKind.IMPORTED,
                occurred_at=now,
                actor=user,
                summary=summary,
                data={
                    "import": job.pk,
                    "created": target.is_new,
                    "units": [labels[h.unit_id] for h in target.new_households]
                    + [labels[c.household.unit_id] for c in target.changed_households],
                },
                content_type=job_type,
                object_id=str(job.pk),
            )
        )
    # The timeline's one door, timeline_record, writes one row per call; the same rows in bulk.
    TimelineEntry.objects.bulk_create(timeline, batch_size=BATCH_SIZE)


# --- cancel ------------------------------------------------------------------------------------


def import_cancel(*, actor: Membership, job: CustomerImport) -> tuple[CustomerImport, bool]:
    """Drop a draft import and the rows it holds; (job, whether it was a draft)."""
    ensure_can(actor, IMPORT, job.organisation)
    with transaction.atomic():
        cancelled = CustomerImport.objects.filter(pk=job.pk, status=CustomerImport.Status.DRAFT).update(
            status=CustomerImport.Status.CANCELLED, rows=[], updated_at=timezone.now()
        )
        job = CustomerImport.objects.get(pk=job.pk)
    return job, bool(cancelled)


# --- reads -------------------------------------------------------------------------------------


def import_list(*, viewer: Membership) -> QuerySet[CustomerImport]:
    """Ledger imports in the viewer's scope, newest first, without their large fields."""
    return (
        visible(CustomerImport, viewer)
        .select_related("project", "created_by__membership")
        .defer(*_LARGE_FIELDS)
        .order_by("-created_at", "-id")
    )


def import_get(*, viewer: Membership, import_id: int) -> CustomerImport:
    """One import in scope (the uniform 404 otherwise), without its checked rows."""
    return one_or_404(
        visible(CustomerImport, viewer).select_related("project", "created_by__membership").defer("rows"),
        pk=import_id,
    )


def import_project_choices(*, viewer: Membership) -> QuerySet[Project]:
    return visible(Project, viewer).order_by("name", "id")


def import_error_rows(*, job: CustomerImport) -> tuple[list[Any], dict[int, list[Any]]]:
    """(original headers, {row: original cells}) of the rows with errors."""
    if not job.error_rows_encrypted:
        return [], {}
    payload = json.loads(decrypt(job.error_rows_encrypted))
    return payload["headers"], {int(number): cells for number, cells in payload["rows"].items()}
