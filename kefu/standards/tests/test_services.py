"""The standards' write services: what they change, what they refuse, and the audit rows they leave."""

from datetime import date, time, timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden, InvalidInput
from kefu.standards.errors import CalendarExists, InvalidDuration, NoPublishedSchedule
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, RequestKind, SlaPolicy
from kefu.standards.services import (
    calendar_create,
    calendar_day_clear,
    calendar_day_set,
    calendar_load_year,
    calendar_set_hours,
    calendar_update,
    category_create,
    category_update,
    policy_create,
    policy_update,
)
from kefu.standards.tests.factories import BusinessCalendarFactory, RequestCategoryFactory, SlaPolicyFactory

NINE_TO_SIX = [(time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))]


def _audit_actions(obj: object) -> list[tuple[str, str]]:
    """(verb, operation) of each audit entry about `obj`, oldest first."""
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))  # type: ignore[attr-defined]
        .order_by("id")
        .values_list("action", "note")
    )


def _policy_values(**overrides: object) -> dict[str, object]:
    return {
        "name": "VIP 投诉",
        "grade": "vip",
        "kind": RequestKind.COMPLAINT,
        "first_response_time": timedelta(hours=1),
        "resolution_time": timedelta(hours=8),
        **overrides,
    }


# calendar_create


def test_calendar_create_loads_office_hours_on_weekdays(admin, city):
    calendar = calendar_create(actor=admin, unit=city, name="深圳公司工作日历")

    periods = [(p.weekday, p.starts_at, p.ends_at) for p in calendar.periods.all()]
    assert periods == [(day, starts, ends) for day in range(5) for starts, ends in NINE_TO_SIX]


def test_calendar_create_loads_the_published_holidays_and_makeup_days(admin, city):
    calendar = calendar_create(actor=admin, unit=city, name="深圳公司工作日历")

    days = {d.date: (d.kind, d.name) for d in calendar.days.filter(date__year=2025)}
    assert days[date(2025, 10, 1)] == (CalendarDay.Kind.HOLIDAY, "国庆节")
    assert days[date(2025, 9, 28)] == (CalendarDay.Kind.WORKDAY, "国庆节")
    assert set(calendar.days.dates("date", "year")) == {date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1)}


def test_calendar_create_records_an_audit_entry(admin, city):
    calendar = calendar_create(actor=admin, unit=city, name="深圳公司工作日历")

    assert _audit_actions(calendar) == [("create", "standards.calendar_create")]


def test_calendar_create_refuses_a_second_calendar_for_the_unit(admin, city):
    BusinessCalendarFactory(organisation=city)

    with pytest.raises(CalendarExists) as raised:
        calendar_create(actor=admin, unit=city, name="又一个")

    assert raised.value.field == "organisation"
    assert BusinessCalendar.objects.filter(organisation=city).count() == 1


def test_calendar_create_refuses_an_unknown_time_zone(admin, city):
    with pytest.raises(InvalidInput) as raised:
        calendar_create(actor=admin, unit=city, name="深圳公司工作日历", timezone_name="Asia/Atlantis")

    assert raised.value.field == "timezone"
    assert not BusinessCalendar.objects.exists()


def test_calendar_create_refuses_an_agent(agent, city):
    with pytest.raises(Forbidden):
        calendar_create(actor=agent, unit=city, name="深圳公司工作日历")

    assert not BusinessCalendar.objects.exists()


def test_calendar_create_refuses_a_unit_above_the_admins(admin, group):
    with pytest.raises(Forbidden):
        calendar_create(actor=admin, unit=group, name="集团日历")

    assert not BusinessCalendar.objects.exists()


# calendar_load_year


def test_calendar_load_year_replaces_the_years_days_with_the_published_schedule(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)
    calendar_day_set(actor=admin, calendar=calendar, day=date(2025, 3, 3), kind=CalendarDay.Kind.HOLIDAY, name="年会")
    calendar_day_clear(actor=admin, calendar=calendar, day=date(2025, 10, 1))

    count = calendar_load_year(actor=admin, calendar=calendar, year=2025)

    dates = set(calendar.days.filter(date__year=2025).values_list("date", flat=True))
    assert count == len(dates) == 33
    assert date(2025, 10, 1) in dates
    assert date(2025, 3, 3) not in dates


def test_calendar_load_year_leaves_other_years_alone(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)
    calendar_day_set(actor=admin, calendar=calendar, day=date(2026, 3, 3), kind=CalendarDay.Kind.HOLIDAY)

    calendar_load_year(actor=admin, calendar=calendar, year=2025)

    assert calendar.days.filter(date=date(2026, 3, 3)).exists()


