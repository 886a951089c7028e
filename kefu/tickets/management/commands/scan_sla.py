"""Run the SLA scan once, in this process: for cron, or to catch up by hand."""

from typing import Any

from django.core.management.base import BaseCommand

from kefu.tickets.scan import sla_scan


class Command(BaseCommand):
    help = "Warn, record breaches and escalate open tickets now (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_scan()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in result.as_dict().items()))
