"""Demo service standards and customer voices: a calendar, categories, policies, teams, rules, canned
replies and three weeks of tickets in every state, written through the real services.

The services read the clock through django.utils.timezone.now; the demo moves that clock so that
each ticket's history happens at believable times (replies within the hour, revisits the next day).
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.utils import timezone

from kefu.customers.models import Household
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards import services as standard_services
from kefu.standards.models import BusinessCalendar, RequestCategory, RequestKind, Severity, TimeBasis
from kefu.tickets import services as ticket_services
from kefu.tickets.models import AssignmentRule, CannedReply, Channel, Team, Ticket
from kefu.tickets.scan import sla_scan
from kefu.workbench import demo_notifications, demo_surveys

CATEGORIES = {
    RequestKind.COMPLAINT: ("物业服务", "工程质量", "交付延期", "销售承诺", "噪音扰民"),
    RequestKind.REPAIR: ("水电维修", "门窗五金", "渗漏水", "墙地面", "电梯"),
    RequestKind.INQUIRY: ("交付进度", "产权办理", "物业收费"),
    RequestKind.SUGGESTION: ("社区环境",),
    RequestKind.PRAISE: ("服务表扬",),
}

H = timedelta(hours=1)
# name, grade, kind, category, severity, first response, resolution, basis, guide
POLICIES = (
    (
        "通用服务标准",
        "",
        "",
        None,
        "",
        4 * H,
        48 * H,
        TimeBasis.BUSINESS,
        "首问负责：接待人记录完整诉求，告知客户处理时限。",
    ),
    (
        "投诉标准",
        "",
        RequestKind.COMPLAINT,
        None,
        "",
        2 * H,
        24 * H,
        TimeBasis.BUSINESS,
        "先致歉、后了解；2小时内回复客户处理方案，当日告知责任部门。",
    ),
    (
        "紧急投诉",
        "",
        RequestKind.COMPLAINT,
        None,
        Severity.URGENT,
        1 * H,
        8 * H,
        TimeBasis.BUSINESS,
        "客服主管当日介入，每4小时向客户通报进展。",
    ),
    (
        "群诉处置",
        "",
        "",
        None,
        Severity.GROUP,
        timedelta(minutes=30),
        4 * H,
        TimeBasis.CALENDAR,
        "立即上报城市公司负责人；统一口径，指定唯一对外发言人；24小时内书面答复业主代表。",
    ),
    ("VIP 客户", "vip", "", None, "", 1 * H, 16 * H, TimeBasis.BUSINESS, "VIP 客户由客服主管亲自回访。"),
    (
        "VIP 投诉",
        "vip",
        RequestKind.COMPLAINT,
        None,
        "",
        1 * H,
        8 * H,
        TimeBasis.BUSINESS,
        "VIP 投诉：主管1小时内电话联系客户。",
    ),
    ("保修维修", "", RequestKind.REPAIR, None, "", 4 * H, 72 * H, TimeBasis.BUSINESS, "预约上门时间，维修后拍照留存。"),
    (
        "渗漏水抢修",
        "",
        RequestKind.REPAIR,
        "渗漏水",
        "",
        1 * H,
        24 * H,
        TimeBasis.CALENDAR,
        "渗漏水全天候响应：2小时内到场止水，保护业主财物。",
    ),
    ("咨询答复", "", RequestKind.INQUIRY, None, "", 2 * H, 8 * H, TimeBasis.BUSINESS, "能当场答复的当场答复。"),
)

SUBJECTS = {
    RequestKind.COMPLAINT: (
        ("电梯运行噪音大", "业主反映3号电梯运行时有异响，夜间影响休息。"),
        ("垃圾清运不及时", "地库垃圾站异味明显，希望增加清运频次。"),
        ("样板房与交付不一致", "交付的橱柜品牌与样板房展示不一致，要求说明。"),
        ("装修噪音扰民", "楼上装修周末早上8点前施工，影响休息。"),
        ("交付时间推迟", "购房合同约定交付时间已过，要求说明延期原因和补偿方案。"),
    ),
    RequestKind.REPAIR: (
        ("卫生间渗水", "主卫天花板有水渍，疑似楼上防水问题。"),
        ("入户门锁损坏", "入户门智能锁无法识别指纹。"),
        ("墙面开裂", "客厅墙面出现多条细裂缝。"),
        ("插座无电", "厨房两个插座没有电。"),
        ("窗户关不严", "主卧窗户关闭后漏风。"),
    ),
    RequestKind.INQUIRY: (
        ("何时办理房产证", "咨询不动产权证办理时间和所需材料。"),
        ("物业费标准", "咨询物业费收费标准和缴费方式。"),
        ("交付流程", "咨询交付当天需要携带的资料。"),
    ),
    RequestKind.SUGGESTION: (("增加儿童游乐设施", "建议在中庭增加儿童游乐设施。"),),
    RequestKind.PRAISE: (("表扬维修师傅", "维修师傅上门准时，处理专业，特此表扬。"),),
}

REPLIES = (
    "您好，已收到您的反馈，我们已通知相关部门，今天内给您回复处理方案。",
    "您好，工程师将于明天上午上门查看，请您届时在家。",
    "您好，已安排维修人员处理，预计两个工作日内完成。",
)
RESOLUTIONS = (
    "维修人员上门更换配件，现场测试正常，业主确认。",
    "已协调施工单位返修，完成后拍照留存。",
    "已向业主书面说明情况并提供补偿方案，业主接受。",
    "已当场答复业主，提供办理指引。",
)
CANNED = (
    ("受理确认", "", "您好{customer_name}，您的诉求（工单号 {ticket_number}）已受理，我们将在 {due_at} 前给您答复。"),
    ("预约上门", RequestKind.REPAIR, "您好{customer_name}，维修人员将上门处理 {unit} 的问题，请确认方便的时间。"),
    (
        "投诉致歉",
        RequestKind.COMPLAINT,
        "{customer_name}您好，非常抱歉给您带来不便，{agent_name}将全程跟进，直至问题解决。",
    ),
)


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def _working_moment(rng: random.Random, day: datetime) -> datetime:
    minutes = rng.randint(9 * 60, 17 * 60 + 30)
    if 12 * 60 <= minutes < 13 * 60 + 30:
        minutes += 90
    return day.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def seed_tickets(*, admin: Membership, units: dict[str, OrgUnit], staff: dict[str, Membership]) -> int:
    root = units["huajing"]
    if BusinessCalendar.objects.filter(organisation=root).exists():
        return 0
    standard_services.calendar_create(actor=admin, unit=root, name="华景集团工作日历")
    _set_head(units["huajing-sz"], staff.get("sz_gm"))
    _set_head(root, staff.get("exec"))
    categories = {
        (kind, name): standard_services.category_create(actor=admin, unit=root, kind=kind, name=name)
        for kind, names in CATEGORIES.items()
        for name in names
    }
    for name, grade, kind, category, severity, first, resolve, basis, guide in POLICIES:
        standard_services.policy_create(
            actor=admin,
            unit=root,
            name=name,
            grade=grade,
            kind=kind,
            category=categories[(kind, category)] if category else None,
            severity=severity,
            first_response_time=first,
            resolution_time=resolve,
            time_basis=basis,
            handling_guide=guide,
        )
    sz = units["huajing-sz"]
    desk = Team.objects.create(organisation=sz, name="深圳客服组", strategy=Team.Strategy.LEAST_LOADED)
    desk.members.set([staff["supervisor"], staff["agent"], staff["agent2"]])
    repair = Team.objects.create(organisation=units["huajing-sz-h"], name="H小区维修组")
    repair.members.set([staff["inspector"], staff["agent"]])
    from kefu.properties.models import Project

    h_project = Project.objects.get(code="h-xiaoqu")
    AssignmentRule.objects.create(
        organisation=units["huajing-sz-h"], name="H小区报修", project=h_project, kind=RequestKind.REPAIR, team=repair
    )
    AssignmentRule.objects.create(organisation=sz, name="深圳投诉", kind=RequestKind.COMPLAINT, team=desk)
    for title, kind, body in CANNED:
        CannedReply.objects.create(organisation=root, title=title, kind=kind, body=body)
    demo_notifications.configure(root=root)
    demo_surveys.prepare(admin=admin, root=root)
    voices = _seed_voices(units=units, staff=staff, categories=categories)
    demo_surveys.answer_some()
    return voices


def _set_head(unit: OrgUnit, head: Membership | None) -> None:
    if head is not None:
        OrgUnit.objects.filter(pk=unit.pk).update(head=head)


def _seed_voices(
    *, units: dict[str, OrgUnit], staff: dict[str, Membership], categories: dict[tuple[str, str], RequestCategory]
) -> int:
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not secrets
    now = timezone.now()
    households = [
        household
        for code in ("h-xiaoqu", "qianhai-bay")
        for household in Household.objects.filter(unit__building__project__code=code)
        .select_related("customer", "unit__building__project", "unit__organisation")
        .order_by("pk")[:200]
    ]
    agents = [staff["agent"], staff["agent2"], staff["supervisor"]]
    kinds = [RequestKind.REPAIR] * 9 + [RequestKind.COMPLAINT] * 5 + [RequestKind.INQUIRY] * 4
    kinds += [RequestKind.SUGGESTION, RequestKind.PRAISE]
    count = 0
    for days_ago in range(20, -1, -1):
        day = timezone.localtime(now - timedelta(days=days_ago))
        if day.weekday() >= 5 and rng.random() < 0.6:
            continue
        for _ in range(rng.randint(4, 9)):
            received = _working_moment(rng, day)
            if received > now - timedelta(minutes=10):
                continue
            household = rng.choice(households)
            kind = rng.choice(kinds)
            title, description = rng.choice(SUBJECTS[kind])
            category = categories[(kind, rng.choice(CATEGORIES[kind]))]
            severity = Severity.URGENT if kind == RequestKind.COMPLAINT and rng.random() < 0.15 else Severity.NORMAL
            actor = rng.choice([a for a in agents if a.unit.path in household.unit.organisation.path] or agents[2:])
            _one_voice(
                rng=rng,
                now=now,
                actor=actor,
                household=household,
                kind=kind,
                title=title,
                description=description,
                category=category,
                severity=severity,
                received=received,
            )
            count += 1
    count += _group_complaint(now=now, staff=staff, categories=categories, households=households)
    with clock(now):
        sla_scan(now=now)
    return count


def _one_voice(
    *,
    rng: random.Random,
    now: datetime,
    actor: Membership,
    household: Household,
    kind: str,
    title: str,
    description: str,
    category: RequestCategory,
    severity: str,
    received: datetime,
) -> Ticket:
    with clock(received):
        ticket = ticket_services.ticket_create(
            actor=actor,
            customer=household.customer,
            unit=household.unit,
            kind=kind,
            channel=rng.choice([Channel.PHONE, Channel.PHONE, Channel.WECHAT, Channel.VISIT, Channel.PORTAL]),
            title=title,
            description=description,
            category=category,
            severity=severity,
            received_at=received,
            # Most callers are helped by whoever answers; the rest wait for the rules or a dispatcher.
            assignee=actor if rng.random() < 0.8 and kind != RequestKind.REPAIR else None,
        )
    age = now - received
    lateness = rng.random()
    reply_at = received + timedelta(minutes=rng.randint(10, 50) if lateness < 0.85 else rng.randint(150, 400))
    if reply_at >= now:
        return ticket
    with clock(reply_at):
        ticket_services.ticket_reply(
            actor=actor,
            ticket=ticket,
            body=rng.choice(REPLIES),
            channel=rng.choice([Channel.PHONE, Channel.WECHAT, Channel.WECHAT, Channel.SMS]),
        )
    if age < timedelta(days=2) or rng.random() < 0.12:
        if rng.random() < 0.2 and kind == RequestKind.REPAIR:
            with clock(reply_at + timedelta(minutes=5)):
                ticket_services.ticket_pause(actor=actor, ticket=ticket, reason="业主出差，约定下周上门")
        return ticket
    ticket.refresh_from_db()
    due = ticket.resolution_due_at or received + timedelta(days=1)
    resolve_at = (
        due - timedelta(hours=rng.randint(1, 6)) if lateness < 0.8 else due + timedelta(hours=rng.randint(2, 30))
    )
    resolve_at = max(resolve_at, reply_at + timedelta(minutes=30))
    if resolve_at >= now:
        return ticket
    with clock(resolve_at):
        ticket = ticket_services.ticket_resolve(actor=actor, ticket=ticket, resolution=rng.choice(RESOLUTIONS))
    if ticket.status != Ticket.Status.RESOLVED:
        return ticket
    revisit_at = resolve_at + timedelta(hours=rng.randint(18, 30))
    if revisit_at >= now or rng.random() < 0.15:
        return ticket
    score = rng.choice([5, 5, 5, 4, 4, 4, 3, 2])
    outcome = ticket_services.RevisitOutcome.SATISFIED if score >= 3 else ticket_services.RevisitOutcome.DISSATISFIED
    with clock(revisit_at):
        ticket_services.ticket_revisit(
            actor=actor, ticket=ticket, method=Channel.PHONE, outcome=outcome, satisfaction=score, note=""
        )
    return ticket


def _group_complaint(
    *,
    now: datetime,
    staff: dict[str, Membership],
    categories: dict[tuple[str, str], RequestCategory],
    households: list[Household],
) -> int:
    """Yesterday afternoon a dozen owners of 前海湾 complained together about the delivery date."""
    day = timezone.localtime(now - timedelta(days=1))
    received = datetime.combine(day.date(), time(15, 20), tzinfo=day.tzinfo)
    owners = [h for h in households if h.unit.building.project.code == "qianhai-bay"][:3]
    made = 0
    for offset, household in enumerate(owners):
        with clock(received + timedelta(minutes=offset * 4)):
            ticket_services.ticket_create(
                actor=staff["agent2"],
                customer=household.customer,
                unit=household.unit,
                kind=RequestKind.COMPLAINT,
                channel=Channel.VISIT,
                title="业主集体反映交付延期",
                description="十余位业主到售楼处集体反映交付时间推迟，要求书面说明和补偿方案。",
                category=categories[(RequestKind.COMPLAINT, "交付延期")],
                severity=Severity.GROUP,
                received_at=received + timedelta(minutes=offset * 4),
            )
        made += 1
    return made
