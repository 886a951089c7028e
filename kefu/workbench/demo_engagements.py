"""Demo commissions 委托 for the consultancy 华景咨询: four commission types, clients (companies with
their contact people, and private clients), and six months of commissions at every stage, written
through the real services at the times they would have happened — nodes done on time or late,
changes of plan, risks, deliveries with their follow-ups, closes, and the clients' 3-PRO answers
(a few low ones open interventions), so that the statistics and the scorecard show real shapes.

Each commission carries a client_key; one that exists already is left as it is, so running the
demo again adds nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils import timezone

from kefu.core.zones import local_today, zone_of
from kefu.customers import services as customer_services
from kefu.customers.models import Consent, ContactMethod, Customer
from kefu.engagements import pushes
from kefu.engagements import services as engagement_services
from kefu.engagements.models import Commission, CommissionType, Evaluation, FollowUpTask, Node, Risk
from kefu.notifications import sandbox, settings_services
from kefu.notifications.models import DeliveryPolicy, MessageTemplate
from kefu.orgs.models import Membership, OrgUnit
from kefu.surveys import services as survey_services
from kefu.surveys.models import FatiguePolicy, Intervention, Invitation
from kefu.workbench.demo_engagement_types import TYPES
from kefu.workbench.demo_tickets import clock

# The sandbox's approved SMS templates for node pushes (see kefu.notifications.sandbox.SMS_TEMPLATES).
TEMPLATES = (
    # event, channel, provider template, parameters, text
    ("commission.node_reached", "sms", sandbox.SMS_NODE_TEMPLATE,
     {"name": "{customer_name}", "title": "{commission_title}", "node": "{node_name}"},
     "【华景咨询】{customer_name}您好，您委托的{commission_title}已完成“{node_name}”，进度请关注华景咨询服务号。"),
    ("commission.node_late", "sms", sandbox.SMS_LATE_TEMPLATE,
     {"name": "{customer_name}", "title": "{commission_title}", "node": "{node_name}", "date": "{planned_on}"},
     "【华景咨询】{customer_name}您好，您委托的{commission_title}“{node_name}”原定{planned_on}完成，目前尚在进行，"
     "项目负责人将与您联系说明。"),
    ("commission.node_reached", "wechat", sandbox.WECHAT_TEMPLATE,
     {"first": "{customer_name}您好，{commission_title}有新进展", "keyword1": "{node_name}", "keyword2": "{message}",
      "url": "{link}"},
     "{customer_name}您好，{commission_title}已完成“{node_name}”。{message}进度：{link}"),
    ("commission.node_late", "wechat", sandbox.WECHAT_TEMPLATE,
     {"first": "{customer_name}您好，{commission_title}节点延期说明", "keyword1": "{node_name}",
      "keyword2": "原定{planned_on}完成", "url": "{link}"},
     "{customer_name}您好，{commission_title}的“{node_name}”原定{planned_on}完成，目前尚在进行。进度：{link}"),
)  # fmt: skip


@dataclass(frozen=True)
class ClientSpec:
    name: str
    mobile: str = ""
    # A company's contact person: (name, title, mobile); they hear of the nodes and evaluate.
    contact: tuple[str, str, str] | None = None
    wechat: bool = False


CLIENTS = {
    "qhjk": ClientSpec("深圳前海金控置业有限公司", contact=("李伟", "财务总监", "13902581234"), wechat=True),
    "pcaj": ClientSpec("深圳鹏城安居投资有限公司", contact=("陈静", "投资部经理", "13760417725")),
    "jjct": ClientSpec("成都锦江城投置业有限公司", contact=("杨帆", "开发部总监", "13880926614"), wechat=True),
    "shsy": ClientSpec("东莞松湖实业发展有限公司", contact=("何志强", "总经理", "13829375508")),
    "nlc": ClientSpec("深圳南岭村股份合作公司", contact=("张国华", "董事长助理", "13603015576"), wechat=True),
    "dyw": ClientSpec("惠州大亚湾海景酒店管理有限公司", contact=("罗敏", "财务经理", "13502263391")),
    "wjh": ClientSpec("王建华", mobile="13925168842", wechat=True),
    "lxy": ClientSpec("刘晓燕", mobile="13714520937"),
    "zl": ClientSpec("赵磊", mobile="15817263340"),
    "sjy": ClientSpec("孙静怡", mobile="18676542219", wechat=True),
    "wht": ClientSpec("吴海涛", mobile="13510987765"),
}


@dataclass(frozen=True)
class Plan:
    """A change of plan after `after` nodes are done: the open nodes move `days` later."""

    after: int
    days: int
    reason: str


@dataclass(frozen=True)
class RiskSpec:
    after: int
    description: str
    level: str
    mitigation: str
    closed: bool = False


@dataclass(frozen=True)
class Spec:
    key: str
    type: str
    client: str
    title: str
    manager: str
    days_ago: int
    done: int | None = None  # nodes done, in order; None: all (the commission is delivered)
    delays: dict[int, int] = field(default_factory=dict)  # node order -> days late when done
    plan: Plan | None = None
    risk: RiskSpec | None = None
    close: bool = False
    tasks_done: int = 99  # follow-ups done, of those already due
    low: tuple[int, ...] = ()  # node orders (0: the close) where the client gives a low score
    mend: bool = True  # the supervisor closes the interventions low scores open
    fee: str = "0"


SPECS = (
    # 抵押评估 ----------------------------------------------------------------------------------------
    Spec("a1", "抵押评估", "wjh", "南山区沙河世纪山水住宅抵押评估", "manager", 4, done=1, fee="3200"),
    Spec("a2", "抵押评估", "lxy", "前海湾花园2栋住宅抵押评估", "manager2", 12, done=2, delays={2: 1}, fee="2800"),
    Spec("a3", "抵押评估", "qhjk", "前海金控大厦12层办公楼抵押评估", "manager", 40, delays={2: 2}, fee="18000"),
    Spec("a4", "抵押评估", "zl", "福田区华强北临街商铺抵押评估", "manager2", 75, close=True, delays={4: 3}, low=(4,),
         fee="6500"),
    Spec("a5", "抵押评估", "pcaj", "龙华区存量住房批量抵押评估（36套）", "manager", 120, close=True, fee="42000"),
    Spec("a6", "抵押评估", "sjy", "宝安区碧海湾住宅抵押评估", "manager", 160, close=True, fee="3000"),
    Spec("a7", "抵押评估", "wht", "观澜高尔夫别墅抵押评估", "manager2", 25, delays={5: 2}, tasks_done=1, fee="8800"),
    # 可行性研究 --------------------------------------------------------------------------------------
    Spec("f1", "可行性研究", "jjct", "天府新区兴隆湖地块可行性研究", "manager", 170, close=True, delays={3: 3, 5: 4},
         low=(5,), fee="380000"),
    Spec("f2", "可行性研究", "shsy", "松山湖产业园二期可行性研究", "manager2", 100, tasks_done=1,
         plan=Plan(2, 10, "东莞出台产业用地新政，市场调研范围需扩大到周边三镇，调研与后续节点顺延10天。"),
         fee="260000"),
    Spec("f3", "可行性研究", "nlc", "南岭村城市更新单元可行性研究", "manager", 38, done=4, delays={3: 4},
         risk=RiskSpec(3, "城市更新政策调整，拆赔比例存在不确定性，可能影响财务测算结论。", Risk.Level.HIGH,
                       "测算按两种拆赔比例分别出具，中期汇报时向客户说明敏感性。"), fee="320000"),
    Spec("f4", "可行性研究", "qhjk", "前海十九单元商业地块可行性研究", "manager2", 10, done=1, fee="300000"),
    # 项目策划 ----------------------------------------------------------------------------------------
    Spec("p1", "项目策划", "pcaj", "龙华人才住房项目定位与营销策划", "manager2", 140, close=True, delays={3: 5},
         low=(0, 3), mend=False, fee="450000"),
    Spec("p2", "项目策划", "dyw", "大亚湾海景酒店式公寓项目策划", "manager", 70, delays={5: 2}, fee="280000"),
    Spec("p3", "项目策划", "jjct", "天府锦城住宅项目策划", "manager", 45, done=3, delays={3: 6},
         plan=Plan(3, 14, "客户拿地方案调整：由纯住宅改为住宅加底商，营销策划与定稿各顺延两周。"), fee="360000"),
    Spec("p4", "项目策划", "shsy", "松湖实业员工宿舍改造项目策划", "manager2", 20, done=1,
         risk=RiskSpec(1, "客户对接人变更，资料移交滞后，客群研究可能延期。", Risk.Level.MEDIUM,
                       "项目负责人每周与新对接人确认资料清单。"), fee="120000"),
    # 全过程管理 --------------------------------------------------------------------------------------
    Spec("g1", "全过程管理", "nlc", "南岭村旧改安置房全过程管理", "manager", 178, done=4, delays={3: 7},
         plan=Plan(3, 30, "受雨季及钢材价格上涨影响，施工与竣工验收顺延30天，已与客户书面确认。"), low=(3,),
         fee="2600000"),
    Spec("g2", "全过程管理", "dyw", "海景酒店客房改造全过程管理", "manager2", 90, done=3, delays={2: 2},
         risk=RiskSpec(2, "酒店不停业施工，噪声可能引发住客投诉。", Risk.Level.LOW, "高噪声工序安排在10:00–17:00。",
                       closed=True), fee="980000"),
    Spec("g3", "全过程管理", "jjct", "天府锦城产业园代建全过程管理", "manager", 30, done=1, fee="1800000"),
)  # fmt: skip

HIGH = (5, 5, 5, 4, 4, 5, 4)
HIGH_2 = (5, 4, 4, 4, 5, 4, 3)  # the second manager's clients are a little cooler
OUTCOMES = {
    "extended": "已电话提醒客户，客户已携报告到不动产登记中心办理抵押登记，银行已放款。",
    "follow_up": "客户反馈成果已用于内部决策，整体满意；暂无新需求，已更新客户档案。",
}
CONSULT = "huajing-consult"
APOLOGY = "已致电客户致歉，说明延误原因并约定后续节点提前告知。"
MENDED = "客户接受说明；后续节点提前两天书面告知。"


def seed_engagements(*, admin: Membership, units: dict[str, OrgUnit], staff: dict[str, Membership]) -> int:
    """The consultancy's types, clients and commissions; returns how many commissions were created."""
    unit = units[CONSULT]
    _message_templates(unit)
    if not FatiguePolicy.objects.filter(organisation=unit).exists():
        # A commission's client rates several nodes a month; the group's two-a-month limit is for owners.
        survey_services.fatigue_policy_save(actor=admin, organisation=unit, max_invitations=6, within_days=30)
    if not DeliveryPolicy.objects.filter(organisation=unit).exists():
        # A node push and its evaluation often go out together; allow a few more a day than for owners.
        settings_services.policy_save(
            actor=admin, unit=unit, quiet_start=time(21, 0), quiet_end=time(8, 0), daily_cap=6
        )
    types = {spec["name"]: _type(unit, staff["consult_sup"], spec) for spec in TYPES}
    clients = {key: _client(unit, spec) for key, spec in CLIENTS.items()}
    now = timezone.now()
    created = 0
    for spec in SPECS:
        if Commission.objects.filter(organisation=unit, client_key=f"demo-{spec.key}").exists():
            continue
        _commission(spec, unit=unit, types=types, clients=clients, staff=staff, now=now)
        created += 1
    if created:
        # Open nodes past their day are escalated and the clients told, as the periodic scan would.
        pushes.scan_late_nodes(now=now)
    return created


