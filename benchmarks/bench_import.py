"""Excel import of 5,000 units (issue: "a 5,000-unit workbook imports in well under a minute").

`run()` builds the workbook in memory, imports it into a fresh project, imports it again (every
row unchanged), then measures peak Python memory of one more import with tracemalloc (separately,
because tracing slows the code it watches).
"""

import io
import time
import tracemalloc
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.services import staff_create, unit_create_root
from kefu.properties.imports import import_units
from kefu.properties.models import ImportJob, Project

BUILDINGS, FLOORS, PER_FLOOR = 10, 25, 20  # 10 × 25 × 20 = 5,000 units
TOTAL = BUILDINGS * FLOORS * PER_FLOOR
PASSWORD = "Bench-2026-secret!"
HEADERS = ["楼栋", "单元", "楼层", "房号", "建筑面积", "套内面积", "户型", "交付标准"]
LAYOUTS = ["2室1厅1卫", "3室2厅1卫", "3室2厅2卫", "4室2厅2卫"]
STANDARDS = ["毛坯", "简装", "精装"]


def _admin() -> Membership:
    root = OrgUnit.objects.filter(code="bench-import").first()
    if root is None:
        root = unit_create_root(name="导入基准集团", code="bench-import")
    admin = Membership.objects.filter(user__username="bench-import-admin").first()
    if admin is None:
        admin = staff_create(
            actor=None,
            unit=root,
            username="bench-import-admin",
            name="导入管理员",
            password=PASSWORD,
            roles=[Role.ADMIN],
        )
    return admin


def _fresh_project(admin: Membership) -> Project:
    number = Project.objects.filter(organisation=admin.unit).count() + 1
    return Project.objects.create(organisation=admin.unit, name=f"导入基准{number}", code=f"bench-import-{number}")


def build_workbook() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("房号")
    sheet.append(HEADERS)
    for b in range(1, BUILDINGS + 1):
        for floor in range(1, FLOORS + 1):
            for n in range(1, PER_FLOOR + 1):
                entrance = "1" if n <= PER_FLOOR // 2 else "2"
                sheet.append(
                    [
                        f"{b}栋",
                        entrance,
                        floor,
                        floor * 100 + n,  # a number, as Excel stores 房号 typed without a text format
                        89.5 + n,
                        72.3 + n,
                        LAYOUTS[n % len(LAYOUTS)],
                        STANDARDS[n % len(STANDARDS)],
                    ]
                )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(admin: Membership, project: Project, content: bytes) -> ImportJob:
    file = SimpleUploadedFile("bench.xlsx", content)
    return import_units(
        actor=admin, project=project, file=file, file_name="bench.xlsx", mode=ImportJob.Mode.ALL_OR_NOTHING
    )


def run() -> dict[str, Any]:
    admin = _admin()
    start = time.perf_counter()
    content = build_workbook()
    build_s = time.perf_counter() - start

    project = _fresh_project(admin)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        first = _import(admin, project, content)
        first_s = time.perf_counter() - start
    assert first.rows_created == TOTAL, first.errors[:3]

    start = time.perf_counter()
    again = _import(admin, project, content)
    again_s = time.perf_counter() - start
    assert again.rows_unchanged == TOTAL

    traced = _fresh_project(admin)
    tracemalloc.start()
    try:
        _import(admin, traced, content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    return {
        "units": TOTAL,
        "workbook_bytes": len(content),
        "build_workbook_s": round(build_s, 3),
        "import_s": round(first_s, 3),
        "reimport_unchanged_s": round(again_s, 3),
        "import_queries": len(queries.captured_queries),
        "peak_memory_mb": round(peak / 1024 / 1024, 1),
    }


def main() -> None:
    result = run()
    print(
        f"{'Excel import (create, then re-import)':<42} {result['units']:,} units{'':<10} "
        f"import {result['import_s'] * 1000:8.0f} ms   re-import {result['reimport_unchanged_s'] * 1000:6.0f} ms   "
        f"queries {result['import_queries']}   peak {result['peak_memory_mb']} MB   "
        f"({result['workbook_bytes'] / 1024:.0f} KB workbook)"
    )
