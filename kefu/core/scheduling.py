"""Periodic jobs: which task runs how often, and the claim that makes each slot run once.

Every scheduler process (one per machine is fine, several are fine) wakes up, computes the
current slot of each job (the time floored to its interval) and tries to insert a ScheduledRun
row for it. The unique (name, slot) constraint lets exactly one insert succeed; that process
enqueues the task. The tasks themselves are idempotent too, so a crash between claim and
enqueue costs one slot, never a double send.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kefu.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    every: timedelta


def jobs() -> list[Job]:
    return [Job(name, path, timedelta(seconds=seconds)) for name, path, seconds in settings.KEFU_SCHEDULE]


def slot_of(job: Job, now: datetime) -> datetime:
    seconds = int(job.every.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.get_current_timezone())


def claim(job: Job, now: datetime) -> bool:
    """True for the one caller that claims this job's current slot."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(name=job.name, slot=slot_of(job, now), enqueued_at=now)
    except IntegrityError:
        return False
    return True


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        if claim(job, now):
            import_string(job.task_path).enqueue()
            enqueued.append(job.name)
            logger.info("scheduled job enqueued", extra={"job": job.name})
    return enqueued


def prune(*, keep: timedelta = timedelta(days=7), now: datetime | None = None) -> int:
    deleted, _ = ScheduledRun.objects.filter(slot__lt=(now or timezone.now()) - keep).delete()
    return deleted
