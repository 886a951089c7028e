"""Demo notifications: the group's channels point at the local provider sandbox
(kefu.notifications.sandbox, started by `make demo`), with approved SMS and WeChat templates,
WeCom user ids for the staff and WeChat openids for half of the customers."""

from __future__ import annotations

import secrets

from kefu.customers.models import ContactMethod, Customer
from kefu.notifications import configuration, sandbox
from kefu.notifications.models import ChannelConfig, MessageTemplate
from kefu.orgs.models import Membership, OrgUnit

TEMPLATES = (
    # event, channel, provider template, parameters, text
    ("ticket.reply", "sms", sandbox.SMS_TEMPLATE, {"ticket": "{ticket_number}", "status": "有新回复"},
     "【华景物业】{customer_name}您好，您的{kind}{ticket_number}有新回复，请留意查收。"),
    ("ticket.resolved", "sms", sandbox.SMS_TEMPLATE, {"ticket": "{ticket_number}", "status": "已处理完毕"},
     "【华景物业】{customer_name}您好，您的{kind}{ticket_number}已处理完毕。"),
    ("ticket.reply", "wechat", sandbox.WECHAT_TEMPLATE,
     {"first": "{customer_name}您好，您的{kind}有新回复", "keyword1": "{ticket_number}", "keyword2": "{reply}"},
     "{customer_name}您好，您的{kind}（{ticket_number}）有新回复：{reply}"),
    ("ticket.resolved", "wechat", sandbox.WECHAT_TEMPLATE,
     {"first": "{customer_name}您好，您的{kind}已处理", "keyword1": "{ticket_number}", "keyword2": "{measures}"},
     "{customer_name}您好，您的{kind}（{ticket_number}）已处理：{measures}"),
    ("portal.code", "sms", "SMS_460770003", {"code": "{code}"},
     "【华景物业】您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。"),
)  # fmt: skip


def configure(*, root: OrgUnit) -> None:
    if ChannelConfig.objects.filter(organisation=root).exists():
        return
    for channel, (values, secret_values) in sandbox.channel_values().items():
        config = ChannelConfig(
            organisation=root, channel=channel, settings=values, callback_key=secrets.token_urlsafe(32)
        )
        configuration.write_secrets(config, secret_values)
        config.save()
    for event, channel, code, params, body in TEMPLATES:
        MessageTemplate.objects.create(
            organisation=root,
            event=event,
            channel=channel,
            body=body,
            provider_template=code,
            provider_params=params,
            is_approved=True,
        )
    for member in Membership.objects.select_related("user"):
        member.wecom_userid = member.user.username
        member.save(update_fields=["wecom_userid"])
    openids = [
        ContactMethod(customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value=f"o-demo-{customer.pk:06d}")
        for customer in Customer.objects.order_by("pk")[::2]
    ]
    ContactMethod.objects.bulk_create(openids, ignore_conflicts=True)
