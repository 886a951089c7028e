"""Run an outbox worker: claim due messages and deliver them, until stopped.

Run as many as the load needs, on as many machines: claims never overlap. SIGTERM and Ctrl-C
stop it after the message in hand; SIGKILL loses nothing either (see kefu.notifications.delivery).
"""

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from kefu.notifications.delivery import BATCH, DeliveryStats, deliver_batch, worker_name

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Deliver outbox messages (notifications) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help="Messages claimed at a time.")
        parser.add_argument("--idle", type=float, default=1.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--until-empty", action="store_true", help="Stop when nothing is due.")
        parser.add_argument("--worker", default="", help="Name in the delivery log (default host:pid).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(_signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker = options["worker"] or worker_name()
        total = DeliveryStats()
        while not stopping:
            close_old_connections()
            try:
                stats = deliver_batch(worker=worker, batch=options["batch"])
            except Exception:  # a lost database connection: wait and claim again
                logger.exception("outbox batch failed")
                time.sleep(options["idle"])
                continue
            total.add(stats)
            if stats.claimed:
                logger.info("outbox batch", extra={"worker": worker, **stats.as_dict()})
                continue
            if options["until_empty"]:
                break
            time.sleep(options["idle"])
        self.stdout.write(f"{worker}: {total.as_dict()}")
