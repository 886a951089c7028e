"""The one interface every channel adapter implements.

The outbox worker (kefu.notifications.delivery) resolves a channel's configuration for the
message's organisation unit, builds the adapter and calls `send()` once per attempt. An adapter
talks to its provider and nothing else: it does not touch the database, does not retry (the
outbox does, with backoff) and does not decide what an error means beyond naming it. It raises
`ProviderError` with the provider's own error code; `kefu.notifications.classification` maps
that code to permanent, temporary or deferred in one table. Transport failures (refused
connection, timeout, HTTP 5xx) raise `TransportError`, which is always temporary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message to one address on one channel, fully rendered."""

    # event × recipient × channel; passed to the provider where its API takes a dedupe key.
    idempotency_key: str
    # mobile as E.164 digits without "+" (8613812345678), an email address, an OA openid,
    # a WeCom userid, or nothing for a webhook (the URL is in the channel's settings).
    address: str
    event: str
    subject: str = ""
    body: str = ""
    html: str = ""
    # The provider-approved template (SMS template code, WeChat template id) and its parameters.
    provider_template: str = ""
    params: dict[str, str] = field(default_factory=dict)
    url: str = ""
    # Structured data for machine channels (the webhook's JSON payload).
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    """The provider accepted the message."""

    provider_message_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSettings:
    """A channel's configuration: `settings` may be shown back, `secrets` never are."""

    settings: dict[str, Any]
    secrets: dict[str, str]

    def get(self, name: str, default: Any = "") -> Any:
        return self.settings.get(name, default)

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")


class ProviderError(Exception):
    """The provider answered and refused: `code` is its own error code, looked up in the table."""

    def __init__(self, channel: str, code: str, message: str = "", *, retry_at: datetime | None = None) -> None:
        super().__init__(f"{channel} {code}: {message}")
        self.channel = channel
        self.code = str(code)
        self.message = message
        # A provider that says when to come back (a quota reset) may set this.
        self.retry_at = retry_at


class TransportError(Exception):
    """The provider could not be reached or answered 5xx: always temporary."""

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.message = message


class ConfigurationError(Exception):
    """The channel's configuration is incomplete or wrong (a missing key, a bad host): permanent
    until an administrator fixes it."""


@dataclass(frozen=True)
class SettingField:
    """One field of a channel's configuration form."""

    name: str
    label: Any  # a lazy translation
    secret: bool = False
    required: bool = True
    default: Any = ""
    help_text: Any = ""
    kind: str = "text"  # text, int, bool, choice, url, email
    choices: tuple[tuple[str, Any], ...] = ()


class Adapter(Protocol):
    channel: ClassVar[str]
    # What the configuration page asks for.
    fields: ClassVar[tuple[SettingField, ...]]

    def __init__(self, config: ChannelSettings) -> None: ...

    def send(self, message: Outgoing) -> Sent: ...
