"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from __future__ import annotations

import secrets
from typing import Any

from django.utils import timezone

from kefu.core.roles import Role
from kefu.notifications import configuration
from kefu.notifications.models import (
    Channel,
    ChannelConfig,
    DeliveryAttempt,
    InAppNotification,
    OutboxMessage,
    RecipientType,
    Status,
)
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import MembershipFactory

# The settings pages take a unit, a channel and an event in their URLs; this pair has a
# template page (the event is sent by SMS) and a delivery-report URL (SMS has one).
CHANNEL = Channel.SMS
EVENT = "ticket.escalated"


def dead_letter(unit: OrgUnit, *, membership: Membership | None = None, n: int = 1, **values: Any) -> OutboxMessage:
    """A staff member's SMS that the provider refused for a configuration error: a dead letter."""
    membership = membership or MembershipFactory(unit=unit, roles=(Role.AGENT,), mobile="13800000000")
    now = timezone.now()
    fields: dict[str, Any] = {
        "organisation": unit,
        "event": EVENT,
        "source_key": f"world:{secrets.token_hex(4)}:{n}",
        "recipient_type": RecipientType.STAFF,
        "membership": membership,
        "recipient_name": membership.name,
        "channel": CHANNEL,
        "address": "8613800000000",
        "context": {
            "ticket_number": "KS202503040001",
            "kind": "投诉",
            "customer_name": "王先生",
            "summary": "楼上漏水",
            "due_at": "3月4日 17:30",
            "link": "https://kefu.example.com/tickets/1/",
            "step": "处理时限",
            "level": "主管",
        },
        "body": "工单KS202503040001处理时限已超时，升级至主管，请尽快处理。",
        "status": Status.DEAD,
        "attempts": 1,
        "error_code": "isv.SMS_TEMPLATE_ILLEGAL",
        "error": "The SMS template is not approved or does not exist",
        "finished_at": now,
        **values,
    }
    fields.setdefault("idempotency_key", f"{unit.pk}|{fields['source_key']}|m{membership.pk}|{fields['channel']}")
    message = OutboxMessage.objects.create(**fields)
    DeliveryAttempt.objects.create(
        message=message,
        number=1,
        started_at=now,
        finished_at=now,
        outcome=DeliveryAttempt.Outcome.CONFIGURATION,
        error_code=message.error_code,
        error=message.error,
        duration_ms=35,
        worker="web-1:4242",
    )
    return message


def sms_config(unit: OrgUnit) -> ChannelConfig:
    config = ChannelConfig(
        organisation=unit,
        channel=CHANNEL,
        settings={"sign_name": "华景物业", "access_key_id": "LTAI-world"},
        callback_key=secrets.token_urlsafe(32),
    )
    configuration.write_secrets(config, {"access_key_secret": "world-secret"})
    config.save()
    return config


def access_objects(city: OrgUnit, **context: Any) -> dict[str, Any]:
    """URL kwarg → value for every kwarg this app's URLs take, owned by `city`."""
    message = dead_letter(city)
    InAppNotification.objects.create(
        membership=context["staff"][Role.AGENT],
        event=EVENT,
        title="超时升级：KS202503040001",
        body="处理时限已超时，升级至主管。",
        url="/tickets/",
        created_at=timezone.now(),
    )
    return {
        "message_id": message.pk,
        "channel": CHANNEL,
        "event": EVENT,
        "key": sms_config(city).callback_key,
    }


def api_seed(city: OrgUnit, **context: Any) -> None:
    """Objects that make this app's rows show up under schemathesis (it has no API of its own yet;
    other apps' endpoints may list what was sent)."""
    dead_letter(city, membership=context["admin"])