def _message_templates(unit: OrgUnit) -> None:
    for event, channel, code, params, body in TEMPLATES:
        if MessageTemplate.objects.filter(organisation=unit, event=event, channel=channel).exists():
            continue
        MessageTemplate.objects.create(
            organisation=unit,
            event=event,
            channel=channel,
            body=body,
            provider_template=code,
            provider_params=params,
            is_approved=True,
        )


def _type(unit: OrgUnit, actor: Membership, spec: dict[str, Any]) -> CommissionType:
    found = CommissionType.objects.filter(organisation=unit, name=spec["name"]).first()
    return found or engagement_services.commission_type_create(actor=actor, unit=unit, **spec)


def _person(unit: OrgUnit, name: str, mobile: str, *, wechat: bool) -> Customer:
    found = Customer.objects.filter(organisation=unit, kind=Customer.Kind.PERSON, name=name).first()
    if found is not None:
        return found
    person = customer_services.customer_create(actor=None, organisation=unit, name=name, mobile=mobile)
    customer_services.consent_grant(
        actor=None,
        customer=person,
        purpose=Consent.Purpose.SURVEY,
        method=Consent.Method.PAPER,
        evidence="委托书附件：服务评价授权",
    )
    if wechat:
        customer_services.contact_add(
            actor=None, customer=person, kind=ContactMethod.Kind.WECHAT_OPENID, value=f"o-demo-wt-{mobile[-6:]}"
        )
    return person


