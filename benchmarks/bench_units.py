"""Unit list page and API at 50,000 units (issue: p50/p95 at that size, constant queries)."""

import time
from decimal import Decimal

from django.db import connection
from django.test import Client

from benchmarks.run import measure, report
from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create_root
from kefu.properties.models import Building, Project, Unit

PROJECTS, BUILDINGS, FLOORS, PER_FLOOR = 20, 5, 25, 20  # 20 × 5 × 25 × 20 = 50,000 units
TOTAL = PROJECTS * BUILDINGS * FLOORS * PER_FLOOR
PASSWORD = "Bench-2026-secret!"


def _seed() -> Membership:
    root = OrgUnit.objects.filter(code="bench-group").first()
    if root is None:
        root = unit_create_root(name="基准集团", code="bench-group")
    admin = Membership.objects.filter(user__username="bench-admin").first()
    if admin is None:
        admin = staff_create(
            actor=None, unit=root, username="bench-admin", name="基准管理员", password=PASSWORD, roles=[Role.ADMIN]
        )
    if Unit.objects.filter(organisation=root).count() >= TOTAL:
        return admin
    start = time.perf_counter()
    Unit.objects.filter(organisation=root).delete()
    Building.objects.filter(organisation=root).delete()
    Project.objects.filter(organisation=root).delete()
    layouts = ["2室1厅1卫", "3室2厅1卫", "3室2厅2卫", "4室2厅2卫"]
    for p in range(PROJECTS):
        project = Project.objects.create(
            organisation=root, name=f"基准项目{p + 1:02d}", code=f"bench-{p + 1:02d}", city="深圳"
        )
        buildings = Building.objects.bulk_create(
            Building(organisation=root, project=project, code=str(b + 1), name=f"{b + 1}栋", floors_above=FLOORS)
            for b in range(BUILDINGS)
        )
        units = []
        for building in buildings:
            for floor in range(1, FLOORS + 1):
                for n in range(1, PER_FLOOR + 1):
                    entrance = "1" if n <= PER_FLOOR // 2 else "2"
                    number = f"{floor}{n:02d}"
                    units.append(
                        Unit(
                            organisation=root,
                            project=project,
                            building=building,
                            entrance=entrance,
                            floor=floor,
                            number=number,
                            label=Unit.make_label(building.code, entrance, number),
                            gross_area=Decimal("89.50") + n,
                            usable_area=Decimal("72.30") + n,
                            layout=layouts[n % len(layouts)],
                        )
                    )
        Unit.objects.bulk_create(units, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would give a real database
    print(f"seeded {TOTAL:,} units in {time.perf_counter() - start:.1f} s")
    return admin


def run() -> None:
    admin = _seed()
    client = Client()
    client.force_login(admin.user)
    project = Project.objects.filter(organisation=admin.unit).order_by("id").first()
    size = f"{Unit.objects.filter(organisation=admin.unit).count():,} units"
    pages = ["/properties/units/", "/properties/units/?page=500", "/properties/units/?page=1000"]
    report("unit list page (first, middle, last page)", size, measure(client, pages, repeat=10))
    filtered = [f"/properties/units/?project={project.pk}", "/properties/units/?q=3-1-1201"]
    report("unit list page (filtered, search)", size, measure(client, filtered, repeat=10))

    api_pages = ["/api/v1/units/"]
    cursor_url = "/api/v1/units/"
    for _ in range(20):  # walk 20 pages deep by cursor, as a client would
        cursor_url = client.get(cursor_url).json()["next"].replace("http://testserver", "")
        api_pages.append(cursor_url)
    report("unit list API (first 21 cursor pages)", size, measure(client, api_pages, repeat=3))
    report(
        "unit list API (filtered by project)",
        size,
        measure(client, [f"/api/v1/units/?project={project.pk}"], repeat=20),
    )
