"""Write operations of the service standards. Administrators keep calendars and policies current."""

from datetime import date, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.errors import InvalidInput
from kefu.core.permissions import ensure_can
from kefu.orgs.models import Membership, OrgUnit
from kefu.standards.errors import CalendarExists, InvalidDuration, NoPublishedSchedule
from kefu.standards.models import (
    BusinessCalendar,
    CalendarDay,
    RequestCategory,
    RequestKind,
    SlaPolicy,
    TimeBasis,
    WorkingPeriod,
)
from kefu.standards.sla import DEFAULT_PERIODS, DEFAULT_WEEKDAYS, published_days

POLICY_FIELDS = (
    "name",
    "grade",
    "kind",
    "category",
    "severity",
    "first_response_time",
    "resolution_time",
    "time_basis",
    "warn_at_percent",
    "head_escalation_after",
    "revisit_within",
    "handling_guide",
    "is_active",
)


def _audit(*, actor: Membership | None, unit: OrgUnit, action: str, obj: Any, changes: dict[str, Any]) -> None:
    # The audit log's action is one of its own few verbs (and 20 characters at most); the
    # operation itself ("standards.calendar_load_year") goes in the note.
    verb = AuditEntry.Action.CREATE if action.endswith("_create") else AuditEntry.Action.UPDATE
    audit_record(actor=actor, organisation=unit, action=verb, obj=obj, changes=changes, note=action)


@transaction.atomic
def calendar_create(
    *, actor: Membership | None, unit: OrgUnit, name: str, timezone_name: str = "Asia/Shanghai"
) -> BusinessCalendar:
    """A calendar for `unit` with the standard office day and every published year's holidays."""
    if actor is not None:
        ensure_can(actor, "standards.manage", unit)
    _check_zone(timezone_name)
    if BusinessCalendar.objects.filter(organisation=unit).exists():
        raise CalendarExists(unit=unit.name, field="organisation")
    calendar = BusinessCalendar.objects.create(organisation=unit, name=name, timezone=timezone_name)
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=weekday, starts_at=starts, ends_at=ends)
        for weekday in DEFAULT_WEEKDAYS
        for starts, ends in DEFAULT_PERIODS
    )
    years = sorted({d.year for d, _kind, _name in _all_published()})
    for year in years:
        _load_year(calendar=calendar, year=year)
    _audit(actor=actor, unit=unit, action="standards.calendar_create", obj=calendar, changes={"name": name})
    return calendar


def _check_zone(name: str) -> None:
    # An unknown zone would only fail later, in every due-time calculation of the unit's tickets.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(_("Choose a time zone from the list, e.g. Asia/Shanghai."), field="timezone") from exc


def _all_published() -> list[tuple[date, str, str]]:
    from kefu.standards.sla import published_years

    return [row for year in published_years() if year >= 2024 for row in published_days(year)]


def _load_year(*, calendar: BusinessCalendar, year: int) -> int:
    rows = published_days(year)
    if not rows:
        raise NoPublishedSchedule(year=year, field="year")
    CalendarDay.objects.filter(calendar=calendar, date__year=year).delete()
    CalendarDay.objects.bulk_create(CalendarDay(calendar=calendar, date=d, kind=k, name=n) for d, k, n in rows)
    return len(rows)


@transaction.atomic
def calendar_load_year(*, actor: Membership, calendar: BusinessCalendar, year: int) -> int:
    """Replace the year's days with the State Council schedule that the chinesecalendar package publishes."""
    ensure_can(actor, "standards.manage", calendar.organisation)
    count = _load_year(calendar=calendar, year=year)
    _audit(
        actor=actor,
        unit=calendar.organisation,
        action="standards.calendar_load_year",
        obj=calendar,
        changes={"year": year, "days": count},
    )
    return count


@transaction.atomic
def calendar_update(
    *, actor: Membership, calendar: BusinessCalendar, name: str, timezone_name: str, makeup_day_hours_from: int
) -> BusinessCalendar:
    ensure_can(actor, "standards.manage", calendar.organisation)
    _check_zone(timezone_name)
    if not 0 <= makeup_day_hours_from <= 6:
        raise InvalidInput(_("Choose a weekday."), field="makeup_day_hours_from")
    calendar.name = name
    calendar.timezone = timezone_name
    calendar.makeup_day_hours_from = makeup_day_hours_from
    calendar.save(update_fields=["name", "timezone", "makeup_day_hours_from", "updated_at"])
    _audit(
        actor=actor,
        unit=calendar.organisation,
        action="standards.calendar_update",
        obj=calendar,
        changes={"name": name, "timezone": timezone_name, "makeup_day_hours_from": makeup_day_hours_from},
    )
    return calendar


@transaction.atomic
def calendar_set_hours(
    *, actor: Membership, calendar: BusinessCalendar, hours: dict[int, list[tuple[time, time]]]
) -> BusinessCalendar:
    """Replace the working periods: weekday → [(from, until), …]; periods of a day may not overlap."""
    ensure_can(actor, "standards.manage", calendar.organisation)
    for weekday, spans in hours.items():
        ordered = sorted(spans)
        for starts, ends in ordered:
            if ends <= starts:
                raise InvalidInput(_("A working period must end after it starts."), field=f"day_{weekday}")
        for (_s1, e1), (s2, _e2) in pairwise(ordered):
            if s2 < e1:
                raise InvalidInput(_("Working periods of one day may not overlap."), field=f"day_{weekday}")
    if not any(hours.values()):
        raise InvalidInput(_("A calendar needs working hours on at least one weekday."), field="day_0")
    calendar.periods.all().delete()
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=weekday, starts_at=starts, ends_at=ends)
        for weekday, spans in hours.items()
        for starts, ends in spans
    )
    _audit(
        actor=actor,
        unit=calendar.organisation,
        action="standards.calendar_hours",
        obj=calendar,
        changes={str(w): [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans] for w, spans in hours.items()},
    )
    return calendar