def _client(unit: OrgUnit, spec: ClientSpec) -> tuple[Customer, list[Customer]]:
    """The client and the people who hear of its commissions (the person, or the company's contact)."""
    if spec.contact is None:
        person = _person(unit, spec.name, spec.mobile, wechat=spec.wechat)
        return person, [person]
    company = Customer.objects.filter(organisation=unit, kind=Customer.Kind.COMPANY, name=spec.name).first()
    name, title, mobile = spec.contact
    if company is None:
        company = customer_services.customer_create(
            actor=None, organisation=unit, name=spec.name, kind=Customer.Kind.COMPANY
        )
        customer_services.contactperson_add(actor=None, company=company, name=name, title=title, mobile=mobile)
    return company, [_person(unit, name, mobile, wechat=spec.wechat)]


def _at(unit: OrgUnit, day: date, hour: int, minute: int, now: datetime) -> datetime:
    moment = datetime.combine(day, time(hour, minute), tzinfo=zone_of(unit))
    return min(moment, now - timedelta(minutes=5))


def _commission(
    spec: Spec,
    *,
    unit: OrgUnit,
    types: dict[str, CommissionType],
    clients: dict[str, tuple[Customer, list[Customer]]],
    staff: dict[str, Membership],
    now: datetime,
) -> None:
    rng = random.Random(spec.key)  # noqa: S311 - demo data, not secrets
    manager = staff[spec.manager]
    client, contacts = clients[spec.client]
    today = local_today(unit, now)
    starts_on = today - timedelta(days=spec.days_ago)
    at = _at(unit, starts_on, 9, 30, now)
    with clock(at):
        commission = engagement_services.commission_create(
            actor=manager,
            unit=unit,
            type_=types[spec.type],
            client=client,
            contacts=contacts,
            title=spec.title,
            manager=manager,
            starts_on=starts_on,
            core_need=f"{spec.title}：按期交付、结论可用于决策与融资，过程中每个节点及时告知。",
            core_need_confirmed_on=starts_on,
            fee_amount=Decimal(spec.fee),
            client_key=f"demo-{spec.key}",
            now=at,
        )
    previous = starts_on
    nodes = list(commission.nodes.order_by("order"))
    for index, node in enumerate(nodes, start=1):
        if spec.done is not None and index > spec.done:
            break
        node.refresh_from_db()
        actual = max(node.planned_on + timedelta(days=spec.delays.get(node.order, 0)), previous)
        if actual > today:
            break
        at = _at(unit, actual, rng.randint(15, 18), rng.randint(0, 59), now)
        with clock(at):
            engagement_services.node_complete(actor=manager, node=node, actual_on=actual, now=at)
            if "报告" in node.name:
                _report(commission=commission, node=node, manager=manager, day=actual, at=at)
        _answer(spec, rng, Evaluation.objects.filter(node=node), low=node.order in spec.low, at=at, now=now)
        previous = actual
        if spec.plan is not None and spec.plan.after == index:
            _plan_change(spec.plan, commission=commission, manager=manager, at=at + timedelta(days=1), now=now)
        if spec.risk is not None and spec.risk.after == index:
            _risk(spec.risk, commission=commission, manager=manager, at=at + timedelta(hours=2), now=now)
    commission.refresh_from_db()
    if commission.status != Commission.Status.DELIVERED:
        return
    _tasks(spec, commission=commission, manager=manager, today=today, now=now)
    if spec.close and commission.delivered_on is not None:
        at = _at(unit, commission.delivered_on + timedelta(days=3), 10, 0, now)
        with clock(at):
            engagement_services.commission_close(actor=manager, commission=commission, now=at)
        evaluations = Evaluation.objects.filter(commission=commission, node=None)
        _answer(spec, rng, evaluations, low=0 in spec.low, at=at, now=now)


