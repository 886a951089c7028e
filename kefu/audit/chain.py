"""How an audit entry's hash is computed. The writer and the verifier share this one function."""

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def entry_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def hashed_fields(entry: Any) -> dict[str, Any]:
    """The columns the hash covers, as they read back from the database."""
    return {
        "sequence": entry.sequence,
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "changes": entry.changes,
        "note": entry.note,
    }
