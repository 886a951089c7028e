import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record, audit_verify


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
