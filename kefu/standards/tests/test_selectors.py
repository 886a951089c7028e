"""The standards' read queries: what each viewer sees (their subtree, plus the units above read-only),
another unit's rows as a 404, and the matcher's preview of due times."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards import selectors
from kefu.standards.models import CalendarDay, RequestKind, Severity, TimeBasis
from kefu.standards.services import calendar_day_set, calendar_set_hours
from kefu.standards.tests.factories import BusinessCalendarFactory, RequestCategoryFactory, SlaPolicyFactory

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def team(city: OrgUnit) -> OrgUnit:
    return OrgUnitFactory(name="H小区项目组", parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)


# Calendars


def test_calendar_list_shows_own_subtree_and_the_units_above(agent, group, city, team, other_city):
    group_calendar = BusinessCalendarFactory(organisation=group)
    team_calendar = BusinessCalendarFactory(organisation=team)
    BusinessCalendarFactory(organisation=other_city)

    calendars = list(selectors.calendar_list(viewer=agent))

    assert calendars == [group_calendar, team_calendar]


def test_calendar_list_counts_the_years_public_holidays(agent, city):
    BusinessCalendarFactory(organisation=city)

    calendar = selectors.calendar_list(viewer=agent, holidays_in=2025).get()

    assert calendar.holiday_count == 28


def test_calendar_get_is_404_for_a_sibling_units_calendar(agent, other_city):
    calendar = BusinessCalendarFactory(organisation=other_city)

    with pytest.raises(Http404):
        selectors.calendar_get(viewer=agent, calendar_id=calendar.pk)


def test_calendar_get_reads_a_calendar_of_the_unit_above(agent, group):
    calendar = BusinessCalendarFactory(organisation=group)

    assert selectors.calendar_get(viewer=agent, calendar_id=calendar.pk) == calendar


def test_calendar_inheritors_lists_units_without_a_calendar_under_the_nearest_one(
    group_admin, group, city, team, other_city
):
    group_calendar = BusinessCalendarFactory(organisation=group)
    city_calendar = BusinessCalendarFactory(organisation=city)
    calendars = list(selectors.calendar_list(viewer=group_admin))

    users = selectors.calendar_inheritors(viewer=group_admin, calendars=calendars)

    assert users == {group_calendar.pk: [other_city], city_calendar.pk: [team]}


def test_calendar_inheritors_names_only_units_in_the_viewers_scope(agent, group, city, other_city):
    group_calendar = BusinessCalendarFactory(organisation=group)

    users = selectors.calendar_inheritors(viewer=agent, calendars=list(selectors.calendar_list(viewer=agent)))

    assert users == {group_calendar.pk: [city]}


def test_calendar_due_at_counts_the_calendars_saturday_morning(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)
    day = [(time(9), time(12)), (time(13, 30), time(18))]
    calendar_set_hours(actor=admin, calendar=calendar, hours={**{d: day for d in range(5)}, 5: [(time(9), time(12))]})

    due = selectors.calendar_due_at(
        calendar=selectors.calendar_get(viewer=admin, calendar_id=calendar.pk),
        start=at(2025, 3, 7, 17, 0),
        duration=timedelta(hours=2),
        basis=TimeBasis.BUSINESS,
    )

    assert due == at(2025, 3, 8, 10, 0)


def test_calendar_due_at_skips_a_holiday_added_by_hand(admin, city):
    calendar = BusinessCalendarFactory(organisation=city)
    calendar_day_set(actor=admin, calendar=calendar, day=date(2025, 3, 10), kind=CalendarDay.Kind.HOLIDAY)

    due = selectors.calendar_due_at(
        calendar=calendar, start=at(2025, 3, 7, 17, 0), duration=timedelta(hours=2), basis=TimeBasis.BUSINESS
    )

    assert due == at(2025, 3, 11, 10, 0)


def test_calendar_due_at_in_calendar_hours_ignores_the_holiday(city):
    calendar = BusinessCalendarFactory(organisation=city)

    due = selectors.calendar_due_at(
        calendar=calendar, start=at(2025, 9, 30, 17, 50), duration=timedelta(hours=8), basis=TimeBasis.CALENDAR
    )

    assert due == at(2025, 10, 1, 1, 50)


# Categories


def test_category_list_includes_the_groups_categories_and_hides_a_siblings(agent, group, city, other_city):
    shared = RequestCategoryFactory(organisation=group, name="物业服务")
    own = RequestCategoryFactory(organisation=city, name="噪音扰民")
    RequestCategoryFactory(organisation=other_city, name="成都专用")

    assert set(selectors.category_list(viewer=agent)) == {shared, own}


def test_category_list_keeps_an_inactive_category_asked_for(agent, city):
    active = RequestCategoryFactory(organisation=city)
    retired = RequestCategoryFactory(organisation=city, is_active=False)
    RequestCategoryFactory(organisation=city, is_active=False)

    categories = set(selectors.category_list(viewer=agent, active_only=True, also_id=retired.pk))

    assert categories == {active, retired}


def test_category_get_is_404_for_a_sibling_units_category(agent, other_city):
    category = RequestCategoryFactory(organisation=other_city)

    with pytest.raises(Http404):
        selectors.category_get(viewer=agent, category_id=category.pk)


# Policies


def test_policy_list_shows_inherited_and_own_policies_but_not_a_siblings(agent, group, city, team, other_city):
    inherited = SlaPolicyFactory(organisation=group)
    own = SlaPolicyFactory(organisation=city)
    below = SlaPolicyFactory(organisation=team)
    SlaPolicyFactory(organisation=other_city)

    assert set(selectors.policy_list(viewer=agent)) == {inherited, own, below}


def test_policy_list_hides_policies_of_a_unit_below_the_viewers_from_a_team_member(team, city, make_staff):
    member = make_staff(team, Role.AGENT)
    inherited = SlaPolicyFactory(organisation=city)

    assert list(selectors.policy_list(viewer=member)) == [inherited]


def test_policy_list_filters_by_kind_and_severity(agent, city):
    group_complaints = SlaPolicyFactory(organisation=city, kind=RequestKind.COMPLAINT, severity=Severity.GROUP)
    SlaPolicyFactory(organisation=city, kind=RequestKind.COMPLAINT)
    SlaPolicyFactory(organisation=city, severity=Severity.GROUP)

    policies = list(selectors.policy_list(viewer=agent, kind=RequestKind.COMPLAINT, severity=Severity.GROUP))

    assert policies == [group_complaints]


def test_policy_get_is_404_for_a_sibling_units_policy(agent, other_city):
    policy = SlaPolicyFactory(organisation=other_city)

    with pytest.raises(Http404):
        selectors.policy_get(viewer=agent, policy_id=policy.pk)


def test_policy_get_reads_an_inherited_policy(agent, group):
    policy = SlaPolicyFactory(organisation=group)

    assert selectors.policy_get(viewer=agent, policy_id=policy.pk) == policy


def test_policy_match_preview_gives_due_times_on_the_units_calendar(agent, group, city, team):
    BusinessCalendarFactory(organisation=city)
    SlaPolicyFactory(organisation=group, name="通用")
    vip = SlaPolicyFactory(
        organisation=group,
        name="VIP 投诉",
        grade="vip",
        kind=RequestKind.COMPLAINT,
        first_response_time=timedelta(hours=1),
        resolution_time=timedelta(hours=8),
    )

    preview = selectors.policy_match_preview(
        viewer=agent,
        unit=team,
        grade="vip",
        kind=RequestKind.COMPLAINT,
        category=None,
        severity=Severity.NORMAL,
        logged_at=at(2025, 9, 30, 17, 50),
    )

    assert (preview.match.policy, preview.match.candidates) == (vip, 2)
    assert preview.calendar.organisation == city
    assert preview.first_response_due_at == at(2025, 10, 9, 9, 50)
    assert preview.resolution_due_at == at(2025, 10, 10, 9, 20)


def test_policy_match_preview_without_a_policy_has_no_due_times(agent, city):
    preview = selectors.policy_match_preview(
        viewer=agent,
        unit=city,
        grade="",
        kind=RequestKind.INQUIRY,
        category=None,
        severity=Severity.NORMAL,
        logged_at=at(2025, 3, 3, 9, 0),
    )

    assert (preview.match.policy, preview.first_response_due_at, preview.resolution_due_at) == (None, None, None)
