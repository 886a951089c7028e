"""Writing and verifying the audit chain."""

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.audit.chain import GENESIS, entry_hash, hashed_fields
from kefu.audit.models import AuditEntry

# A fixed key for the advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_KEY = 7_011_201

# Mainland mobiles, bare or with the 86 country code, and resident ID numbers.
_MOBILE = re.compile(r"(?<!\d)(?:86)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{11}(\d{3}[\dXx])(?!\d)")


def _masked(value: Any) -> Any:
    """`value` with any raw mobile or ID number in its text masked. Callers pass masked values
    already; this is the last guard, so that the log that must be kept for months never holds
    a raw number that slipped into a label, a note or a change."""
    if isinstance(value, str):
        return _MOBILE.sub(r"\1****\2", _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 11}{m[2]}", value))
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


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
        object_label=_masked(object_label or (str(obj) if obj is not None else ""))[:200],
        changes=_masked(changes or {}),
        note=_masked(note)[:255],
        prev_hash=head.hash if head else GENESIS,
    )
    entry.hash = entry_hash(prev_hash=entry.prev_hash, fields=hashed_fields(entry))
    entry.save(force_insert=True)
    return entry


MISSING_ENTRY = _("an entry is missing (deleted)")
LINK_BROKEN = _("its link to the previous entry is broken")
ENTRY_ALTERED = _("its content was changed after it was written")


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_sequence: int | None
    reason: str | Promise
    # The chain was checked from the entry after this sequence (0: from the first entry ever),
    # which had this hash: after archiving, operators compare it with the archive's record.
    started_after: int = 0
    started_after_hash: str = ""
    # The last entry checked: operators write it down, because removing entries from the end
    # of the chain leaves no gap; a head that is older than the one written down shows it.
    last_sequence: int = 0
    last_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_sequence is None


def audit_chain_start() -> tuple[int, str] | None:
    """(sequence, hash) the oldest entry still held links to, when older entries were archived;
    None when the chain still starts at the first entry ever written (or is empty)."""
    first = AuditEntry.objects.order_by("sequence").only("sequence", "prev_hash").first()
    if first is None or first.sequence == 1:
        return None
    return first.sequence - 1, first.prev_hash


@transaction.atomic
def audit_verify(*, start_after: tuple[int, str] | None = None, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order; report the first entry whose hash or link is wrong.

    By default the walk starts at the first entry ever written. After an operator archived old
    entries (docs/runbooks/audit.md), pass the (sequence, hash) of the last archived entry as
    recorded then: the walk starts after it and the first remaining entry must link to it."""
    last, prev_hash = start_after if start_after is not None else (0, GENESIS)
    expected_sequence, checked = last + 1, 0
    started_after, started_after_hash = last, prev_hash

    def broken(sequence: int, reason: Promise) -> ChainReport:
        return ChainReport(
            checked=checked,
            first_broken_sequence=sequence,
            reason=reason,
            started_after=started_after,
            started_after_hash=started_after_hash,
        )

    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last).order_by("sequence")[:batch_size])
        if not batch:
            return ChainReport(
                checked=checked,
                first_broken_sequence=None,
                reason="",
                started_after=started_after,
                started_after_hash=started_after_hash,
                last_sequence=last,
                last_hash=prev_hash,
            )
        for entry in batch:
            if entry.sequence != expected_sequence:
                return broken(expected_sequence, MISSING_ENTRY)
            if entry.prev_hash != prev_hash:
                return broken(entry.sequence, LINK_BROKEN)
            # Read back from the database, the timestamp may have lost sub-microsecond detail
            # the writer never had; both sides hash what the database holds.
            if entry.hash != entry_hash(prev_hash=prev_hash, fields=hashed_fields(entry)):
                return broken(entry.sequence, ENTRY_ALTERED)
            prev_hash, expected_sequence, checked = entry.hash, expected_sequence + 1, checked + 1
            last = entry.sequence
