"""The demo's provider sandbox: the local protocol servers of kefu.notifications.fakes on fixed
ports, so that `make demo` shows messages really leaving through every channel (signed SMS
requests, WeChat tokens, SMTP sessions, signed webhooks) without reaching anyone.

`manage.py run_provider_sandbox` serves them; `seed_demo` points the demo group's channels here.
Never configure a real organisation with these settings.
"""

from __future__ import annotations

from typing import Any

from kefu.notifications.fakes.aliyun_sms import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    SIGN_NAME,
    TEMPLATE_CODE,
    TEMPLATE_PARAMS,
    FakeAliyunSms,
)

HOST = "127.0.0.1"
PORTS = {"sms": 18101, "wechat": 18102, "wecom": 18103, "email": 18104, "webhook": 18105}
WECHAT_APP_ID, WECHAT_SECRET = "wx0000000000000001", "fake-app-secret"
WECOM_CORP_ID, WECOM_SECRET, WECOM_AGENT = "ww0000000000000001", "fake-corp-secret", 1000002
WEBHOOK_SECRET = "fake-webhook-secret"  # noqa: S105 - the sandbox's own
WECHAT_TEMPLATE = "kefu-demo-reply"
SMS_TEMPLATE, SMS_PARAMS = TEMPLATE_CODE, TEMPLATE_PARAMS
# The demo's approved SMS templates: ticket replies and resolutions, survey invitations, sign-in
# codes, commission nodes reached and late.
SMS_NODE_TEMPLATE, SMS_LATE_TEMPLATE = "SMS_460770004", "SMS_460770005"
SMS_TEMPLATES = {
    TEMPLATE_CODE: TEMPLATE_PARAMS,
    "SMS_460770002": ("name", "code"),
    "SMS_460770003": ("code",),
    SMS_NODE_TEMPLATE: ("name", "title", "node"),
    SMS_LATE_TEMPLATE: ("name", "title", "node", "date"),
}


def channel_values(ports: dict[str, int] | None = None) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """(settings, secrets) per channel that reach the sandbox."""
    ports = ports or PORTS
    return {
        "sms": (
            {"endpoint": f"http://{HOST}:{ports['sms']}/", "access_key_id": ACCESS_KEY_ID, "sign_name": SIGN_NAME,
             "region_id": "cn-hangzhou", "timeout": 5},
            {"access_key_secret": ACCESS_KEY_SECRET},
        ),
        "wechat": (
            {"api_base": f"http://{HOST}:{ports['wechat']}", "app_id": WECHAT_APP_ID, "timeout": 5},
            {"app_secret": WECHAT_SECRET, "callback_token": "kefu-demo"},
        ),
        "wecom": (
            {"api_base": f"http://{HOST}:{ports['wecom']}", "corp_id": WECOM_CORP_ID, "agent_id": WECOM_AGENT,
             "timeout": 5},
            {"corp_secret": WECOM_SECRET},
        ),
        "email": (
            {"host": HOST, "port": ports["email"], "security": "none", "from_email": "kefu@huajing.example",
             "from_name": "华景客服", "timeout": 5},
            {},
        ),
        "webhook": (
            {"url": f"http://{HOST}:{ports['webhook']}/hook", "timeout": 5},
            {"secret": WEBHOOK_SECRET},
        ),
    }  # fmt: skip


def start(ports: dict[str, int] | None = None) -> list[Any]:
    """Start every fake on its fixed port; returns them (call .stop() on each)."""
    # Imported here: the SMTP fake needs aiosmtpd (a development package), and seed_demo reads
    # only the settings above.
    from kefu.notifications.fakes.smtp import FakeSmtp
    from kefu.notifications.fakes.webhook import FakeWebhookReceiver
    from kefu.notifications.fakes.wechat import FakeWechat, FakeWecom

    ports = ports or PORTS
    sms = FakeAliyunSms(templates=SMS_TEMPLATES)
    sms._port = ports["sms"]
    wechat = FakeWechat(app_id=WECHAT_APP_ID, app_secret=WECHAT_SECRET)
    wechat.port = ports["wechat"]
    wecom = FakeWecom(corp_id=WECOM_CORP_ID, corp_secret=WECOM_SECRET, agent_id=WECOM_AGENT)
    wecom.port = ports["wecom"]
    smtp = FakeSmtp(host=HOST)
    smtp.port = ports["email"]
    webhook = FakeWebhookReceiver(secret=WEBHOOK_SECRET)
    webhook.port = ports["webhook"]
    servers: list[Any] = [sms, wechat, wecom, smtp, webhook]
    for server in servers:
        server.start()
    return servers
