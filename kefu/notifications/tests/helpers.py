"""Test helpers: channel configurations pointing at the local protocol servers."""

from __future__ import annotations

import secrets
from typing import Any

from kefu.notifications import configuration
from kefu.notifications.models import ChannelConfig, MessageTemplate
from kefu.orgs.models import OrgUnit


def configure(
    unit: OrgUnit, channel: str, settings: dict[str, Any] | None = None, **secret_values: str
) -> ChannelConfig:
    config = ChannelConfig(
        organisation=unit, channel=channel, settings=settings or {}, callback_key=secrets.token_urlsafe(16)
    )
    configuration.write_secrets(config, secret_values)
    config.save()
    return config


def approved_template(
    unit: OrgUnit, event: str, channel: str, *, code: str, params: dict[str, str], body: str = ""
) -> MessageTemplate:
    return MessageTemplate.objects.create(
        organisation=unit,
        event=event,
        channel=channel,
        body=body or "{customer_name}您好，您的{kind}{ticket_number}有新回复。",
        provider_template=code,
        provider_params=params,
        is_approved=True,
    )
