"""Delivery reports pushed back by providers, in one shape for every channel that has them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StatusReport:
    """What the provider later learnt from the carrier about one message it had accepted."""

    # What `Sent.provider_message_id` held (Aliyun's BizId).
    provider_message_id: str
    # Echoed back by the provider (Aliyun's OutId); empty when the provider lost it.
    idempotency_key: str
    delivered: bool
    # The carrier's own status code ("DELIVERED", "MK:0000", "UNDELIV") and its text.
    code: str
    description: str
    at: datetime | None
