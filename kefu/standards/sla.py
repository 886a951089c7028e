"""Business-time arithmetic and the policy matcher: the one place that knows what "8 business hours" means.

A schedule is computed in its calendar's zone: each working day contributes its working periods
(two periods make a lunch break), holidays contribute none, and a make-up working day (调休) works the
hours of a chosen weekday. Results are aware datetimes in UTC.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _

from kefu.standards.errors import NoWorkingTime
from kefu.standards.models import BusinessCalendar, CalendarDay, SlaPolicy, TimeBasis

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
DEFAULT_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
# A promise that cannot be met within two years of working days is a misconfigured calendar.
MAX_DAYS_SCANNED = 800

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    periods: dict[int, tuple[tuple[time, time], ...]]
    days: dict[date, str] = field(default_factory=dict)
    makeup_weekday: int = 0

    def periods_on(self, day: date) -> tuple[tuple[time, time], ...]:
        kind = self.days.get(day)
        if kind == CalendarDay.Kind.HOLIDAY:
            return ()
        if kind == CalendarDay.Kind.WORKDAY:
            return self.periods.get(self.makeup_weekday, ())
        return self.periods.get(day.weekday(), ())

    def intervals_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for starts, ends in self.periods_on(day):
            yield datetime.combine(day, starts, self.zone), datetime.combine(day, ends, self.zone)


def published_days(year: int) -> list[tuple[date, str, str]]:
    """(date, kind, name) of the State Council's holidays and make-up days of `year`, from chinesecalendar."""
    day = date(year, 1, 1)
    try:
        chinese_calendar.is_holiday(day)
    except NotImplementedError:
        return []
    found = []
    while day.year == year:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is not None:
            label = HOLIDAY_NAMES.get(name, name)
            if on_holiday and day in chinese_calendar.holidays:
                found.append((day, CalendarDay.Kind.HOLIDAY, label))
            elif not on_holiday:
                found.append((day, CalendarDay.Kind.WORKDAY, label))
        day += timedelta(days=1)
    return found


def published_years() -> list[int]:
    return sorted({d.year for d in chinese_calendar.holidays})


@cache
def default_schedule() -> Schedule:
    """Mon–Fri 09:00–12:00 and 13:30–18:00 in Shanghai with the published holidays: for units with no calendar."""
    days: dict[date, str] = {}
    for year in published_years():
        for day, kind, _name in published_days(year):
            days[day] = kind
    periods = {weekday: DEFAULT_PERIODS for weekday in DEFAULT_WEEKDAYS}
    return Schedule(zone=ZoneInfo("Asia/Shanghai"), periods=periods, days=days, makeup_weekday=0)


def schedule_for(calendar: BusinessCalendar | None) -> Schedule:
    if calendar is None:
        return default_schedule()
    periods: dict[int, list[tuple[time, time]]] = {}
    for period in calendar.periods.all():
        periods.setdefault(period.weekday, []).append((period.starts_at, period.ends_at))
    return Schedule(
        zone=ZoneInfo(calendar.timezone),
        periods={weekday: tuple(sorted(spans)) for weekday, spans in periods.items()},
        days={day.date: day.kind for day in calendar.days.all()},
        makeup_weekday=calendar.makeup_day_hours_from,
    )


def _days_from(schedule: Schedule, start: datetime) -> Iterator[date]:
    day = start.astimezone(schedule.zone).date()
    for offset in range(MAX_DAYS_SCANNED):
        yield day + timedelta(days=offset)
    raise NoWorkingTime()


