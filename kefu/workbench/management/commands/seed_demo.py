"""`manage.py seed_demo`: the demo organisation used by `make demo`. Running it again changes nothing."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation

from kefu.core.roles import Role
from kefu.orgs import services as org_services
from kefu.orgs.models import Membership, OrgUnit
from kefu.properties import services as property_services
from kefu.properties.models import Building, CommonPart, Project, Unit
from kefu.workbench.demo_customers import seed_all
from kefu.workbench.demo_engagements import seed_engagements
from kefu.workbench.demo_tickets import seed_tickets

DEMO_PASSWORD = "Kefu-demo-2026!"


@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    unit: str
    roles: tuple[str, ...]
    title: str


STAFF = (
    StaffSpec("admin", "王建国", "huajing", (Role.ADMIN, Role.EXECUTIVE), "集团客服中心总经理"),
    StaffSpec("exec", "陈志远", "huajing", (Role.EXECUTIVE,), "集团副总裁"),
    StaffSpec("sz_admin", "孙丽", "huajing-sz", (Role.ADMIN,), "深圳公司系统管理员"),
    StaffSpec("supervisor", "刘芳", "huajing-sz", (Role.SUPERVISOR,), "深圳公司客服主管"),
    StaffSpec("sz_gm", "马骏", "huajing-sz", (Role.EXECUTIVE,), "深圳公司总经理"),
    StaffSpec("agent", "张敏", "huajing-sz-h", (Role.AGENT,), "客服专员"),
    StaffSpec("agent2", "李娜", "huajing-sz-qh", (Role.AGENT,), "客服专员"),
    StaffSpec("inspector", "赵刚", "huajing-sz-h", (Role.INSPECTOR,), "验房工程师"),
    StaffSpec("contractor", "吴师傅", "huajing-sz-h", (Role.CONTRACTOR,), "中建装饰维修班组长"),
    StaffSpec("manager", "周明", "huajing-consult", (Role.ENGAGEMENT_MANAGER,), "咨询项目负责人"),
    StaffSpec("manager2", "林晓", "huajing-consult", (Role.ENGAGEMENT_MANAGER,), "咨询项目负责人"),
    StaffSpec("consult_sup", "郑华", "huajing-consult", (Role.SUPERVISOR,), "咨询业务主管"),
    StaffSpec("cd_agent", "黄磊", "huajing-cd-jc", (Role.AGENT,), "客服专员"),
)

# (code, name, kind, parent code)
UNITS = (
    ("huajing-sz", "深圳城市公司", OrgUnit.Kind.CITY_COMPANY, "huajing"),
    ("huajing-sz-h", "H小区项目组", OrgUnit.Kind.PROJECT_TEAM, "huajing-sz"),
    ("huajing-sz-qh", "前海湾项目组", OrgUnit.Kind.PROJECT_TEAM, "huajing-sz"),
    ("huajing-cd", "成都城市公司", OrgUnit.Kind.CITY_COMPANY, "huajing"),
    ("huajing-cd-jc", "锦城府项目组", OrgUnit.Kind.PROJECT_TEAM, "huajing-cd"),
    ("huajing-consult", "华景咨询", OrgUnit.Kind.CONSULTANCY, "huajing"),
)


@dataclass(frozen=True)
class BuildingSpec:
    code: str
    floors: int
    entrances: int
    per_entrance: int
    standard: str


@dataclass(frozen=True)
class ProjectSpec:
    code: str
    name: str
    unit: str
    city: str
    district: str
    address: str
    buildings: tuple[BuildingSpec, ...]


FITTED, BASIC, SHELL = Unit.DeliveryStandard.FITTED, Unit.DeliveryStandard.BASIC, Unit.DeliveryStandard.SHELL
PROJECTS = (
    # H小区: 3 × 26 floors × 4 + 25 floors × 4 = 412 units; there is no building 4 (四 sounds like 死).
    ProjectSpec(
        "h-xiaoqu",
        "H小区",
        "huajing-sz-h",
        "深圳",
        "南山区",
        "南山区沙河西路 88 号",
        (
            BuildingSpec("1", 26, 2, 2, FITTED),
            BuildingSpec("2", 26, 2, 2, FITTED),
            BuildingSpec("3", 26, 2, 2, FITTED),
            BuildingSpec("5", 25, 2, 2, BASIC),
        ),
    ),
    ProjectSpec(
        "qianhai-bay",
        "前海湾花园",
        "huajing-sz-qh",
        "深圳",
        "前海",
        "前海深港合作区梦海大道 1 号",
        (BuildingSpec("1", 18, 2, 2, FITTED), BuildingSpec("2", 18, 2, 2, FITTED)),
    ),
    ProjectSpec(
        "jincheng",
        "锦城府",
        "huajing-cd-jc",
        "成都",
        "高新区",
        "高新区天府大道中段 666 号",
        (BuildingSpec("1", 12, 1, 2, SHELL), BuildingSpec("2", 12, 1, 2, SHELL), BuildingSpec("3", 11, 1, 2, SHELL)),
    ),
)

LAYOUTS = (("3室2厅2卫", Decimal("118.60"), Decimal("95.20")), ("4室2厅2卫", Decimal("143.20"), Decimal("116.80")))


class Command(BaseCommand):
    help = "Create the demo organisation (华景集团) with projects, units and staff of every role."

    def handle(self, *args: Any, **options: Any) -> None:
        # Commands run untranslated by default; the demo's timeline and grade reasons are stored
        # text, so write them in the site's language.
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            self._seed()

    def _seed(self) -> None:
        root = OrgUnit.objects.filter(code="huajing").first() or org_services.unit_create_root(
            name="华景集团", code="huajing"
        )
        admin = self._staff(
            StaffSpec("admin", "王建国", "huajing", (Role.ADMIN, Role.EXECUTIVE), "集团客服中心总经理"), root
        )
        units = {"huajing": root}
        for code, name, kind, parent in UNITS:
            units[code] = OrgUnit.objects.filter(code=code).first() or org_services.unit_create(
                actor=admin, parent=units[parent], name=name, code=code, kind=kind
            )
        staff = {spec.username: self._staff(spec, units[spec.unit]) for spec in STAFF}
        created = sum(self._project(admin, spec, units[spec.unit]) for spec in PROJECTS)
        customers = seed_all(admin=admin, units=units)
        voices = seed_tickets(admin=admin, units=units, staff=staff)
        commissions = seed_engagements(admin=admin, units=units, staff=staff)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation ready ({created} units, {customers} customer households, {voices} customer"
                f" voices and {commissions} commissions created this run)."
            )
        )
        self.stdout.write(f"Sign in at /accounts/login/ — password for every account: {DEMO_PASSWORD}")
        for spec in STAFF:
            roles = ", ".join(str(Role(r).label) for r in spec.roles)
            self.stdout.write(f"  {spec.username:<11} {spec.name:<4} {units[spec.unit].name} · {roles}")

    def _staff(self, spec: StaffSpec, unit: OrgUnit) -> Membership:
        existing = Membership.objects.filter(user__username=spec.username).first()
        if existing is not None:
            return existing
        return org_services.staff_create(
            actor=None,
            unit=unit,
            username=spec.username,
            name=spec.name,
            password=DEMO_PASSWORD,
            roles=spec.roles,
            title=spec.title,
        )

    def _project(self, actor: Membership, spec: ProjectSpec, unit: OrgUnit) -> int:
        project = Project.objects.filter(organisation=unit, code=spec.code).first() or property_services.project_create(
            actor=actor,
            organisation=unit,
            name=spec.name,
            code=spec.code,
            city=spec.city,
            district=spec.district,
            address=spec.address,
        )
        created = 0
        for b in spec.buildings:
            building = Building.objects.filter(
                project=project, code=b.code
            ).first() or property_services.building_create(
                actor=actor, project=project, code=b.code, name=f"{b.code}栋", floors_above=b.floors, floors_below=1
            )
            existing = set(Unit.objects.filter(building=building).values_list("entrance", "number"))
            for floor in range(1, b.floors + 1):
                for entrance in range(1, b.entrances + 1):
                    for n in range(1, b.per_entrance + 1):
                        number = f"{floor}{n:02d}"
                        if (str(entrance), number) in existing:
                            continue
                        layout, gross, usable = LAYOUTS[(n - 1) % len(LAYOUTS)]
                        property_services.unit_create(
                            actor=actor,
                            project=project,
                            building=building,
                            floor=floor,
                            number=number,
                            entrance=str(entrance),
                            gross_area=gross,
                            usable_area=usable,
                            layout=layout,
                            delivery_standard=b.standard,
                        )
                        created += 1
            self._part(actor, project, building, CommonPart.Kind.LOBBY, f"{building.name}一层大堂", 1)
            self._part(actor, project, building, CommonPart.Kind.STAIRWELL, f"{building.name}消防楼梯间", None)
            self._part(actor, project, building, CommonPart.Kind.ROOF, f"{building.name}屋面", None)
        self._part(actor, project, None, CommonPart.Kind.BASEMENT, "地下车库", None)
        self._part(actor, project, None, CommonPart.Kind.GROUNDS, "中心园林", None)
        return created

    def _part(
        self, actor: Membership, project: Project, building: Building | None, kind: str, name: str, floor: int | None
    ) -> None:
        if not CommonPart.objects.filter(project=project, building=building, floor=floor, name=name).exists():
            property_services.commonpart_create(
                actor=actor, project=project, building=building, floor=floor, kind=kind, name=name
            )