def _report(*, commission: Commission, node: Node, manager: Membership, day: date, at: datetime) -> None:
    """The report a report node delivers, shared with the client (a text summary stands in for it)."""
    text = (
        f"{commission.title}\n{node.name}\n委托编号：{commission.number}\n客户：{commission.client.name}\n"
        f"出具日期：{day:%Y-%m-%d}\n项目负责人：{manager.name}\n\n{node.standard}\n"
    )
    file = ContentFile(text.encode("utf-8"), name=f"{commission.number}-{node.order}.txt")
    engagement_services.deliverable_add(
        actor=manager, commission=commission, file=file, name=f"{node.name}（摘要）", node=node, now=at
    )


def _plan_change(plan: Plan, *, commission: Commission, manager: Membership, at: datetime, now: datetime) -> None:
    if at > now:
        return
    moved = {
        node.pk: node.planned_on + timedelta(days=plan.days)
        for node in commission.nodes.filter(status__in=Node.OPEN_STATUSES)
    }
    if moved:
        with clock(at):
            engagement_services.plan_change(
                actor=manager, commission=commission, reason=plan.reason, dates=moved, now=at
            )


def _risk(risk: RiskSpec, *, commission: Commission, manager: Membership, at: datetime, now: datetime) -> None:
    with clock(at):
        raised = engagement_services.risk_raise(
            actor=manager,
            commission=commission,
            description=risk.description,
            level=risk.level,
            mitigation=risk.mitigation,
            now=at,
        )
    if risk.closed and at + timedelta(days=20) < now:
        with clock(at + timedelta(days=20)):
            engagement_services.risk_close(actor=manager, risk=raised, now=at + timedelta(days=20))