def test_calendar_load_year_refuses_a_year_without_published_data_and_keeps_its_days(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)
    calendar_day_set(actor=admin, calendar=calendar, day=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")

    with pytest.raises(NoPublishedSchedule) as raised:
        calendar_load_year(actor=admin, calendar=calendar, year=2027)

    assert "2027" in raised.value.message
    assert list(calendar.days.filter(date__year=2027).values_list("name", flat=True)) == ["元旦"]


def test_calendar_load_year_refuses_an_admin_of_a_unit_below(city, group, make_staff):
    from kefu.core.roles import Role

    calendar = BusinessCalendarFactory(organisation=group)
    city_admin = make_staff(city, Role.ADMIN)

    with pytest.raises(Forbidden):
        calendar_load_year(actor=city_admin, calendar=calendar, year=2025)


# calendar_day_set / calendar_day_clear


def test_calendar_day_set_makes_a_date_a_makeup_working_day(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    calendar_day_set(
        actor=admin, calendar=calendar, day=date(2025, 3, 8), kind=CalendarDay.Kind.WORKDAY, name="公司调休"
    )

    day = calendar.days.get(date=date(2025, 3, 8))
    assert (day.kind, day.name) == (CalendarDay.Kind.WORKDAY, "公司调休")


def test_calendar_day_set_replaces_what_the_date_was(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    calendar_day_set(actor=admin, calendar=calendar, day=date(2025, 10, 1), kind=CalendarDay.Kind.WORKDAY, name="值班")

    assert list(calendar.days.filter(date=date(2025, 10, 1)).values_list("kind", "name")) == [("workday", "值班")]


def test_calendar_day_set_refuses_an_unknown_kind(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        calendar_day_set(actor=admin, calendar=calendar, day=date(2025, 3, 3), kind="party")

    assert raised.value.field == "kind"
    assert not calendar.days.filter(date=date(2025, 3, 3)).exists()


def test_calendar_day_clear_lets_the_date_follow_its_weekday(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    calendar_day_clear(actor=admin, calendar=calendar, day=date(2025, 10, 1))

    assert not calendar.days.filter(date=date(2025, 10, 1)).exists()
    assert _audit_actions(calendar)[-1] == ("update", "standards.calendar_day_clear")


# calendar_set_hours / calendar_update


def test_calendar_set_hours_replaces_the_working_periods(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    calendar_set_hours(actor=admin, calendar=calendar, hours={5: [(time(9), time(12))], 0: []})

    assert list(calendar.periods.values_list("weekday", "starts_at", "ends_at")) == [(5, time(9), time(12))]


def test_calendar_set_hours_refuses_overlapping_periods(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        calendar_set_hours(actor=admin, calendar=calendar, hours={2: [(time(9), time(13)), (time(12), time(18))]})

    assert raised.value.field == "day_2"
    assert calendar.periods.count() == 10


def test_calendar_set_hours_refuses_a_period_that_ends_before_it_starts(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        calendar_set_hours(actor=admin, calendar=calendar, hours={1: [(time(18), time(9))]})

    assert raised.value.field == "day_1"


def test_calendar_set_hours_refuses_a_week_without_working_time(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    with pytest.raises(InvalidInput):
        calendar_set_hours(actor=admin, calendar=calendar, hours={day: [] for day in range(7)})

    assert calendar.periods.count() == 10


def test_calendar_update_refuses_an_unknown_time_zone(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        calendar_update(actor=admin, calendar=calendar, name="x", timezone_name="Mars/Base", makeup_day_hours_from=0)

    calendar.refresh_from_db()
    assert raised.value.field == "timezone"
    assert calendar.timezone == "Asia/Shanghai"


def test_calendar_update_sets_the_makeup_day_weekday(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)

    calendar_update(actor=admin, calendar=calendar, name="深圳", timezone_name="Asia/Shanghai", makeup_day_hours_from=4)

    calendar.refresh_from_db()
    assert (calendar.name, calendar.makeup_day_hours_from) == ("深圳", 4)


# Categories


def test_category_create_creates_a_category_of_the_unit(admin, city):
    category = category_create(actor=admin, unit=city, kind=RequestKind.REPAIR, name="水电维修")

    assert (category.organisation, category.kind, category.name, category.is_active) == (
        city,
        "repair",
        "水电维修",
        True,
    )
    assert _audit_actions(category) == [("create", "standards.category_create")]


def test_category_create_refuses_a_name_the_unit_has_for_that_kind(admin, city):
    RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="水电维修")

    with pytest.raises(InvalidInput) as raised:
        category_create(actor=admin, unit=city, kind=RequestKind.REPAIR, name="水电维修")

    assert raised.value.field == "name"
    assert RequestCategory.objects.count() == 1


def test_category_create_refuses_an_unknown_kind(admin, city):
    with pytest.raises(InvalidInput) as raised:
        category_create(actor=admin, unit=city, kind="gossip", name="八卦")

    assert raised.value.field == "kind"


def test_category_update_renames_and_deactivates(admin, city):
    category = RequestCategoryFactory(organisation=city, name="水电")

    category_update(actor=admin, category=category, name="水电维修", is_active=False)

    category.refresh_from_db()
    assert (category.name, category.is_active) == ("水电维修", False)


def test_category_update_refuses_the_name_of_a_sibling_category(admin, city):
    RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="门窗")
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="水电")

    with pytest.raises(InvalidInput):
        category_update(actor=admin, category=category, name="门窗", is_active=True)

    category.refresh_from_db()
    assert category.name == "水电"


def test_category_update_refuses_a_city_admin_on_a_group_category(admin, group):
    category = RequestCategoryFactory(organisation=group, name="水电")

    with pytest.raises(Forbidden):
        category_update(actor=admin, category=category, name="改名", is_active=True)


# Policies


def test_policy_create_creates_the_policy_and_an_audit_entry(admin, city):
    policy = policy_create(actor=admin, unit=city, **_policy_values())

    assert (policy.organisation, policy.grade, policy.kind, policy.resolution_time) == (
        city,
        "vip",
        "complaint",
        timedelta(hours=8),
    )
    assert _audit_actions(policy) == [("create", "standards.policy_create")]


@pytest.mark.parametrize("field", ["first_response_time", "resolution_time", "head_escalation_after", "revisit_within"])
@pytest.mark.parametrize("value", [timedelta(minutes=-30), timedelta(0)])
def test_policy_create_refuses_a_duration_not_above_zero(field, value, admin, city):
    with pytest.raises(InvalidDuration) as raised:
        policy_create(actor=admin, unit=city, **_policy_values(**{field: value}))

    assert raised.value.field == field
    assert not SlaPolicy.objects.exists()


def test_policy_create_refuses_a_resolution_shorter_than_the_first_response(admin, city):
    values = _policy_values(first_response_time=timedelta(hours=4), resolution_time=timedelta(hours=2))

    with pytest.raises(InvalidInput) as raised:
        policy_create(actor=admin, unit=city, **values)

    assert raised.value.field == "resolution_time"
    assert not SlaPolicy.objects.exists()


@pytest.mark.parametrize("percent", [0, 100])
def test_policy_create_refuses_a_warning_share_outside_1_to_99(percent, admin, city):
    with pytest.raises(InvalidInput) as raised:
        policy_create(actor=admin, unit=city, **_policy_values(warn_at_percent=percent))

    assert raised.value.field == "warn_at_percent"


def test_policy_create_refuses_a_category_of_a_sibling_unit(admin, city, other_city):
    category = RequestCategoryFactory(organisation=other_city, kind=RequestKind.COMPLAINT)

    with pytest.raises(InvalidInput) as raised:
        policy_create(actor=admin, unit=city, **_policy_values(category=category))

    assert raised.value.field == "category"


def test_policy_create_refuses_a_category_of_another_kind(admin, city):
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR)

    with pytest.raises(InvalidInput) as raised:
        policy_create(actor=admin, unit=city, **_policy_values(kind=RequestKind.COMPLAINT, category=category))

    assert raised.value.field == "category"


def test_policy_create_takes_the_kind_from_a_groups_category(admin, city, group):
    category = RequestCategoryFactory(organisation=group, kind=RequestKind.REPAIR)

    policy = policy_create(actor=admin, unit=city, **_policy_values(kind="", category=category))

    assert policy.kind == RequestKind.REPAIR


def test_policy_create_refuses_an_agent(agent, city):
    with pytest.raises(Forbidden):
        policy_create(actor=agent, unit=city, **_policy_values())


def test_policy_update_changes_the_promise(admin, city):
    policy = SlaPolicyFactory(organisation=city)

    policy_update(actor=admin, policy=policy, resolution_time=timedelta(hours=16), handling_guide="当日回电。")

    policy.refresh_from_db()
    assert (policy.resolution_time, policy.handling_guide) == (timedelta(hours=16), "当日回电。")
    assert _audit_actions(policy) == [("update", "standards.policy_update")]


def test_policy_update_refuses_a_negative_duration(admin, city):
    policy = SlaPolicyFactory(organisation=city)

    with pytest.raises(InvalidDuration) as raised:
        policy_update(actor=admin, policy=policy, first_response_time=timedelta(hours=-1))

    policy.refresh_from_db()
    assert raised.value.field == "first_response_time"
    assert policy.first_response_time == timedelta(hours=2)


def test_policy_update_refuses_a_first_response_beyond_the_resolution(admin, city):
    policy = SlaPolicyFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        policy_update(actor=admin, policy=policy, first_response_time=timedelta(hours=9))

    assert raised.value.field == "resolution_time"


def test_policy_update_refuses_a_city_admin_on_a_group_policy(admin, group):
    policy = SlaPolicyFactory(organisation=group)

    with pytest.raises(Forbidden):
        policy_update(actor=admin, policy=policy, name="改名")

    policy.refresh_from_db()
    assert policy.name != "改名"


def test_policy_update_takes_the_kind_from_a_new_category(admin, city):
    policy = SlaPolicyFactory(organisation=city)
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.INQUIRY)

    policy_update(actor=admin, policy=policy, category=category)

    policy.refresh_from_db()
    assert (policy.category, policy.kind) == (category, RequestKind.INQUIRY)
