"""Quiet hours: when messages to customers wait until morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.notifications.configuration import Policy

# Channels that reach a customer's phone and so keep quiet hours; email and in-app wait for nobody.
QUIET_CHANNELS = frozenset({"sms", "wechat"})


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # the window runs over midnight


def quiet_until(now: datetime, policy: Policy, tz_name: str) -> datetime | None:
    """The end of the quiet hours `now` falls in, or None when it is not quiet."""
    local = now.astimezone(ZoneInfo(tz_name))
    if not in_quiet_hours(local.time(), policy.quiet_start, policy.quiet_end):
        return None
    end = local.replace(hour=policy.quiet_end.hour, minute=policy.quiet_end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def local_day_start(now: datetime, tz_name: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
