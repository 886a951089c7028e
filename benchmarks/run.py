"""`make bench`: builds a large data set in its own database and prints timings.

Not part of `make test`. Figures depend on the machine; each line says the data size it ran on.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
Path(__file__).resolve().parent.parent.joinpath("bench-out").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def measure(client: Client, urls: list[str], repeat: int) -> tuple[float, float, int]:
    samples: list[float] = []
    queries = 0
    for _ in range(repeat):
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
            queries = max(queries, len(ctx.captured_queries))
    p50, p95 = percentiles(samples)
    return p50, p95, queries


def analyze() -> None:
    """Fresh planner statistics on PostgreSQL before measuring, as autovacuum keeps them in
    production: a suite's tables may have been loaded or changed since they were last analysed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def report(name: str, size: str, result: tuple[float, float, int]) -> None:
    p50, p95, queries = result
    print(f"{name:<42} {size:<22} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   queries ≤ {queries}")


def main() -> int:
    from benchmarks import (
        bench_customers,
        bench_customers_import,
        bench_engagements,
        bench_import,
        bench_outbox,
        bench_surveys,
        bench_tickets,
        bench_units,
    )

    call_command("migrate", verbosity=0, interactive=False)
    reset_queries()
    print(f"database: {connection.vendor}")
    suites: dict[str, Callable[[], None]] = {
        "units": bench_units.run,
        "customers": bench_customers.run,
        "import": bench_import.main,
        "customers_import": bench_customers_import.main,
        "tickets": bench_tickets.run,
        "outbox": bench_outbox.run,
        "surveys": bench_surveys.run,
        "engagements": bench_engagements.run,
    }
    # `python -m benchmarks.run tickets` runs one suite (its data needs the units and customers
    # suites to have seeded once).
    chosen = sys.argv[1:] or list(suites)
    for name in chosen:
        suites[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
