"""`manage.py refresh_customer_stages`: run daily (cron or the task scheduler)."""

from typing import Any

from django.core.management.base import BaseCommand

from kefu.customers.stages import customer_stages_refresh


class Command(BaseCommand):
    help = "Move customers to the lifecycle stage their household dates have reached."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = customer_stages_refresh()
        self.stdout.write(f"{changed} customers moved to a new stage.")
