"""Background tasks of commissions. Thin: each calls one service and is safe to run twice."""

import logging

from django_tasks import task

from kefu.engagements.pushes import remind_due_tasks, scan_late_nodes

logger = logging.getLogger(__name__)


@task(queue_name="scans")
def scan_late_nodes_task() -> dict[str, int]:
    """Escalate nodes past their planned day, once each."""
    result = scan_late_nodes()
    logger.info("scan_late_nodes_task finished", extra={"result": result})
    return result


@task(queue_name="scans")
def remind_due_tasks_task() -> dict[str, int]:
    """Remind managers of follow-up and extended-service tasks that fall due."""
    result = remind_due_tasks()
    logger.info("remind_due_tasks_task finished", extra={"result": result})
    return result
