from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.audit.tests.test_services import _triggers_disabled


def _record(unit, n):
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=None, organisation=unit, action=AuditEntry.Action.UPDATE, object_type="t", object_id=i)


def test_audit_verify_command_reports_an_intact_chain(city):
    _record(city, 3)
    out = StringIO()

    call_command("audit_verify", stdout=out)

    assert "3 entries checked" in out.getvalue()


def test_audit_verify_command_fails_with_status_1_on_a_broken_chain(city):
    _record(city, 3)
    with _triggers_disabled():
        AuditEntry.objects.filter(sequence=2).update(note="x")

    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")

    assert failure.value.returncode == 1
    assert "#2" in str(failure.value)


def test_audit_verify_command_starts_after_an_archived_entry(city):
    _record(city, 3)
    archived = AuditEntry.objects.get(sequence=1)
    with _triggers_disabled():
        archived_hash = archived.hash
        AuditEntry.objects.filter(sequence=1).delete()
    out = StringIO()

    call_command("audit_verify", f"--start-after=1:{archived_hash}", stdout=out)

    assert "2 entries checked" in out.getvalue()


def test_audit_verify_command_rejects_a_malformed_start(city):
    with pytest.raises(CommandError):
        call_command("audit_verify", "--start-after=abc")
