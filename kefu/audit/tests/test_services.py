import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.utils import DatabaseError

from kefu.audit.models import AuditEntry
from kefu.audit.services import (
    ENTRY_ALTERED,
    LINK_BROKEN,
    MISSING_ENTRY,
    audit_chain_start,
    audit_record,
    audit_verify,
)
from kefu.customers.models import ContactMethod, Customer, TimelineEntry
from kefu.customers.services import customer_create, customer_update
from kefu.customers.tests.factories import CustomerFactory

ID_NUMBER = "110105199001011232"


def _record(unit, n=1):
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=None, organisation=unit, action=AuditEntry.Action.UPDATE, object_type="t", object_id=i)


def test_audit_verify_accepts_an_untouched_chain(city):
    _record(city, 5)

    report = audit_verify()

    assert (report.ok, report.checked) == (True, 5)


def test_audit_entries_cannot_be_updated(city):
    _record(city)

    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEntry.objects.update(note="tampered")


def test_audit_entries_cannot_be_deleted(city):
    _record(city)

    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_audit_record_refuses_to_run_outside_a_transaction(transactional_db, city):
    with pytest.raises(RuntimeError):
        audit_record(actor=None, organisation=city, action=AuditEntry.Action.UPDATE, object_type="t", object_id=1)


def test_audit_chain_links_each_entry_to_the_previous(city):
    _record(city, 3)

    entries = list(AuditEntry.objects.order_by("sequence"))

    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]


# Tampering: the rows are altered the way an attacker with database access would, with the
# append-only triggers out of the way, and put back afterwards.

_APPEND_ONLY = importlib.import_module("kefu.audit.migrations.0002_append_only")


@contextmanager
def _triggers_disabled() -> Iterator[None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's own inserts leave deferred foreign-key checks pending, and PostgreSQL
            # will not alter a table with pending trigger events: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            for statement in _APPEND_ONLY.SQLITE_REVERSE:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in _APPEND_ONLY.SQLITE:
                    cursor.execute(statement)


def test_audit_verify_names_an_altered_entry(city):
    _record(city, 5)

    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=3).update(note="nothing to see")
    report = audit_verify()

    assert (report.ok, report.first_broken_sequence, report.reason) == (False, 3, ENTRY_ALTERED)


def test_audit_verify_names_a_deleted_entry(city):
    _record(city, 5)

    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=3).delete()
    report = audit_verify()

    assert (report.first_broken_sequence, report.reason, report.checked) == (3, MISSING_ENTRY, 2)


def test_audit_verify_names_an_entry_relinked_to_hide_a_deletion(city):
    _record(city, 5)

    # Delete #3 and renumber #4 and #5 down: no gap is left, but #3's link is wrong.
    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=3).delete()
        for sequence in (4, 5):
            AuditEntry.objects.filter(sequence=sequence).update(sequence=sequence - 1)
    report = audit_verify()

    assert (report.first_broken_sequence, report.reason) == (3, LINK_BROKEN)


def test_audit_verify_accepts_a_chain_archived_up_to_a_recorded_entry(city):
    _record(city, 5)
    archived = AuditEntry.objects.get(sequence=2)

    with _triggers_disabled():
        AuditEntry.objects.filter(sequence__lte=2).delete()
    report = audit_verify(start_after=(archived.sequence, archived.hash))

    assert (report.ok, report.checked, report.started_after) == (True, 3, 2)


def test_audit_verify_refuses_an_archive_point_the_chain_does_not_link_to(city):
    _record(city, 5)

    with _triggers_disabled():
        AuditEntry.objects.filter(sequence__lte=2).delete()
    report = audit_verify(start_after=(2, "f" * 64))

    assert (report.first_broken_sequence, report.reason) == (3, LINK_BROKEN)


def test_audit_chain_start_is_the_link_of_the_oldest_entry_kept(city):
    _record(city, 4)
    archived = AuditEntry.objects.get(sequence=2)

    with _triggers_disabled():
        AuditEntry.objects.filter(sequence__lte=2).delete()

    assert audit_chain_start() == (2, archived.hash)


