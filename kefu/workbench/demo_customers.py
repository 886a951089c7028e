"""Demo customers for seed_demo: an owner for every unit of H小区, some in the other projects."""

import hashlib
from datetime import date, timedelta

from kefu.customers import services as customer_services
from kefu.customers.models import Consent, GradeRule, Household
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties.models import Project, Unit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "文博",
    "思远",
    "雨桐",
    "子涵",
    "浩然",
    "欣怡",
    "宇轩",
    "佳琪",
)
# (grade, priority, min contribution, min influence, min potential, description)
GRADE_RULES = (
    ("vip", 1, 80, 60, 0, "高贡献且有影响力的业主"),
    ("a", 2, 60, 0, 0, "多套或高总价业主"),
    ("b", 3, 30, 0, 0, "普通业主"),
    ("c", 4, 0, 0, 0, "其他客户"),
)
SIGNING_START = date(2024, 3, 1)


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def _person(seed: int) -> str:
    return SURNAMES[seed % len(SURNAMES)] + GIVEN[(seed // len(SURNAMES)) % len(GIVEN)]


def seed_grade_rules(root: OrgUnit) -> None:
    if GradeRule.objects.filter(organisation=root).exists():
        return
    for grade, priority, contribution, influence, potential, description in GRADE_RULES:
        GradeRule.objects.create(
            organisation=root,
            grade=grade,
            priority=priority,
            min_contribution=contribution,
            min_influence=influence,
            min_potential=potential,
            description=description,
        )


def seed_customers(*, project: Project, owner_unit: OrgUnit, delivered_on: date, share: int = 100) -> int:
    """An owner (and now and then a co-owner) for `share` percent of the project's units."""
    created = 0
    taken = set(Household.objects.filter(unit__project=project).values_list("unit_id", flat=True))
    units = Unit.objects.filter(project=project).select_related("building").order_by("building__code", "floor", "id")
    for unit in units:
        seed = _digest(f"{project.code}:{unit.label}")
        if unit.pk in taken or seed % 100 >= share:
            continue
        name = _person(seed)
        customer = customer_services.customer_create(
            actor=None, organisation=owner_unit, name=name, mobile=f"1{3 + seed % 7}{seed % 10**9:09d}"
        )
        signed = SIGNING_START + timedelta(days=seed % 400)
        building_delivered = delivered_on if unit.building.code != "5" else date(2026, 12, 28)
        customer_services.household_add(
            actor=None,
            customer=customer,
            unit=unit,
            role=Household.Role.OWNER,
            subscribed_on=signed - timedelta(days=7 + seed % 20),
            signed_on=signed,
            delivered_on=building_delivered,
            moved_in_on=building_delivered + timedelta(days=20 + seed % 90) if seed % 3 else None,
        )
        customer_services.consent_grant(
            actor=None,
            customer=customer,
            purpose=Consent.Purpose.SURVEY,
            method=Consent.Method.PAPER,
            evidence="认购书附件",
        )
        if seed % 4 == 0:
            customer_services.consent_grant(
                actor=None,
                customer=customer,
                purpose=Consent.Purpose.MARKETING,
                method=Consent.Method.WECHAT,
                channel=Consent.Channel.WECHAT,
            )
        customer_services.customer_set_scores(
            actor=None,
            customer=customer,
            contribution=seed % 101,
            influence=(seed // 101) % 101,
            potential=(seed // 10_201) % 101,
        )
        if seed % 9 == 0:
            partner = customer_services.customer_create(
                actor=None, organisation=owner_unit, name=_person(seed // 7), mobile=f"15{(seed // 3) % 10**9:09d}"
            )
            customer_services.household_add(
                actor=None,
                customer=partner,
                unit=unit,
                role=Household.Role.CO_OWNER,
                signed_on=signed,
                delivered_on=building_delivered,
            )
        created += 1
    return created


def seed_all(*, admin: Membership, units: dict[str, OrgUnit]) -> int:
    seed_grade_rules(units["huajing"])
    plans = (
        ("h-xiaoqu", "huajing-sz-h", date(2026, 6, 30), 100),
        ("qianhai-bay", "huajing-sz-qh", date(2027, 3, 31), 60),
        ("jincheng", "huajing-cd-jc", date(2027, 9, 30), 40),
    )
    total = 0
    for code, unit_code, delivered_on, share in plans:
        project = Project.objects.get(code=code, organisation=units[unit_code])
        total += seed_customers(project=project, owner_unit=units[unit_code], delivered_on=delivered_on, share=share)
    return total
