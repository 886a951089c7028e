"""Business-time arithmetic on the hard days, checked against the State Council's published schedules.

2025 Spring Festival: off 28 Jan–4 Feb, make-up working days Sun 26 Jan and Sat 8 Feb.
2025 National Day + Mid-autumn: off 1–8 Oct, make-up working days Sun 28 Sep and Sat 11 Oct.
2026 Spring Festival: off 15–23 Feb, make-up working days Sat 14 Feb and Sat 28 Feb.
2026 National Day: off 1–7 Oct, make-up working days Sun 20 Sep and Sat 10 Oct.
The default working day is 09:00–12:00 and 13:30–18:00 (7.5 hours, a lunch break).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.standards.errors import NoWorkingTime
from kefu.standards.models import CalendarDay, TimeBasis
from kefu.standards.sla import (
    Schedule,
    add_business_time,
    business_time_between,
    default_schedule,
    due_at,
    is_working_time,
    next_working_start,
    published_days,
)

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # The eve of National Day 2025, 17:50: 10 minutes left that day, then nothing until Thu 9 Oct.
        (at(2025, 9, 30, 17, 50), hours(8), at(2025, 10, 10, 9, 20)),
        # Sixteen hours reach the make-up Saturday 11 Oct.
        (at(2025, 9, 30, 17, 50), hours(16), at(2025, 10, 11, 9, 50)),
        # The make-up Sunday 28 Sep 2025 is a working day.
        (at(2025, 9, 27, 10, 0), hours(2), at(2025, 9, 28, 11, 0)),
        # Spring Festival 2025: from Mon 27 Jan 17:00, one hour that day, the next on Wed 5 Feb.
        (at(2025, 1, 27, 17, 0), hours(2), at(2025, 2, 5, 10, 0)),
        # Spring Festival 2026: Fri 13 Feb 17:00, then the make-up Saturday 14 Feb, whose morning ends at 12:00.
        (at(2026, 2, 13, 17, 0), hours(4), at(2026, 2, 14, 12, 0)),
        (at(2026, 2, 13, 17, 0), hours(9), at(2026, 2, 24, 9, 30)),
        # National Day 2026: off 1–7 Oct; Thu 8 Oct is a working day.
        (at(2026, 9, 30, 17, 50), hours(8), at(2026, 10, 9, 9, 20)),
        # ...and the make-up Saturday 10 Oct 2026 counts.
        (at(2026, 10, 9, 17, 0), hours(2), at(2026, 10, 10, 10, 0)),
        # Across the lunch break.
        (at(2025, 3, 4, 11, 30), hours(1), at(2025, 3, 4, 14, 0)),
        # Logged during lunch: the clock starts at 13:30.
        (at(2025, 3, 4, 12, 30), hours(1), at(2025, 3, 4, 14, 30)),
        # Across midnight: logged late on a Tuesday evening, due on Wednesday morning.
        (at(2025, 3, 4, 23, 30), timedelta(minutes=20), at(2025, 3, 5, 9, 20)),
        # Over a plain weekend.
        (at(2025, 3, 7, 17, 0), hours(2), at(2025, 3, 10, 10, 0)),
        # A duration that ends exactly at the end of the day ends at 18:00, not the next morning.
        (at(2025, 3, 4, 17, 0), hours(1), at(2025, 3, 4, 18, 0)),
    ],
)
def test_add_business_time_on_published_calendar(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert add_business_time(default_schedule(), start, duration) == expected


def test_calendar_hours_ignore_holidays_and_cross_midnight() -> None:
    due = due_at(
        schedule=default_schedule(), basis=TimeBasis.CALENDAR, start=at(2025, 9, 30, 17, 50), duration=hours(8)
    )

    assert due == at(2025, 10, 1, 1, 50)


def test_business_time_between_skips_holidays_and_lunch() -> None:
    elapsed = business_time_between(default_schedule(), at(2025, 9, 30, 17, 0), at(2025, 10, 9, 10, 0))

    assert elapsed == hours(2)


def test_business_time_between_is_zero_backwards() -> None:
    assert business_time_between(default_schedule(), at(2025, 3, 5, 10), at(2025, 3, 4, 10)) == timedelta(0)


def test_add_then_measure_round_trips() -> None:
    start = at(2026, 2, 12, 15, 17)

    due = add_business_time(default_schedule(), start, hours(13.25))

    assert business_time_between(default_schedule(), start, due) == hours(13.25)


def test_is_working_time_on_holiday_and_makeup_day() -> None:
    schedule = default_schedule()

    assert not is_working_time(schedule, at(2025, 10, 3, 10, 0))
    assert is_working_time(schedule, at(2025, 10, 11, 10, 0))
    assert not is_working_time(schedule, at(2025, 10, 11, 12, 30))


def test_next_working_start_after_the_holiday() -> None:
    assert next_working_start(default_schedule(), at(2025, 10, 1, 8, 0)) == at(2025, 10, 9, 9, 0)


def test_published_days_match_the_state_council_schedule() -> None:
    days = {d: k for d, k, _n in published_days(2025)}

    assert days[date(2025, 10, 8)] == CalendarDay.Kind.HOLIDAY
    assert days[date(2025, 9, 28)] == CalendarDay.Kind.WORKDAY
    assert days[date(2025, 10, 11)] == CalendarDay.Kind.WORKDAY
    assert days[date(2025, 1, 26)] == CalendarDay.Kind.WORKDAY
    assert date(2025, 10, 12) not in days


def test_published_days_are_empty_for_an_unpublished_year() -> None:
    assert published_days(2099) == []


def test_a_calendar_without_working_time_raises() -> None:
    closed = Schedule(zone=SH, periods={})

    with pytest.raises(NoWorkingTime):
        add_business_time(closed, at(2025, 3, 4, 9), hours(1))


def test_makeup_day_works_the_chosen_weekdays_hours() -> None:
    schedule = Schedule(
        zone=SH,
        periods={0: ((time(8, 0), time(12, 0)),), 5: ((time(10, 0), time(11, 0)),)},
        days={date(2025, 3, 8): CalendarDay.Kind.WORKDAY},
        makeup_weekday=0,
    )

    assert add_business_time(schedule, at(2025, 3, 8, 7, 0), hours(2)) == at(2025, 3, 8, 10, 0)
