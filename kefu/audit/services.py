"""Writing and verifying the audit chain."""

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kefu.audit.chain import GENESIS, entry_hash, hashed_fields
from kefu.audit.models import AuditEntry

# A fixed key for the advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_KEY = 7_011_201


def _lock_chain() -> None:
    # Two writers must not both read the same head and append after it. PostgreSQL: a
    # transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE already holds the write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record(
    *,
    actor: Any | None,
    organisation: Any,
    action: str,
    obj: Any | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_label: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records, so that a
    failed audit write rolls the change back and no change lands unrecorded."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    _lock_chain()
    head = AuditEntry.objects.order_by("-sequence").only("sequence", "hash").first()
    user = getattr(actor, "user", actor)
    entry = AuditEntry(
        sequence=(head.sequence + 1) if head else 1,
        created_at=timezone.now(),
        actor=user,
        actor_name=getattr(actor, "name", "") or getattr(user, "username", "") or "",
        organisation=organisation,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id if object_id is not None else getattr(obj, "pk", "")),
        object_label=(object_label or (str(obj) if obj is not None else ""))[:200],
        changes=changes or {},
        note=note[:255],
        prev_hash=head.hash if head else GENESIS,
    )
    entry.hash = entry_hash(prev_hash=entry.prev_hash, fields=hashed_fields(entry))
    entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_sequence: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_broken_sequence is None


@transaction.atomic
def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order; report the first entry whose hash or link is wrong."""
    prev_hash, expected_sequence, checked = GENESIS, 1, 0
    last = 0
    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last).order_by("sequence")[:batch_size])
        if not batch:
            return ChainReport(checked=checked, first_broken_sequence=None, reason="")
        for entry in batch:
            if entry.sequence != expected_sequence:
                return ChainReport(checked, expected_sequence, "missing entry")
            if entry.prev_hash != prev_hash:
                return ChainReport(checked, entry.sequence, "link to the previous entry broken")
            # Read back from the database, the timestamp may have lost sub-microsecond detail
            # the writer never had; both sides hash what the database holds.
            if entry.hash != entry_hash(prev_hash=prev_hash, fields=hashed_fields(entry)):
                return ChainReport(checked, entry.sequence, "entry altered")
            prev_hash, expected_sequence, checked = entry.hash, expected_sequence + 1, checked + 1
            last = entry.sequence
