"""A unit's own time: its zone, its today and the bounds of one of its days. Dates a person reads
or picks (a node's planned day, a report's day) are in the unit's zone, never the server's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from kefu.orgs.models import OrgUnit

DEFAULT_ZONE = "Asia/Shanghai"


def zone_of(unit: OrgUnit) -> ZoneInfo:
    return ZoneInfo(unit.timezone or DEFAULT_ZONE)


def local_today(unit: OrgUnit, now: datetime | None = None) -> date:
    """The calendar day it is (at `now`) in the unit's zone."""
    return timezone.localdate(now or timezone.now(), zone_of(unit))


def day_bounds(unit: OrgUnit, day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` in the unit's zone, as aware datetimes."""
    zone = zone_of(unit)
    start = datetime.combine(day, time.min, zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, zone)
