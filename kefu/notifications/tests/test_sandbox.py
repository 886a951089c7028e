"""The demo's provider sandbox: each channel's demo settings reach a server that accepts them,
so `make demo` shows messages leaving through every channel."""

import socket

from kefu.notifications import sandbox
from kefu.notifications.channels import adapter_class
from kefu.notifications.channels.base import ChannelSettings, Outgoing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_demo_channel_is_accepted_by_the_sandbox():
    ports = {channel: _free_port() for channel in sandbox.PORTS}
    servers = sandbox.start(ports)
    try:
        addresses = {
            "sms": "8613812345678",
            "wechat": "o-demo-000001",
            "wecom": "agent",
            "email": "wang@example.com",
            "webhook": "",
        }
        templates = {"sms": sandbox.SMS_TEMPLATE, "wechat": sandbox.WECHAT_TEMPLATE}
        params = {"sms": dict.fromkeys(sandbox.SMS_PARAMS, "KF1"), "wechat": {"first": "您好"}}
        for channel, (values, secret_values) in sandbox.channel_values(ports).items():
            adapter = adapter_class(channel)(ChannelSettings(settings=values, secrets=secret_values))
            sent = adapter.send(
                Outgoing(
                    idempotency_key=f"sandbox-{channel}",
                    address=addresses[channel],
                    event="notifications.test",
                    subject="测试",
                    body="这是一条测试消息",
                    provider_template=templates.get(channel, ""),
                    params=params.get(channel, {}),
                )
            )
            assert sent.provider_message_id, channel
    finally:
        for server in servers:
            server.stop()
