"""Excel import of a 10,000-row customer ledger (issue: "import of a 10,000-row ledger workbook
(time and peak memory)").

`run()` creates a project with 10,000 units in bulk, builds the ledger workbook in memory (9,000
customers, one in ten with a second unit, three in ten with an ID number), then times the check
and preview (upload), the commit, and a re-import of the same file (check and commit: nothing
new). Peak Python memory of a check and commit into a second project, for other customers, is
measured separately with tracemalloc, because tracing slows the code it watches.
"""

import io
import time
import tracemalloc
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook

from kefu.core.roles import Role
from kefu.customers.imports import import_commit, import_upload
from kefu.customers.models import CustomerImport
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create_root
from kefu.properties.models import Building, Project, Unit

BUILDINGS, FLOORS, PER_FLOOR = 10, 25, 40  # 10 × 25 × 40 = 10,000 units
TOTAL = BUILDINGS * FLOORS * PER_FLOOR
PASSWORD = "Bench-2026-secret!"
HEADERS = [
    "姓名",
    "手机号",
    "证件号码",
    "证件授权",
    "楼栋",
    "单元",
    "房号",
    "身份",
    "认购日期",
    "签约日期",
    "交付日期",
    "等级",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
GRADES = ["VIP", "A", "B", "C"]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class _QueryCounter:
    """Counts queries without keeping them (Django's query log stops at 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _admin() -> Membership:
    root = OrgUnit.objects.filter(code="bench-customers").first()
    if root is None:
        root = unit_create_root(name="台账导入基准集团", code="bench-customers")
    admin = Membership.objects.filter(user__username="bench-customers-admin").first()
    if admin is None:
        admin = staff_create(
            actor=None,
            unit=root,
            username="bench-customers-admin",
            name="台账管理员",
            password=PASSWORD,
            roles=[Role.ADMIN],
        )
    return admin


def _fresh_project(admin: Membership) -> Project:
    """A new project with 10,000 units, written in bulk."""
    number = Project.objects.filter(organisation=admin.unit).count() + 1
    project = Project.objects.create(
        organisation=admin.unit, name=f"台账基准{number}", code=f"bench-customers-{number}", city="深圳"
    )
    buildings = Building.objects.bulk_create(
        Building(organisation=admin.unit, project=project, code=str(b), name=f"{b}栋", floors_above=FLOORS)
        for b in range(1, BUILDINGS + 1)
    )
    units = [
        Unit(
            organisation=admin.unit,
            project=project,
            building=building,
            entrance=entrance,
            floor=floor,
            number=number,
            label=Unit.make_label(building.code, entrance, number),
        )
        for building in buildings
        for floor in range(1, FLOORS + 1)
        for n in range(1, PER_FLOOR + 1)
        for entrance, number in [("1" if n <= PER_FLOOR // 2 else "2", f"{floor}{n:02d}")]
    ]
    Unit.objects.bulk_create(units, batch_size=1000)
    return project


def _id_number(serial: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=serial % 14000)
    body = f"440305{birth:%Y%m%d}{serial // 14000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def build_workbook(*, offset: int = 0) -> bytes:
    """10,000 rows, one per unit. `offset` gives other customers (other names, mobiles, IDs)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(HEADERS)
    row = 0
    for b in range(1, BUILDINGS + 1):
        for floor in range(1, FLOORS + 1):
            for n in range(1, PER_FLOOR + 1):
                # Every tenth row is the previous row's customer with a second unit.
                person = offset + row - (1 if row % 10 == 9 else 0)
                name = SURNAMES[person % 20] + GIVEN[(person // 20) % 24] + GIVEN[(person // 480) % 24]
                with_id = person % 10 < 3
                signed = date(2023, 1, 1) + timedelta(days=row % 700)
                sheet.append(
                    [
                        name,
                        f"139{person:08d}",
                        _id_number(person) if with_id else None,
                        "是" if with_id else None,
                        f"{b}栋",
                        "1" if n <= PER_FLOOR // 2 else "2",
                        f"{floor}{n:02d}",
                        "业主" if row % 10 != 9 else "共有人",
                        signed - timedelta(days=30),
                        signed.isoformat(),
                        signed + timedelta(days=400) if row % 3 == 0 else None,
                        GRADES[person % 4] if person % 10 == 0 else None,
                    ]
                )
                row += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(admin: Membership, project: Project, content: bytes) -> CustomerImport:
    file = SimpleUploadedFile("台账.xlsx", content)
    return import_upload(
        actor=admin, project=project, file=file, file_name="台账.xlsx", mode=CustomerImport.Mode.ALL_OR_NOTHING
    )


def run() -> dict[str, Any]:
    admin = _admin()
    project = _fresh_project(admin)
    start = time.perf_counter()
    content = build_workbook(offset=Project.objects.filter(organisation=admin.unit).count() * 100_000)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    job = _check(admin, project, content)
    check_s = time.perf_counter() - start
    assert job.status == CustomerImport.Status.DRAFT, job.errors[:3]
    queries = _QueryCounter()
    with connection.execute_wrapper(queries):
        start = time.perf_counter()
        job, _outcome = import_commit(actor=admin, job=job)
        commit_s = time.perf_counter() - start
    assert (job.customers_created, job.households_created) == (9_000, TOTAL), (job.status, job.errors[:3])

    start = time.perf_counter()
    again, _outcome = import_commit(actor=admin, job=_check(admin, project, content))
    reimport_s = time.perf_counter() - start
    assert (again.customers_created, again.households_created, again.rows_unchanged) == (0, 0, TOTAL)

    traced = _fresh_project(admin)
    other = build_workbook(offset=Project.objects.filter(organisation=admin.unit).count() * 100_000)
    tracemalloc.start()
    try:
        job = _check(admin, traced, other)
        _current, check_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        import_commit(actor=admin, job=job)
        _current, commit_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    return {
        "rows": TOTAL,
        "workbook_bytes": len(content),
        "build_workbook_s": round(build_s, 3),
        "check_s": round(check_s, 3),
        "commit_s": round(commit_s, 3),
        "reimport_s": round(reimport_s, 3),
        "commit_queries": queries.count,
        "check_peak_mb": round(check_peak / 1024 / 1024, 1),
        "commit_peak_mb": round(commit_peak / 1024 / 1024, 1),
    }


def main() -> None:
    result = run()
    print(
        f"{'Customer ledger import (check, commit)':<42} {result['rows']:,} rows{'':<11} "
        f"check {result['check_s'] * 1000:7.0f} ms   commit {result['commit_s'] * 1000:7.0f} ms   "
        f"re-import {result['reimport_s'] * 1000:6.0f} ms   queries {result['commit_queries']}   "
        f"peak {result['check_peak_mb']} / {result['commit_peak_mb']} MB   "
        f"({result['workbook_bytes'] / 1024:.0f} KB workbook)"
    )
