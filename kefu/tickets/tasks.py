"""Background tasks of the customer voice. Thin: each calls one service and is safe to run twice."""

import logging

from django_tasks import task

from kefu.tickets.scan import sla_scan

logger = logging.getLogger(__name__)


@task(queue_name="scans")
def sla_scan_task() -> dict[str, int]:
    """Warn, record breaches, escalate, hand out queued tickets; idempotent across workers."""
    result = sla_scan().as_dict()
    logger.info("sla_scan_task finished", extra={"result": result})
    return result


@task(queue_name="scans")
def daily_report_push_task() -> int:
    """Yesterday's complaint report to supervisors and heads once their morning comes; idempotent."""
    from kefu.tickets.report_push import daily_report_push

    return daily_report_push()
