"""Customer search and list at 100,000 customers (issue 4: p50/p95, query count constant)."""

import time

from django.db import connection
from django.test import Client

from benchmarks.run import measure, report
from kefu.customers.models import ContactMethod, Customer, Household
from kefu.customers.services import name_search_keys
from kefu.orgs.models import Membership
from kefu.properties.models import Unit

TOTAL = 100_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


def _seed(admin: Membership) -> None:
    root = admin.unit
    if Customer.objects.filter(organisation=root).count() >= TOTAL:
        return
    start = time.perf_counter()
    units = list(Unit.objects.filter(organisation=root).values_list("id", flat=True).order_by("id")[: TOTAL // 2])
    batch = 5000
    for offset in range(0, TOTAL, batch):
        customers = []
        for n in range(offset, offset + batch):
            name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 7) % len(GIVEN)] + GIVEN[(n // 131) % len(GIVEN)]
            pinyin, initials = name_search_keys(name)
            customers.append(
                Customer(organisation=root, name=name, name_pinyin=pinyin, name_initials=initials, grade="abc"[n % 3])
            )
        Customer.objects.bulk_create(customers, batch_size=1000)
        created = list(Customer.objects.filter(organisation=root).order_by("-id")[:batch])[::-1]
        ContactMethod.objects.bulk_create(
            [
                ContactMethod(
                    customer=c,
                    kind=ContactMethod.Kind.MOBILE,
                    value=f"86139{i:08d}",
                    last4=f"{i:08d}"[-4:],
                    is_primary=True,
                )
                for i, c in enumerate(created, start=offset)
            ],
            batch_size=1000,
        )
        Household.objects.bulk_create(
            [
                Household(organisation=root, customer=c, unit_id=units[i], role=Household.Role.OWNER)
                for i, c in enumerate(created, start=offset)
                if i < len(units)
            ],
            batch_size=1000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {TOTAL:,} customers in {time.perf_counter() - start:.1f} s")


def run() -> None:
    admin = Membership.objects.get(user__username="bench-admin")
    _seed(admin)
    client = Client()
    client.force_login(admin.user)
    size = f"{Customer.objects.filter(organisation=admin.unit).count():,} customers"
    searches = ["王伟", "wangwei", "ww", "13900012345", "2345", "3-1-1201"]
    report("customer list page (first page)", size, measure(client, ["/customers/"], repeat=20))
    report(
        "customer search page (name, pinyin, initials, mobile, last 4, unit)",
        size,
        measure(client, [f"/customers/?q={q}" for q in searches], repeat=5),
    )
    report("customer list API (first page)", size, measure(client, ["/api/v1/customers/"], repeat=20))
    report(
        "customer search API (same six searches)",
        size,
        measure(client, [f"/api/v1/customers/?q={q}" for q in searches], repeat=5),
    )