def add_business_time(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The moment when `duration` of working time has passed after `start`."""
    if duration <= timedelta(0):
        return start.astimezone(UTC)
    remaining = duration
    for day in _days_from(schedule, start):
        for begins, ends in schedule.intervals_on(day):
            if ends <= start:
                continue
            begins = max(begins, start)
            available = ends - begins
            if remaining <= available:
                return (begins + remaining).astimezone(UTC)
            remaining -= available
    raise NoWorkingTime()  # pragma: no cover - _days_from raises first


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Working time between two moments; zero when `end` is not after `start`."""
    total = timedelta(0)
    if end <= start:
        return total
    day = start.astimezone(schedule.zone).date()
    last = end.astimezone(schedule.zone).date()
    while day <= last:
        for begins, ends in schedule.intervals_on(day):
            overlap = min(ends, end) - max(begins, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def is_working_time(schedule: Schedule, at: datetime) -> bool:
    day = at.astimezone(schedule.zone).date()
    return any(begins <= at < ends for begins, ends in schedule.intervals_on(day))


def next_working_start(schedule: Schedule, at: datetime) -> datetime:
    """`at` itself when it is working time, else the start of the next working period."""
    for day in _days_from(schedule, at):
        for begins, ends in schedule.intervals_on(day):
            if ends > at:
                return max(begins, at).astimezone(UTC)
    raise NoWorkingTime()  # pragma: no cover


def due_at(*, schedule: Schedule, basis: str, start: datetime, duration: timedelta) -> datetime:
    if basis == TimeBasis.CALENDAR:
        return (start + duration).astimezone(UTC)
    return add_business_time(schedule, start, duration)


# The policy matcher ------------------------------------------------------------------------------

# A criterion's weight says how much more specific a policy is for naming it. Category beats
# severity beats grade beats kind: a category names its kind, and a group complaint is handled
# as a group complaint whatever the customer's grade.
WEIGHTS = {"category": 8, "severity": 4, "grade": 2, "kind": 1}


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    policy_value: str
    request_value: str


@dataclass(frozen=True)
class PolicyMatch:
    policy: SlaPolicy | None
    criteria: tuple[Criterion, ...]
    candidates: int
    reason: str


def specificity(policy: SlaPolicy) -> int:
    return (
        WEIGHTS["category"] * bool(policy.category_id)
        + WEIGHTS["severity"] * bool(policy.severity)
        + WEIGHTS["grade"] * bool(policy.grade)
        + WEIGHTS["kind"] * bool(policy.kind)
    )


def rank(policies: Iterable[SlaPolicy]) -> list[SlaPolicy]:
    """Most specific first; between equals, the policy of the deeper (nearer) unit, then the older."""
    return sorted(policies, key=lambda p: (-specificity(p), -p.organisation.depth, p.pk))


def explain(
    *, policy: SlaPolicy | None, candidates: int, grade: str, kind: str, category_name: str, severity: str
) -> PolicyMatch:
    from kefu.standards.models import RequestKind, Severity

    any_value = _("any")
    if policy is None:
        return PolicyMatch(
            policy=None,
            criteria=(),
            candidates=0,
            reason=_("No active service standard covers this request; the agent sets the pace."),
        )
    criteria = (
        Criterion(
            "category", _("category"), policy.category.name if policy.category_id else any_value, category_name or "—"
        ),
        Criterion(
            "severity",
            _("severity"),
            str(Severity(policy.severity).label) if policy.severity else any_value,
            str(Severity(severity).label) if severity else "—",
        ),
        Criterion("grade", _("customer grade"), policy.grade.upper() or any_value, grade.upper() or "—"),
        Criterion(
            "kind",
            _("kind"),
            str(RequestKind(policy.kind).label) if policy.kind else any_value,
            str(RequestKind(kind).label) if kind else "—",
        ),
    )
    named = [f"{c.label} {c.policy_value}" for c in criteria if c.policy_value != any_value]
    if candidates > 1:
        reason = _(
            "“%(policy)s” of %(unit)s is the most specific of %(count)s matching standards (it names: %(named)s)."
        ) % {
            "policy": policy.name,
            "unit": policy.organisation.name,
            "count": candidates,
            "named": "、".join(named) or _("nothing, a catch-all"),
        }
    else:
        reason = _("“%(policy)s” of %(unit)s is the only matching standard (it names: %(named)s).") % {
            "policy": policy.name,
            "unit": policy.organisation.name,
            "named": "、".join(named) or _("nothing, a catch-all"),
        }
    return PolicyMatch(policy=policy, criteria=criteria, candidates=candidates, reason=reason)
