"""Background tasks of surveys. Thin: each calls one service and is safe to run twice."""

import logging

from django_tasks import task

from kefu.surveys.services import send_due_invitations

logger = logging.getLogger(__name__)


@task(queue_name="scans")
def send_due_invitations_task() -> dict[str, int]:
    """Send delayed invitations whose time has come and expire the ones past their date."""
    result = send_due_invitations()
    logger.info("send_due_invitations_task finished", extra={"result": result})
    return result