@transaction.atomic
def calendar_day_set(
    *, actor: Membership, calendar: BusinessCalendar, day: date, kind: str, name: str = ""
) -> CalendarDay:
    """Mark a date as a holiday or a make-up working day (replacing what it was)."""
    ensure_can(actor, "standards.manage", calendar.organisation)
    if kind not in CalendarDay.Kind.values:
        raise InvalidInput(_("Choose holiday or make-up working day."), field="kind")
    entry, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=day, defaults={"kind": kind, "name": name}
    )
    _audit(
        actor=actor,
        unit=calendar.organisation,
        action="standards.calendar_day_set",
        obj=calendar,
        changes={"date": day.isoformat(), "kind": kind, "name": name},
    )
    return entry


@transaction.atomic
def calendar_day_clear(*, actor: Membership, calendar: BusinessCalendar, day: date) -> None:
    """Let the date follow its weekday again."""
    ensure_can(actor, "standards.manage", calendar.organisation)
    deleted, _rows = CalendarDay.objects.filter(calendar=calendar, date=day).delete()
    if deleted:
        _audit(
            actor=actor,
            unit=calendar.organisation,
            action="standards.calendar_day_clear",
            obj=calendar,
            changes={"date": day.isoformat()},
        )


@transaction.atomic
def category_create(*, actor: Membership, unit: OrgUnit, kind: str, name: str) -> RequestCategory:
    ensure_can(actor, "standards.manage", unit)
    if kind not in RequestKind.values:
        raise InvalidInput(_("Choose the kind of request."), field="kind")
    if RequestCategory.objects.filter(organisation=unit, kind=kind, name=name).exists():
        raise InvalidInput(_("This unit already has a category of that name."), field="name")
    category = RequestCategory.objects.create(organisation=unit, kind=kind, name=name)
    _audit(
        actor=actor, unit=unit, action="standards.category_create", obj=category, changes={"kind": kind, "name": name}
    )
    return category


@transaction.atomic
def category_update(*, actor: Membership, category: RequestCategory, name: str, is_active: bool) -> RequestCategory:
    ensure_can(actor, "standards.manage", category.organisation)
    clash = RequestCategory.objects.filter(organisation=category.organisation, kind=category.kind, name=name)
    if clash.exclude(pk=category.pk).exists():
        raise InvalidInput(_("This unit already has a category of that name."), field="name")
    category.name = name
    category.is_active = is_active
    category.save(update_fields=["name", "is_active", "updated_at"])
    _audit(
        actor=actor,
        unit=category.organisation,
        action="standards.category_update",
        obj=category,
        changes={"name": name, "is_active": is_active},
    )
    return category


def _check_policy(values: dict[str, Any], unit: OrgUnit) -> None:
    for name in ("first_response_time", "resolution_time", "head_escalation_after", "revisit_within"):
        value = values.get(name)
        if value is not None and value <= timedelta(0):
            raise InvalidDuration(field=name)
    if values["resolution_time"] < values["first_response_time"]:
        raise InvalidInput(
            _("The resolution time cannot be shorter than the first response time."), field="resolution_time"
        )
    if values.get("time_basis", TimeBasis.BUSINESS) not in TimeBasis.values:
        raise InvalidInput(_("Choose business or calendar hours."), field="time_basis")
    percent = values.get("warn_at_percent", 80)
    if not 1 <= percent <= 99:
        raise InvalidInput(_("Warn at a share between 1 and 99 per cent."), field="warn_at_percent")
    category = values.get("category")
    if category is not None:
        if not unit.is_descendant_of(category.organisation):
            raise InvalidInput(_("Choose a category of this unit or of a unit above it."), field="category")
        if values.get("kind") and values["kind"] != category.kind:
            raise InvalidInput(_("The category belongs to another kind of request."), field="category")


@transaction.atomic
def policy_create(*, actor: Membership, unit: OrgUnit, **values: Any) -> SlaPolicy:
    ensure_can(actor, "standards.manage", unit)
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    _check_policy(values, unit)
    if values.get("category") is not None and not values.get("kind"):
        values["kind"] = values["category"].kind
    try:
        with transaction.atomic():
            policy = SlaPolicy.objects.create(organisation=unit, **values)
    except IntegrityError as exc:
        raise InvalidInput(_("The policy's times are not valid.")) from exc
    _audit(actor=actor, unit=unit, action="standards.policy_create", obj=policy, changes=_loggable(values))
    return policy


@transaction.atomic
def policy_update(*, actor: Membership, policy: SlaPolicy, **values: Any) -> SlaPolicy:
    """Change a policy. Tickets keep the due times they were given; new tickets get the new promise."""
    ensure_can(actor, "standards.manage", policy.organisation)
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    merged = {name: getattr(policy, name) for name in POLICY_FIELDS} | values
    _check_policy(merged, policy.organisation)
    if merged["category"] is not None and not merged["kind"]:
        values["kind"] = merged["category"].kind
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    _audit(
        actor=actor, unit=policy.organisation, action="standards.policy_update", obj=policy, changes=_loggable(values)
    )
    return policy


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, timedelta):
            out[key] = int(value.total_seconds() // 60)
        elif hasattr(value, "pk"):
            out[key] = value.pk
        else:
            out[key] = value
    return out