def _tasks(spec: Spec, *, commission: Commission, manager: Membership, today: date, now: datetime) -> None:
    due = FollowUpTask.objects.filter(commission=commission, due_on__lte=today).order_by("due_on", "pk")
    for task in list(due)[: spec.tasks_done]:
        at = _at(commission.organisation, task.due_on, 11, 0, now)
        with clock(at):
            engagement_services.task_complete(actor=manager, task=task, outcome=OUTCOMES[task.kind], now=at)


def _answer(
    spec: Spec, rng: random.Random, evaluations: QuerySet[Evaluation], *, low: bool, at: datetime, now: datetime
) -> None:
    """The contacts answer most evaluations within a day or two; a low one opens an intervention."""
    scores = HIGH_2 if spec.manager == "manager2" else HIGH
    for evaluation in evaluations.select_related("invitation"):
        invitation = evaluation.invitation
        if invitation.status != Invitation.Status.SENT or (not low and rng.random() < 0.15):
            continue  # some clients never answer
        when = at + timedelta(hours=rng.choice((2, 3, 5, 20, 26, 40)))
        if when >= now:
            continue
        codes = invitation.codes or list(invitation.version.questions.values_list("code", flat=True))
        aspects = [code for code in codes if len(code) == 2 and code[0] in "PFA"]
        sore = rng.choice(aspects) if low else None
        answers = {code: {"score": rng.choice((2, 3)) if code == sore else rng.choice(scores)} for code in aspects}
        if sore is not None:
            answers[sore]["text"] = "进度比约定的晚了几天，事先没有人告诉我们。"
        with clock(when):
            survey_services.mark_opened(invitation=invitation, now=when - timedelta(minutes=5))
            response = survey_services.answer(invitation=invitation, answers=answers, submit=True, now=when)
        intervention = Intervention.objects.filter(response=response).select_related("assignee").first()
        later = when + timedelta(days=1)
        if intervention is None or not spec.mend or intervention.assignee is None or later >= now:
            continue
        with clock(later):
            survey_services.intervention_contact(actor=intervention.assignee, intervention=intervention, note=APOLOGY)
            survey_services.intervention_close(actor=intervention.assignee, intervention=intervention, outcome=MENDED)
