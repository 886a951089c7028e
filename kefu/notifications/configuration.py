"""Where a unit's channel settings, templates, routes and policy come from: the nearest unit up
the tree that has one. Secrets are decrypted here and nowhere else."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import time

from kefu.core import crypto
from kefu.core.scoping import ancestor_ids
from kefu.notifications import events
from kefu.notifications.channels import adapter_class
from kefu.notifications.channels.base import ChannelSettings, ConfigurationError
from kefu.notifications.models import ChannelConfig, DeliveryPolicy, EventRoute, MessageTemplate
from kefu.orgs.models import OrgUnit

ENV_PREFIX = "env:"


def _nearest(rows: list, unit_ids: list[int]):  # type: ignore[no-untyped-def]
    by_unit = {row.organisation_id: row for row in rows}
    for unit_id in reversed(unit_ids):
        if unit_id in by_unit:
            return by_unit[unit_id]
    return None


def channel_config_for(unit: OrgUnit, channel: str) -> ChannelConfig | None:
    """The enabled configuration of `channel` nearest to `unit`; a disabled one nearer up the
    tree switches the channel off for its subtree."""
    ids = ancestor_ids(unit)
    config = _nearest(list(ChannelConfig.objects.filter(organisation_id__in=ids, channel=channel)), ids)
    return config if config is not None and config.is_enabled else None


def configured_channels(unit: OrgUnit) -> set[str]:
    ids = ancestor_ids(unit)
    rows = list(ChannelConfig.objects.filter(organisation_id__in=ids))
    result = set()
    for channel in {row.channel for row in rows}:
        config = _nearest([r for r in rows if r.channel == channel], ids)
        if config is not None and config.is_enabled:
            result.add(channel)
    return result


def read_secrets(config: ChannelConfig) -> dict[str, str]:
    if not config.secrets_encrypted:
        return {}
    stored: dict[str, str] = json.loads(crypto.decrypt(config.secrets_encrypted))
    return {name: resolve_secret(value) for name, value in stored.items()}


def resolve_secret(value: str) -> str:
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in os.environ:
            raise ConfigurationError(f"environment variable {name} is not set")
        return os.environ[name]
    return value


def write_secrets(config: ChannelConfig, secrets: dict[str, str]) -> None:
    config.secrets_encrypted = crypto.encrypt(json.dumps(secrets, ensure_ascii=False)) if secrets else ""


def stored_secrets(config: ChannelConfig) -> dict[str, str]:
    """The secrets as stored, "env:NAME" references unresolved: for merging a save into."""
    if not config.secrets_encrypted:
        return {}
    stored: dict[str, str] = json.loads(crypto.decrypt(config.secrets_encrypted))
    return stored


def stored_secret_names(config: ChannelConfig) -> set[str]:
    return set(stored_secrets(config))


def build_adapter(config: ChannelConfig):  # type: ignore[no-untyped-def]
    return adapter_class(config.channel)(ChannelSettings(settings=dict(config.settings), secrets=read_secrets(config)))


def template_for(unit: OrgUnit, event: str, channel: str) -> MessageTemplate | None:
    """The active template nearest to `unit`; None means the event's built-in text."""
    ids = ancestor_ids(unit)
    rows = list(MessageTemplate.objects.filter(organisation_id__in=ids, event=event, channel=channel, is_active=True))
    return _nearest(rows, ids)


def route_for(unit: OrgUnit, event: events.Event) -> tuple[bool, tuple[str, ...]]:
    ids = ancestor_ids(unit)
    route = _nearest(list(EventRoute.objects.filter(organisation_id__in=ids, event=event.key)), ids)
    if route is None:
        return True, event.channels
    return route.is_enabled, tuple(c for c in route.channels if c in event.channels)


@dataclass(frozen=True)
class Policy:
    quiet_start: time
    quiet_end: time
    daily_cap: int


DEFAULT_POLICY = Policy(quiet_start=time(21, 0), quiet_end=time(8, 0), daily_cap=3)


def policy_for(unit: OrgUnit) -> Policy:
    ids = ancestor_ids(unit)
    row = _nearest(list(DeliveryPolicy.objects.filter(organisation_id__in=ids)), ids)
    if row is None:
        return DEFAULT_POLICY
    return Policy(quiet_start=row.quiet_start, quiet_end=row.quiet_end, daily_cap=row.daily_cap)
