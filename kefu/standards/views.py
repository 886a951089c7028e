"""Staff pages of the business calendars: working hours, holidays and make-up working days (调休).

Administrators change what belongs to their unit or below; everyone else (and an administrator
looking at a unit above theirs) reads. Selectors read, services write; another unit's row is a 404.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import KefuError
from kefu.core.pages import add_service_error as _add_error
from kefu.core.permissions import can, in_scope
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.selectors import unit_choices
from kefu.standards import selectors, services
from kefu.standards.forms import (
    WEEKDAYS,
    BusinessTimeForm,
    CalendarCreateForm,
    CalendarDayClearForm,
    CalendarDayForm,
    CalendarEditForm,
    LoadYearForm,
    WorkingHoursForm,
)
from kefu.standards.models import BusinessCalendar, TimeBasis
from kefu.standards.sla import published_years

MANAGE = "standards.manage"
PAGE_SIZE = 50
FIRST_YEAR = 2024  # the first year the built-in schedule is loaded for


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def ensure_editable(viewer: Membership, unit: OrgUnit) -> None:
    """Standards of a unit above the viewer's are read-only to them: the same 403 as a missing role."""
    if not (can(viewer, MANAGE) and in_scope(viewer, unit)):
        raise PermissionDenied


def duration_label(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": minutes}


def _weekday_label(day: int) -> str:
    return str(WEEKDAYS(day).label)


def hours_rows(calendar: BusinessCalendar) -> list[tuple[int, str, list[str]]]:
    """(weekday, label, ["09:00–12:00", …]) for each weekday; an empty list is a day off."""
    spans: dict[int, list[str]] = {day: [] for day in WEEKDAYS.values}
    for period in calendar.periods.all():
        spans[period.weekday].append(f"{period.starts_at:%H:%M}–{period.ends_at:%H:%M}")
    return [(day, _weekday_label(day), spans[day]) for day in WEEKDAYS.values]


def hours_summary(calendar: BusinessCalendar) -> list[tuple[str, str]]:
    """Runs of weekdays with the same hours: [("Monday–Friday", "09:00–12:00 · 13:30–18:00")]."""
    runs: list[list[Any]] = []
    for day, _label, spans in hours_rows(calendar):
        text = " · ".join(spans)
        if runs and runs[-1][2] == text:
            runs[-1][1] = day
        else:
            runs.append([day, day, text])
    return [
        (_weekday_label(first) if first == last else f"{_weekday_label(first)}–{_weekday_label(last)}", text)
        for first, last, text in runs
        if text
    ]


def _years() -> list[int]:
    return list(range(FIRST_YEAR, max(timezone.localdate().year + 1, FIRST_YEAR + 3) + 1))


# Business calendars


@dataclass(frozen=True)
class CalendarRow:
    calendar: BusinessCalendar
    hours: list[tuple[str, str]]
    users: list[OrgUnit]
    editable: bool


def calendar_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    year = timezone.localdate().year
    calendars = list(selectors.calendar_list(viewer=viewer, holidays_in=year))
    users = selectors.calendar_inheritors(viewer=viewer, calendars=calendars)
    rows = [
        CalendarRow(
            calendar=calendar,
            hours=hours_summary(calendar),
            users=users[calendar.pk],
            editable=in_scope(viewer, calendar.organisation),
        )
        for calendar in calendars
    ]
    context = {"rows": rows, "year": year, "can_manage": can(viewer, MANAGE)}
    return TemplateResponse(request, "standards/calendar_list.html", context)


def calendar_create(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = CalendarCreateForm(
        request.POST or None,
        organisations=unit_choices(viewer=viewer),
        base_depth=viewer.unit.depth,
        initial={
            "organisation": viewer.unit,
            "name": _("%(unit)s business calendar") % {"unit": viewer.unit.name},
            "timezone": viewer.unit.timezone,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calendar = services.calendar_create(
                actor=viewer, unit=data["organisation"], name=data["name"], timezone_name=data["timezone"]
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("Business calendar %(name)s has been created with office hours and the published holidays.")
                % {"name": calendar.name},
            )
            return redirect("standards:calendar_detail", calendar_id=calendar.pk)
    return TemplateResponse(request, "standards/calendar_form.html", {"form": form, "calendar": None})


def _detail_url(calendar: BusinessCalendar, year: int | None = None) -> str:
    url = reverse("standards:calendar_detail", kwargs={"calendar_id": calendar.pk})
    return f"{url}?year={year}" if year else url


def _year_param(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _try_form(calendar: BusinessCalendar) -> BusinessTimeForm:
    now = timezone.now().astimezone(ZoneInfo(calendar.timezone)).replace(second=0, microsecond=0, tzinfo=None)
    return BusinessTimeForm(initial={"start": now, "hours": 8, "basis": TimeBasis.BUSINESS})


def _day_form(calendar: BusinessCalendar, request: HttpRequest, days: list[Any]) -> CalendarDayForm:
    """The add/change form, filled in with a listed day when its "change" link was followed."""
    try:
        chosen = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return CalendarDayForm()
    entry = next((day for day in days if day.date == chosen), None)
    initial = {"date": chosen, "kind": entry.kind, "name": entry.name} if entry else {"date": chosen}
    return CalendarDayForm(initial=initial)


def _calendar_page(
    request: PageRequest,
    calendar: BusinessCalendar,
    *,
    year: int,
    day_form: CalendarDayForm | None = None,
    try_form: BusinessTimeForm | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.membership
    days = list(selectors.calendar_days(calendar=calendar, year=year))
    everything = list(selectors.calendar_list(viewer=viewer))
    context = {
        "calendar": calendar,
        "hours": hours_rows(calendar),
        "makeup_weekday": _weekday_label(calendar.makeup_day_hours_from),
        "users": selectors.calendar_inheritors(viewer=viewer, calendars=everything).get(calendar.pk, []),
        "years": sorted({*_years(), year}),
        "year": year,
        "days": days,
        "holiday_count": sum(1 for day in days if day.kind == day.Kind.HOLIDAY),
        "workday_count": sum(1 for day in days if day.kind == day.Kind.WORKDAY),
        "published": year in published_years(),
        "day_form": day_form or _day_form(calendar, request, days),
        "try_form": try_form or _try_form(calendar),
        "result": result,
        "editable": can(viewer, MANAGE) and in_scope(viewer, calendar.organisation),
        "inherited": not in_scope(viewer, calendar.organisation),
    }
    template = "standards/calendar_detail.html"
    if request.htmx and request.GET.get("year") and "day" not in request.GET:
        template += "#year"
    return TemplateResponse(request, template, context, status=status)


def calendar_detail(request: PageRequest, calendar_id: int) -> HttpResponse:
    calendar = selectors.calendar_get(viewer=request.membership, calendar_id=calendar_id)
    return _calendar_page(request, calendar, year=_year_param(request))


@require_GET
def calendar_try(request: PageRequest, calendar_id: int) -> HttpResponse:
    calendar = selectors.calendar_get(viewer=request.membership, calendar_id=calendar_id)
    form = BusinessTimeForm(request.GET)
    result = None
    if form.is_valid():
        zone = ZoneInfo(calendar.timezone)
        start = form.start_in(zone)
        try:
            due = selectors.calendar_due_at(
                calendar=calendar, start=start, duration=form.duration(), basis=form.cleaned_data["basis"]
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            local_due = due.astimezone(zone)
            result = {"start": start, "due_at": local_due, "days_later": (local_due.date() - start.date()).days}
    if request.htmx:
        context = {"calendar": calendar, "try_form": form, "result": result}
        return TemplateResponse(request, "standards/calendar_detail.html#try", context)
    year = result["start"].year if result else timezone.localdate().year
    return _calendar_page(request, calendar, year=year, try_form=form, result=result)


def calendar_edit(request: PageRequest, calendar_id: int) -> HttpResponse:
    viewer = request.membership
    calendar = selectors.calendar_get(viewer=viewer, calendar_id=calendar_id)
    ensure_editable(viewer, calendar.organisation)
    initial = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "makeup_day_hours_from": calendar.makeup_day_hours_from,
    }
    form = CalendarEditForm(request.POST or None, initial=initial, current_timezone=calendar.timezone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calendar = services.calendar_update(
                actor=viewer,
                calendar=calendar,
                name=data["name"],
                timezone_name=data["timezone"],
                makeup_day_hours_from=data["makeup_day_hours_from"],
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Business calendar %(name)s has been saved.") % {"name": calendar.name})
            return redirect(_detail_url(calendar))
    return TemplateResponse(request, "standards/calendar_form.html", {"form": form, "calendar": calendar})


def calendar_hours(request: PageRequest, calendar_id: int) -> HttpResponse:
    viewer = request.membership
    calendar = selectors.calendar_get(viewer=viewer, calendar_id=calendar_id)
    ensure_editable(viewer, calendar.organisation)
    form = WorkingHoursForm(request.POST or None, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_set_hours(actor=viewer, calendar=calendar, hours=form.hours())
        except KefuError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The working hours of %(name)s have been saved.") % {"name": calendar.name})
            return redirect(_detail_url(calendar))
    return TemplateResponse(request, "standards/calendar_hours.html", {"form": form, "calendar": calendar})


@require_POST
def calendar_load_year(request: PageRequest, calendar_id: int) -> HttpResponse:
    viewer = request.membership
    calendar = selectors.calendar_get(viewer=viewer, calendar_id=calendar_id)
    ensure_editable(viewer, calendar.organisation)
    form = LoadYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("year", [])))
        return redirect(_detail_url(calendar))
    year = form.cleaned_data["year"]
    try:
        count = services.calendar_load_year(actor=viewer, calendar=calendar, year=year)
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(count)s days of %(year)s have been loaded from the State Council's holiday schedule.")
            % {"count": count, "year": year},
        )
    return redirect(_detail_url(calendar, year))


@require_POST
def calendar_day_set(request: PageRequest, calendar_id: int) -> HttpResponse:
    viewer = request.membership
    calendar = selectors.calendar_get(viewer=viewer, calendar_id=calendar_id)
    ensure_editable(viewer, calendar.organisation)
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.calendar_day_set(
                actor=viewer, calendar=calendar, day=data["date"], kind=data["kind"], name=data["name"]
            )
        except KefuError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("%(date)s is now a %(kind)s.") % {"date": entry.date.isoformat(), "kind": entry.get_kind_display()},
            )
            return redirect(_detail_url(calendar, entry.date.year))
    year = form.cleaned_data["date"].year if "date" in form.cleaned_data else timezone.localdate().year
    return _calendar_page(request, calendar, year=year, day_form=form, status=400)


@require_POST
def calendar_day_clear(request: PageRequest, calendar_id: int) -> HttpResponse:
    viewer = request.membership
    calendar = selectors.calendar_get(viewer=viewer, calendar_id=calendar_id)
    ensure_editable(viewer, calendar.organisation)
    form = CalendarDayClearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the date to clear."))
        return redirect(_detail_url(calendar))
    day = form.cleaned_data["date"]
    services.calendar_day_clear(actor=viewer, calendar=calendar, day=day)
    messages.success(request, _("%(date)s follows its weekday again.") % {"date": day.isoformat()})
    return redirect(_detail_url(calendar, day.year))