def test_audit_chain_start_is_none_for_a_chain_from_the_first_entry(city):
    _record(city, 2)

    assert audit_chain_start() is None


def test_audit_verify_reports_the_latest_entry_for_the_operator_to_write_down(city):
    _record(city, 3)
    head = AuditEntry.objects.get(sequence=3)

    report = audit_verify()

    assert (report.last_sequence, report.last_hash) == (3, head.hash)


def test_audit_record_masks_a_raw_mobile_or_id_number_a_caller_let_through(city):
    with transaction.atomic():
        entry = audit_record(
            actor=None,
            organisation=city,
            action=AuditEntry.Action.CREATE,
            object_type="t",
            object_id=1,
            object_label="张三 · Mobile 8613900001234",
            changes={"mobile": {"old": None, "new": "13900001234"}, "id_number": {"old": None, "new": ID_NUMBER}},
            note=f"ID {ID_NUMBER}",
        )

    entry.refresh_from_db()
    assert entry.object_label == "张三 · Mobile 139****1234"
    assert entry.changes == {
        "mobile": {"old": None, "new": "139****1234"},
        "id_number": {"old": None, "new": "110***********1232"},
    }
    assert entry.note == "ID 110***********1232"


def test_audit_record_keeps_the_chain_valid_after_masking(city):
    with transaction.atomic():
        audit_record(
            actor=None, organisation=city, action="create", object_type="t", object_id=1, object_label="13900001234"
        )

    assert audit_verify().ok


# A failed audit write rolls the change back. The insert is refused by the database itself (a
# trigger added for the test), so nothing of ours is mocked.

_REFUSE_INSERT = {
    "sqlite": (
        [
            "CREATE TRIGGER audit_test_refuse_insert BEFORE INSERT ON audit_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END;"
        ],
        ["DROP TRIGGER audit_test_refuse_insert"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION audit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit store unavailable'; END; $$",
            "CREATE TRIGGER audit_test_refuse_insert BEFORE INSERT ON audit_auditentry "
            "FOR EACH ROW EXECUTE FUNCTION audit_test_refuse()",
        ],
        ["DROP TRIGGER audit_test_refuse_insert ON audit_auditentry", "DROP FUNCTION audit_test_refuse()"],
    ),
}


@contextmanager
def _audit_inserts_refused() -> Iterator[None]:
    create, drop = _REFUSE_INSERT[connection.vendor]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)


def test_customer_create_is_rolled_back_when_its_audit_entry_cannot_be_written(city):
    with _audit_inserts_refused(), pytest.raises(DatabaseError):
        customer_create(actor=None, organisation=city, name="审计失败", mobile="13800001111")

    assert not Customer.objects.filter(name="审计失败").exists()
    assert not ContactMethod.objects.filter(value="8613800001111").exists()
    assert not TimelineEntry.objects.exists()


def test_customer_update_is_rolled_back_when_its_audit_entry_cannot_be_written(city, admin):
    customer = CustomerFactory(organisation=city, name="原名")

    with _audit_inserts_refused(), pytest.raises(DatabaseError):
        customer_update(actor=admin, customer=customer, name="新名")

    customer.refresh_from_db()
    assert customer.name == "原名"


# Concurrency: two writers at once still make one line. SQLite serialises writers on the
# database file lock, so the race only exists (and is only tested) on PostgreSQL.


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite allows one writer at a time; the race needs PostgreSQL"
)
def test_audit_record_keeps_the_chain_linear_under_concurrent_appends(transactional_db, city):
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def append_fifty() -> None:
        try:
            start.wait()
            for i in range(50):
                with transaction.atomic():
                    audit_record(
                        actor=None, organisation=city, action=AuditEntry.Action.UPDATE, object_type="t", object_id=i
                    )
        except BaseException as exc:  # a thread's failure must reach the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_fifty) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)) == list(range(1, 101))
    assert audit_verify().ok
