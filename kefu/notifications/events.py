"""The events Kefu sends messages for: who they go to, why, on which channels, and their built-in texts.

An administrator can replace any text per unit (MessageTemplate) and reorder or narrow the
channels (EventRoute); what is here is what a new organisation gets. Texts are Chinese, the
organisation's language; variables are {name} placeholders, listed with a sample for the preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from kefu.notifications.models import Channel, RecipientType

SERVICE, SURVEY, MARKETING = "service", "survey", "marketing"


@dataclass(frozen=True)
class Text:
    body: str
    subject: str = ""


@dataclass(frozen=True)
class Event:
    key: str
    label: object
    audience: str
    # The consent purpose: service messages need no consent, anything else does.
    purpose: str
    channels: tuple[str, ...]
    variables: dict[str, tuple[object, str]]
    texts: dict[str, Text] = field(default_factory=dict)
    # Urgent messages ignore quiet hours and the daily cap.
    urgent: bool = False
    # Counts toward the customer's daily cap (replies to the customer's own request do not).
    capped: bool = False


_TICKET_VARS = {
    "customer_name": (_("Customer name"), "王先生"),
    "ticket_number": (_("Ticket number"), "KF20261123-0007"),
    "kind": (_("Kind"), "投诉"),
    "unit": (_("Unit"), "前海湾花园 3栋 1单元 1201"),
    "link": (_("Link"), "https://kefu.example.com/t/abc"),
}
_STAFF_TICKET_VARS = {
    "ticket_number": (_("Ticket number"), "KF20261123-0007"),
    "kind": (_("Kind"), "投诉"),
    "customer_name": (_("Customer name"), "王先生"),
    "summary": (_("Summary"), "楼上漏水，天花板渗水"),
    "due_at": (_("Due at"), "11月23日 17:30"),
    "link": (_("Link"), "https://kefu.example.com/tickets/42/"),
}

EVENTS: dict[str, Event] = {}


def _bell_and_wecom(body: str, *, subject: str, link_on_wecom: bool = False) -> dict[str, Text]:
    """The same staff text in the bell and in WeCom; WeCom has no page to open, so it may carry the link."""
    return {
        Channel.INAPP: Text(body, subject=subject),
        Channel.WECOM: Text(body + "{link}" if link_on_wecom else body, subject=subject),
    }


def _register(event: Event) -> Event:
    EVENTS[event.key] = event
    return event


TICKET_REPLY = _register(
    Event(
        key="ticket.reply",
        label=_("Reply to a customer's request"),
        audience=RecipientType.CUSTOMER,
        purpose=SERVICE,
        channels=(Channel.WECHAT, Channel.SMS, Channel.EMAIL),
        variables={
            **_TICKET_VARS,
            "reply": (_("Reply"), "维修师傅将于明天上午10点上门查看，请保持电话畅通。"),
            "agent_name": (_("Agent name"), "李娜"),
        },
        texts={
            Channel.WECHAT: Text("{customer_name}您好，您的{kind}（{ticket_number}）有新回复：{reply}"),
            Channel.SMS: Text("{customer_name}您好，您的{kind}{ticket_number}有新回复：{reply}"),
            Channel.EMAIL: Text(
                "{customer_name}您好：\n\n您的{kind}（{ticket_number}）有新回复：\n\n{reply}\n\n—— {agent_name}",
                subject="您的{kind}{ticket_number}有新回复",
            ),
        },
    )
)

TICKET_RESOLVED = _register(
    Event(
        key="ticket.resolved",
        label=_("A customer's request is resolved"),
        audience=RecipientType.CUSTOMER,
        purpose=SERVICE,
        channels=(Channel.WECHAT, Channel.SMS, Channel.EMAIL),
        variables={**_TICKET_VARS, "measures": (_("Measures taken"), "已更换防水层并复查无渗漏。")},
        texts={
            Channel.WECHAT: Text("{customer_name}您好，您的{kind}（{ticket_number}）已处理：{measures}"),
            Channel.SMS: Text("{customer_name}您好，您的{kind}{ticket_number}已处理：{measures}"),
            Channel.EMAIL: Text(
                "{customer_name}您好：\n\n您的{kind}（{ticket_number}）已处理。\n\n处理措施：{measures}",
                subject="您的{kind}{ticket_number}已处理",
            ),
        },
    )
)

TICKET_ASSIGNED = _register(
    Event(
        key="ticket.assigned",
        label=_("A ticket is assigned to you"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        channels=(Channel.INAPP, Channel.WECOM),
        variables=_STAFF_TICKET_VARS,
        texts={
            **_bell_and_wecom("{customer_name}：{summary}。请在{due_at}前处理。", subject="新{kind}{ticket_number}"),
            Channel.EMAIL: Text(
                "{customer_name}：{summary}\n请在{due_at}前处理。\n{link}", subject="新{kind}{ticket_number}"
            ),
        },
    )
)

TICKET_WARNED = _register(
    Event(
        key="ticket.warned",
        label=_("A ticket is near its due time"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.WECOM),
        variables={**_STAFF_TICKET_VARS, "step": (_("Clock"), "首次响应")},
        texts={
            **_bell_and_wecom(
                "{step}将于{due_at}到期：{customer_name}，{summary}", subject="即将超时：{ticket_number}"
            ),
            Channel.EMAIL: Text(
                "{step}将于{due_at}到期：{customer_name}，{summary}\n{link}", subject="即将超时：{ticket_number}"
            ),
        },
    )
)

TICKET_ESCALATED = _register(
    Event(
        key="ticket.escalated",
        label=_("A breached ticket is escalated to you"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.WECOM, Channel.SMS),
        variables={
            **_STAFF_TICKET_VARS,
            "step": (_("Clock"), "处理时限"),
            "level": (_("Escalation level"), "主管"),
        },
        texts={
            **_bell_and_wecom(
                "{step}已于{due_at}超时，升级至{level}：{customer_name}，{summary}", subject="超时升级：{ticket_number}"
            ),
            Channel.SMS: Text("工单{ticket_number}{step}已超时，升级至{level}，请尽快处理。"),
            Channel.EMAIL: Text(
                "{step}已于{due_at}超时，升级至{level}：{customer_name}，{summary}\n{link}",
                subject="超时升级：{ticket_number}",
            ),
        },
    )
)

DAILY_COMPLAINT_REPORT = _register(
    Event(
        key="report.daily_complaints",
        label=_("Daily complaint report"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        channels=(Channel.WECOM, Channel.EMAIL, Channel.INAPP),
        variables={
            "unit": (_("Unit"), "深圳城市公司"),
            "day": (_("Day"), "11月22日"),
            "total": (_("Complaints"), "6"),
            "replied": (_("Replied"), "5"),
            "resolved": (_("Resolved"), "3"),
            "open": (_("Open"), "3"),
            "breached": (_("Open and breached"), "1"),
            "link": (_("Link"), "https://kefu.example.com/tickets/report/"),
        },
        texts={
            Channel.WECOM: Text(
                "{day}新增投诉{total}件，已回复{replied}件，已处理{resolved}件，未结{open}件，其中超时{breached}件。",
                subject="{unit}投诉日报 {day}",
            ),
            Channel.EMAIL: Text(
                "{day}新增投诉{total}件，已回复{replied}件，已处理{resolved}件，未结{open}件，其中超时{breached}件。\n\n详情：{link}",
                subject="{unit}投诉日报 {day}",
            ),
            Channel.INAPP: Text(
                "{day}新增投诉{total}件，已回复{replied}件，已处理{resolved}件，未结{open}件，其中超时{breached}件。",
                subject="{unit}投诉日报 {day}",
            ),
        },
    )
)

TICKET_LOGGED_WEBHOOK = _register(
    Event(
        key="integration.ticket",
        label=_("Ticket changes, for the company's OA"),
        audience=RecipientType.ENDPOINT,
        purpose=SERVICE,
        channels=(Channel.WEBHOOK,),
        variables={
            "ticket_number": (_("Ticket number"), "KF20261123-0007"),
            "kind": (_("Kind"), "投诉"),
            "action": (_("What happened"), "受理"),
            "customer_name": (_("Customer name"), "王先生"),
            "summary": (_("Summary"), "楼上漏水，天花板渗水"),
            "link": (_("Link"), "https://kefu.example.com/tickets/42/"),
        },
        texts={
            Channel.WEBHOOK: Text("{action}：{kind}{ticket_number}，{customer_name}，{summary}", subject="{action}")
        },
    )
)

SURVEY_INVITATION = _register(
    Event(
        key="survey.invitation",
        label=_("Survey invitation"),
        audience=RecipientType.CUSTOMER,
        purpose=SURVEY,
        capped=True,
        channels=(Channel.WECHAT, Channel.SMS, Channel.EMAIL),
        variables={
            "customer_name": (_("Customer name"), "王先生"),
            "survey_name": (_("Survey"), "服务评价"),
            "subject": (_("What is evaluated"), "投诉KS202611230007的处理"),
            "staff_name": (_("Staff member evaluated"), "李娜"),
            "link": (_("Link"), "https://kefu.example.com/m/l/Xq3v9KpT2mWcR8yLbN4sHd7fJ6gA1eZu/"),
            "link_code": (_("Link code"), "Xq3v9KpT2mWcR8yLbN4sHd7fJ6gA1eZu"),
            "expires": (_("Answer by"), "11月30日"),
        },
        texts={
            Channel.WECHAT: Text("{customer_name}您好，请为{subject}评价：{link}"),
            Channel.SMS: Text("{customer_name}您好，请为{subject}评价，{expires}前有效：{link}"),
            Channel.EMAIL: Text(
                "{customer_name}您好：\n\n感谢您的信任。请花一分钟为{subject}评价：\n{link}\n\n链接{expires}前有效。",
                subject="请为{subject}评价",
            ),
        },
    )
)

SURVEY_INTERVENTION = _register(
    Event(
        key="survey.intervention",
        label=_("A low evaluation needs your follow-up"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.WECOM),
        variables={
            "customer_name": (_("Customer name"), "王先生"),
            "survey_name": (_("Survey"), "3-PRO服务评价"),
            "staff_name": (_("Staff member evaluated"), "李娜"),
            "reason": (_("Low scores"), "P1 事前充分沟通：3（一般）"),
            "due_at": (_("Due at"), "11月25日 17:30"),
            "link": (_("Link"), "https://kefu.example.com/surveys/interventions/7/"),
        },
        texts={
            **_bell_and_wecom(
                "{customer_name}对{staff_name}的评价低于良好：{reason}。请在{due_at}前联系客户。",
                subject="评价干预：{customer_name}",
            ),
        },
    )
)

PORTAL_CODE = _register(
    Event(
        key="portal.code",
        label=_("Sign-in code for the customer portal"),
        audience=RecipientType.CUSTOMER,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.SMS,),
        variables={"code": (_("Code"), "483920"), "minutes": (_("Minutes valid"), "5")},
        texts={Channel.SMS: Text("您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。")},
    )
)

_COMMISSION_VARS = {
    "customer_name": (_("Customer name"), "王总"),
    "commission_number": (_("Commission number"), "WT202611230001"),
    "commission_title": (_("Commission"), "前海湾地块可行性研究"),
    "node_name": (_("Node"), "现场查勘"),
    "link": (_("Link"), "https://kefu.example.com/m/l/Xq3v9KpT2mWcR8yLbN4sHd7fJ6gA1eZu/"),
}
_STAFF_COMMISSION_VARS = {
    "commission_number": (_("Commission number"), "WT202611230001"),
    "commission_title": (_("Commission"), "前海湾地块可行性研究"),
    "customer_name": (_("Client"), "华润置地"),
    "node_name": (_("Node"), "现场查勘"),
    "link": (_("Link"), "https://kefu.example.com/commissions/7/"),
}

COMMISSION_NODE_REACHED = _register(
    Event(
        key="commission.node_reached",
        label=_("A commission node is reached"),
        audience=RecipientType.CUSTOMER,
        purpose=SERVICE,
        channels=(Channel.WECHAT, Channel.SMS, Channel.EMAIL),
        variables={
            **_COMMISSION_VARS,
            "message": (_("What the client is told"), "现场查勘已完成，查勘记录已上传。"),
            "next_node": (_("Next node"), "出具报告初稿"),
        },
        texts={
            Channel.WECHAT: Text("{customer_name}您好，{commission_title}已完成“{node_name}”。{message}进度：{link}"),
            Channel.SMS: Text("{customer_name}您好，{commission_title}已完成{node_name}，进度详见：{link}"),
            Channel.EMAIL: Text(
                "{customer_name}您好：\n\n{commission_title}（{commission_number}）已完成“{node_name}”。\n{message}\n"
                "下一步：{next_node}\n\n查看进度：{link}",
                subject="{commission_title}：{node_name}已完成",
            ),
        },
    )
)

COMMISSION_NODE_LATE = _register(
    Event(
        key="commission.node_late",
        label=_("A commission node is late"),
        audience=RecipientType.CUSTOMER,
        purpose=SERVICE,
        channels=(Channel.WECHAT, Channel.SMS, Channel.EMAIL),
        variables={**_COMMISSION_VARS, "planned_on": (_("Planned on"), "11月20日")},
        texts={
            Channel.WECHAT: Text(
                "{customer_name}您好，{commission_title}的“{node_name}”原定{planned_on}完成，目前尚在进行，"
                "项目负责人将与您联系说明。进度：{link}"
            ),
            Channel.SMS: Text(
                "{customer_name}您好，{commission_title}的{node_name}原定{planned_on}完成，尚在进行，进度：{link}"
            ),
            Channel.EMAIL: Text(
                "{customer_name}您好：\n\n{commission_title}（{commission_number}）的“{node_name}”原定{planned_on}"
                "完成，目前尚在进行，项目负责人将与您联系说明。\n\n查看进度：{link}",
                subject="{commission_title}：{node_name}延期说明",
            ),
        },
    )
)

COMMISSION_LATE_ESCALATION = _register(
    Event(
        key="commission.late_escalation",
        label=_("A commission node is late (to the manager and supervisor)"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.WECOM),
        variables={**_STAFF_COMMISSION_VARS, "planned_on": (_("Planned on"), "11月20日")},
        texts={
            **_bell_and_wecom(
                "{customer_name}的委托{commission_number}“{node_name}”原定{planned_on}完成，已逾期。",
                subject="节点逾期：{commission_title}",
                link_on_wecom=True,
            ),
        },
    )
)

COMMISSION_UNREACHABLE = _register(
    Event(
        key="commission.unreachable",
        label=_("A commission's client could not be told"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.WECOM),
        variables={**_STAFF_COMMISSION_VARS, "reason": (_("Why"), "客户联系人没有手机号，也未绑定微信")},
        texts={
            **_bell_and_wecom(
                "委托{commission_number}“{node_name}”的消息未能送达{customer_name}：{reason}。请直接联系客户。",
                subject="客户未收到节点推送：{commission_title}",
                link_on_wecom=True,
            ),
        },
    )
)

COMMISSION_TASK_DUE = _register(
    Event(
        key="commission.task_due",
        label=_("A commission follow-up is due"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        channels=(Channel.INAPP, Channel.WECOM),
        variables={
            **{k: v for k, v in _STAFF_COMMISSION_VARS.items() if k != "node_name"},
            "task": (_("Task"), "提醒客户办理抵押登记"),
            "due_on": (_("Due on"), "12月23日"),
        },
        texts={
            **_bell_and_wecom(
                "{customer_name}的委托{commission_number}：{task}，{due_on}到期。", subject="{task}", link_on_wecom=True
            ),
        },
    )
)


CHANNEL_TEST = _register(
    Event(
        key="notifications.test",
        label=_("Test message"),
        audience=RecipientType.STAFF,
        purpose=SERVICE,
        urgent=True,
        channels=(Channel.INAPP, Channel.EMAIL, Channel.SMS, Channel.WECHAT, Channel.WECOM, Channel.WEBHOOK),
        variables={"name": (_("Recipient name"), "李娜"), "channel": (_("Channel"), "短信")},
        texts={
            channel: Text("{name}您好，这是一条来自客服系统的测试消息（{channel}）。", subject="客服系统测试消息")
            for channel in Channel.values
        },
    )
)


def get(key: str) -> Event:
    try:
        return EVENTS[key]
    except KeyError as exc:
        raise KeyError(f"unknown notification event {key!r}: add it to kefu.notifications.events") from exc


def sample_context(event: Event) -> dict[str, str]:
    return {name: sample for name, (_label, sample) in event.variables.items()}
