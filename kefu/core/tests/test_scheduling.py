from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kefu.core import scheduling
from kefu.core.models import ScheduledRun

SH = ZoneInfo("Asia/Shanghai")


def test_tick_enqueues_each_job_once_per_slot(settings):
    settings.KEFU_SCHEDULE = [("tickets.sla_scan", "kefu.tickets.tasks.sla_scan_task", 60)]
    now = datetime(2025, 3, 4, 9, 0, 5, tzinfo=SH)

    first = scheduling.tick(now)
    again = scheduling.tick(now + timedelta(seconds=30))
    next_minute = scheduling.tick(now + timedelta(seconds=60))

    assert first == ["tickets.sla_scan"]
    assert again == []
    assert next_minute == ["tickets.sla_scan"]
    assert ScheduledRun.objects.count() == 2


def test_slot_floors_to_the_interval():
    job = scheduling.Job("x", "kefu.tickets.tasks.sla_scan_task", timedelta(minutes=5))

    assert scheduling.slot_of(job, datetime(2025, 3, 4, 9, 7, 59, tzinfo=SH)) == datetime(2025, 3, 4, 9, 5, tzinfo=SH)


def test_prune_keeps_recent_slots():
    now = datetime(2025, 3, 10, 9, 0, tzinfo=SH)
    ScheduledRun.objects.create(name="a", slot=now - timedelta(days=8), enqueued_at=now)
    ScheduledRun.objects.create(name="a", slot=now - timedelta(days=1), enqueued_at=now)

    assert scheduling.prune(now=now) == 1
    assert ScheduledRun.objects.count() == 1
