"""Enqueue periodic jobs (SLA scans, …) on time. Run one on each machine that runs workers."""

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kefu.core import scheduling


class Command(BaseCommand):
    help = "Enqueue the periodic jobs in KEFU_SCHEDULE; safe to run on several machines at once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")
        parser.add_argument("--interval", type=int, default=10, help="Seconds between checks (default 10).")

    def handle(self, *args: Any, once: bool = False, interval: int = 10, **options: Any) -> None:
        while True:
            enqueued = scheduling.tick()
            if enqueued:
                self.stdout.write(f"{timezone.localtime():%H:%M:%S} enqueued {', '.join(enqueued)}")
            if once:
                return
            if timezone.now().minute == 0 and timezone.now().second < interval:
                scheduling.prune()
            time.sleep(interval)
