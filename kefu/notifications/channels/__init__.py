"""The channel adapters, by channel. In-app needs none: the outbox writes the bell row itself."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_ADAPTERS = {
    "email": "kefu.notifications.channels.email.EmailAdapter",
    "sms": "kefu.notifications.channels.sms.AliyunSmsAdapter",
    "wechat": "kefu.notifications.channels.wechat.WechatOfficialAccountAdapter",
    "wecom": "kefu.notifications.channels.wecom.WecomAdapter",
    "webhook": "kefu.notifications.channels.webhook.WebhookAdapter",
}


def adapter_class(channel: str) -> Any:
    module, _, name = _ADAPTERS[channel].rpartition(".")
    return getattr(import_module(module), name)
