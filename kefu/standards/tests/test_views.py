"""The standards' staff pages: who may open what, what they show, what their forms do and say."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse
from django.utils.translation import gettext

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards.errors import InvalidDuration, NoPublishedSchedule
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, RequestKind, SlaPolicy
from kefu.standards.tests.factories import BusinessCalendarFactory, RequestCategoryFactory, SlaPolicyFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """A still clock: "now" in the matcher and the try-it box, and no session writes in query counts."""
    with time_machine.travel(datetime(2025, 9, 30, 17, 50, tzinfo=SH), tick=False):
        yield


@dataclass(frozen=True)
class Standards:
    calendar: BusinessCalendar
    category: RequestCategory
    policy: SlaPolicy


@pytest.fixture
def standards(city: OrgUnit) -> Standards:
    """深圳公司's calendar, its 水电维修 category and a 报修 policy naming it."""
    calendar = BusinessCalendarFactory(organisation=city, name="深圳公司工作日历")
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="水电维修")
    policy = SlaPolicyFactory(
        organisation=city, name="水电报修", kind=RequestKind.REPAIR, category=category, handling_guide="先关总阀。"
    )
    return Standards(calendar=calendar, category=category, policy=policy)


@pytest.fixture
def inherited(group: OrgUnit) -> Standards:
    """The group's calendar, category and policy, which 深圳公司 inherits."""
    calendar = BusinessCalendarFactory(organisation=group, name="集团工作日历")
    category = RequestCategoryFactory(organisation=group, kind=RequestKind.COMPLAINT, name="物业服务")
    policy = SlaPolicyFactory(organisation=group, name="集团通用标准")
    return Standards(calendar=calendar, category=category, policy=policy)


PAGE_KWARGS = {
    "standards:calendar_detail": "calendar_id",
    "standards:calendar_edit": "calendar_id",
    "standards:calendar_hours": "calendar_id",
    "standards:calendar_try": "calendar_id",
    "standards:calendar_load_year": "calendar_id",
    "standards:calendar_day_set": "calendar_id",
    "standards:calendar_day_clear": "calendar_id",
    "standards:category_edit": "category_id",
    "standards:policy_detail": "policy_id",
    "standards:policy_edit": "policy_id",
}


def _url(name: str, s: Standards) -> str:
    kwarg = PAGE_KWARGS.get(name)
    if kwarg is None:
        return reverse(name)
    obj = {"calendar_id": s.calendar, "category_id": s.category, "policy_id": s.policy}[kwarg]
    return reverse(name, kwargs={kwarg: obj.pk})


def _messages(response, level: int) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


def _hours_data(**overrides: str) -> dict[str, str]:
    data = {}
    for day in range(5):
        data |= {f"day_{day}_0_from": "09:00", f"day_{day}_0_until": "12:00"}
        data |= {f"day_{day}_1_from": "13:30", f"day_{day}_1_until": "18:00"}
    return data | overrides


def _policy_data(**overrides: str) -> dict[str, str]:
    return {
        "organisation": "",
        "name": "VIP 投诉",
        "grade": "vip",
        "kind": "complaint",
        "category": "",
        "severity": "",
        "first_response_time_0": "1",
        "first_response_time_1": "30",
        "resolution_time_0": "8",
        "resolution_time_1": "0",
        "time_basis": "business",
        "warn_at_percent": "80",
        "head_escalation_after_0": "4",
        "head_escalation_after_1": "0",
        "revisit_within_0": "24",
        "revisit_within_1": "0",
        "handling_guide": "当日回电。",
        "is_active": "on",
        **overrides,
    }


READ_PAGES = [
    "standards:calendar_list",
    "standards:calendar_detail",
    "standards:category_list",
    "standards:policy_list",
    "standards:policy_detail",
    "standards:policy_match",
]
MANAGE_PAGES = [
    "standards:calendar_create",
    "standards:calendar_edit",
    "standards:calendar_hours",
    "standards:category_edit",
    "standards:policy_create",
    "standards:policy_edit",
]
OBJECT_PAGES = [
    "standards:calendar_detail",
    "standards:calendar_edit",
    "standards:calendar_hours",
    "standards:calendar_try",
    "standards:category_edit",
    "standards:policy_detail",
    "standards:policy_edit",
]
OBJECT_POSTS = ["standards:calendar_load_year", "standards:calendar_day_set", "standards:calendar_day_clear"]


# Who may open what


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_page_opens_for_an_agent(name, standards, agent, client_for):
    response = client_for(agent).get(_url(name, standards))

    assert response.status_code == 200


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_page_opens_for_the_units_admin(name, standards, admin, client_for):
    response = client_for(admin).get(_url(name, standards))

    assert response.status_code == 200


@pytest.mark.parametrize("name", MANAGE_PAGES)
def test_manage_page_refuses_an_agent(name, standards, agent, client_for):
    response = client_for(agent).get(_url(name, standards))

    assert response.status_code == 403


@pytest.mark.parametrize("name", READ_PAGES)
def test_read_page_refuses_a_contractor(name, standards, city, make_staff, client_for):
    response = client_for(make_staff(city, Role.CONTRACTOR)).get(_url(name, standards))

    assert response.status_code == 403


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_object_page_is_404_for_another_unit(name, standards, outsider, client_for):
    response = client_for(outsider).get(_url(name, standards))

    assert response.status_code == 404


@pytest.mark.parametrize("name", OBJECT_POSTS)
def test_calendar_action_is_404_for_another_unit_and_changes_nothing(name, standards, outsider, client_for):
    days = CalendarDay.objects.count()

    response = client_for(outsider).post(
        _url(name, standards), {"year": "2025", "date": "2025-10-01", "kind": "workday"}
    )

    assert response.status_code == 404
    assert CalendarDay.objects.count() == days


@pytest.mark.parametrize(
    "name", ["standards:calendar_edit", "standards:calendar_hours", "standards:category_edit", "standards:policy_edit"]
)
def test_edit_page_of_an_inherited_standard_is_403_for_a_city_admin(name, inherited, admin, client_for):
    response = client_for(admin).get(_url(name, inherited))

    assert response.status_code == 403


@pytest.mark.parametrize("name", OBJECT_POSTS)
def test_calendar_action_on_an_inherited_calendar_is_403_and_changes_nothing(name, inherited, admin, client_for):
    audit_rows = AuditEntry.objects.count()

    response = client_for(admin).post(_url(name, inherited), {"year": "2025", "date": "2025-10-01", "kind": "workday"})

    assert response.status_code == 403
    assert AuditEntry.objects.count() == audit_rows


# Calendars


def test_calendar_list_shows_hours_holidays_and_the_units_that_inherit(standards, inherited, admin, client_for):
    team = OrgUnitFactory(name="H小区项目组", parent=standards.calendar.organisation, kind=OrgUnit.Kind.PROJECT_TEAM)

    response = client_for(admin).get(reverse("standards:calendar_list"))

    rows = {row.calendar.name: row for row in response.context["rows"]}
    own = rows["深圳公司工作日历"]
    assert own.users == [team]
    assert own.hours == [(f"{gettext('Monday')}–{gettext('Friday')}", "09:00–12:00 · 13:30–18:00")]
    assert own.calendar.holiday_count == 28
    assert (own.editable, rows["集团工作日历"].editable) == (True, False)


def test_calendar_list_without_calendars_says_what_the_clock_uses(admin, client_for):
    response = client_for(admin).get(reverse("standards:calendar_list"))

    body = response.content.decode()
    assert gettext("No business calendars yet") in body
    assert reverse("standards:calendar_create") in body


@pytest.mark.parametrize("count", [3, 6])
def test_calendar_list_runs_constant_queries(count, group, admin, client_for, django_assert_num_queries):
    for _ in range(count):
        BusinessCalendarFactory(organisation=OrgUnitFactory(parent=admin.unit, kind=OrgUnit.Kind.PROJECT_TEAM))
    client = client_for(admin)
    client.get(reverse("standards:calendar_list"))

    # 4 for the session, user, membership and roles; 3 for the calendars with their holiday count,
    # their working periods and the units that inherit them.
    with django_assert_num_queries(7):
        response = client.get(reverse("standards:calendar_list"))

    assert len(response.context["rows"]) == count


def test_calendar_create_creates_a_calendar_and_redirects_to_it(admin, city, client_for):
    data = {"organisation": city.pk, "name": "深圳公司工作日历", "timezone": "Asia/Shanghai"}

    response = client_for(admin).post(reverse("standards:calendar_create"), data)

    calendar = BusinessCalendar.objects.get(organisation=city)
    assert response.status_code == 302
    assert response.url == reverse("standards:calendar_detail", kwargs={"calendar_id": calendar.pk})
    assert calendar.days.filter(date__year=2026).exists()


def test_calendar_create_offers_only_the_admins_subtree(admin, group, city, client_for):
    response = client_for(admin).get(reverse("standards:calendar_create"))

    assert list(response.context["form"].fields["organisation"].queryset) == [city]


def test_calendar_create_shows_a_second_calendar_as_a_field_error(standards, admin, city, client_for):
    data = {"organisation": city.pk, "name": "又一个", "timezone": "Asia/Shanghai"}

    response = client_for(admin).post(reverse("standards:calendar_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["organisation"] == [
        gettext("%(unit)s already has a business calendar.") % {"unit": city.name}
    ]


def test_calendar_detail_lists_the_years_days_with_names(standards, agent, client_for):
    response = client_for(agent).get(_url("standards:calendar_detail", standards), {"year": "2025"})

    days = {day.date: day.name for day in response.context["days"]}
    assert days[date(2025, 10, 1)] == "国庆节"
    assert days[date(2025, 9, 28)] == "国庆节"
    assert response.context["years"] == [2024, 2025, 2026, 2027]


def test_calendar_detail_year_tab_over_htmx_renders_the_year_only(standards, agent, client_for):
    response = client_for(agent).get(
        _url("standards:calendar_detail", standards), {"year": "2026"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "<html" not in body
    assert "2026-02-17" in body


def test_calendar_detail_warns_of_a_year_without_published_data(standards, admin, client_for):
    response = client_for(admin).get(_url("standards:calendar_detail", standards), {"year": "2027"})

    assert response.context["published"] is False
    assert gettext("Load the State Council schedule for the year, or add the days one by one below.") in (
        response.content.decode()
    )


def test_calendar_detail_of_an_inherited_calendar_offers_no_changes(inherited, admin, client_for):
    response = client_for(admin).get(_url("standards:calendar_detail", inherited))

    body = response.content.decode()
    assert response.context["editable"] is False
    assert reverse("standards:calendar_hours", kwargs={"calendar_id": inherited.calendar.pk}) not in body
    assert reverse("standards:calendar_day_set", kwargs={"calendar_id": inherited.calendar.pk}) not in body


def test_calendar_try_works_out_the_due_time_across_national_day(standards, agent, client_for):
    query = {"start": "2025-09-30T17:50", "hours": "8", "basis": "business"}

    response = client_for(agent).get(_url("standards:calendar_try", standards), query, HTTP_HX_REQUEST="true")

    assert response.context["result"]["due_at"] == datetime(2025, 10, 10, 9, 20, tzinfo=SH)
    assert "2025-10-10 09:20" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_calendar_try_without_htmx_renders_the_whole_page_with_the_result(standards, agent, client_for):
    query = {"start": "2025-09-30T17:50", "hours": "1.5", "basis": "calendar"}

    response = client_for(agent).get(_url("standards:calendar_try", standards), query)

    assert response.context["result"]["due_at"] == datetime(2025, 9, 30, 19, 20, tzinfo=SH)
    assert "<html" in response.content.decode()


def test_calendar_try_refuses_zero_hours(standards, agent, client_for):
    query = {"start": "2025-09-30T17:50", "hours": "0", "basis": "business"}

    response = client_for(agent).get(_url("standards:calendar_try", standards), query, HTTP_HX_REQUEST="true")

    assert response.context["result"] is None
    assert "hours" in response.context["try_form"].errors


def test_calendar_hours_saves_a_saturday_morning_and_a_split_day(standards, admin, client_for):
    data = _hours_data(day_5_0_from="09:00", day_5_0_until="12:00")

    response = client_for(admin).post(_url("standards:calendar_hours", standards), data)

    periods = list(standards.calendar.periods.filter(weekday__in=[0, 5]).values_list("weekday", "starts_at"))
    assert response.status_code == 302
    assert periods == [(0, time(9)), (0, time(13, 30)), (5, time(9))]


def test_calendar_hours_shows_overlapping_periods_on_their_day(standards, admin, client_for):
    data = _hours_data(day_2_1_from="11:00")

    response = client_for(admin).post(_url("standards:calendar_hours", standards), data)

    rows = {row["weekday"]: row["errors"] for row in response.context["form"].rows()}
    assert response.status_code == 200
    assert rows[2] == [gettext("Working periods of one day may not overlap.")]
    assert standards.calendar.periods.count() == 10


def test_calendar_hours_asks_for_both_ends_of_a_period(standards, admin, client_for):
    data = _hours_data(day_5_0_from="09:00")

    response = client_for(admin).post(_url("standards:calendar_hours", standards), data)

    assert response.context["form"].errors["day_5_0_until"] == [
        gettext("Enter both the start and the end of the period, or neither.")
    ]


def test_calendar_edit_saves_the_makeup_weekday(standards, admin, client_for):
    data = {"name": "深圳日历", "timezone": "Asia/Shanghai", "makeup_day_hours_from": "5"}

    client_for(admin).post(_url("standards:calendar_edit", standards), data)

    standards.calendar.refresh_from_db()
    assert (standards.calendar.name, standards.calendar.makeup_day_hours_from) == ("深圳日历", 5)


def test_calendar_load_year_reloads_the_published_schedule(standards, admin, client_for):
    standards.calendar.days.filter(date__year=2025).delete()

    response = client_for(admin).post(_url("standards:calendar_load_year", standards), {"year": "2025"})

    assert response.url.endswith("?year=2025")
    assert standards.calendar.days.filter(date__year=2025).count() == 33
    assert len(_messages(response, SUCCESS)) == 1


def test_calendar_load_year_says_clearly_when_the_year_is_not_published(standards, admin, client_for):
    response = client_for(admin).post(_url("standards:calendar_load_year", standards), {"year": "2027"})

    assert _messages(response, ERROR) == [NoPublishedSchedule(year=2027).message]
    assert not standards.calendar.days.filter(date__year=2027).exists()


def test_calendar_day_set_adds_a_named_makeup_day(standards, admin, client_for):
    data = {"date": "2025-03-08", "kind": "workday", "name": "公司调休"}

    response = client_for(admin).post(_url("standards:calendar_day_set", standards), data)

    day = standards.calendar.days.get(date=date(2025, 3, 8))
    assert response.status_code == 302
    assert (day.kind, day.name) == ("workday", "公司调休")


def test_calendar_day_set_shows_a_missing_date_on_the_form(standards, admin, client_for):
    response = client_for(admin).post(_url("standards:calendar_day_set", standards), {"kind": "holiday"})

    assert response.status_code == 400
    assert "date" in response.context["day_form"].errors


def test_calendar_day_clear_removes_the_day(standards, admin, client_for):
    response = client_for(admin).post(_url("standards:calendar_day_clear", standards), {"date": "2025-10-01"})

    assert response.status_code == 302
    assert not standards.calendar.days.filter(date=date(2025, 10, 1)).exists()


# Categories


def test_category_list_groups_by_kind_and_marks_inherited_ones(standards, inherited, admin, client_for):
    response = client_for(admin).get(reverse("standards:category_list"))

    groups = {str(label): [c.name for c in items] for label, items in response.context["groups"]}
    assert groups == {str(RequestKind.COMPLAINT.label): ["物业服务"], str(RequestKind.REPAIR.label): ["水电维修"]}
    assert response.context["editable"] == {standards.category.pk}


def test_category_list_hides_inactive_ones_unless_asked(standards, admin, client_for):
    RequestCategoryFactory(organisation=standards.category.organisation, name="旧类别", is_active=False)
    client = client_for(admin)

    default = client.get(reverse("standards:category_list"))
    everything = client.get(reverse("standards:category_list"), {"inactive": "on"})

    def names(response) -> set[str]:
        return {c.name for _label, items in response.context["groups"] for c in items}

    assert (names(default), names(everything)) == ({"水电维修"}, {"水电维修", "旧类别"})


@pytest.mark.parametrize("count", [3, 6])
def test_category_list_runs_constant_queries(count, admin, city, client_for, django_assert_num_queries):
    for n in range(count):
        RequestCategoryFactory(organisation=city, kind=RequestKind.values[n % 5])
    client = client_for(admin)
    client.get(reverse("standards:category_list"))

    # 4 for the session, user, membership and roles; 1 for the categories with their units, 2 for
    # the new-category form's unit choices (the select reads them once more for its required attribute).
    with django_assert_num_queries(7):
        response = client.get(reverse("standards:category_list"))

    assert sum(len(items) for _label, items in response.context["groups"]) == count


def test_category_create_creates_and_redirects(admin, city, client_for):
    data = {"organisation": city.pk, "kind": "complaint", "name": "噪音扰民"}

    response = client_for(admin).post(reverse("standards:category_create"), data)

    assert response.status_code == 302
    assert RequestCategory.objects.filter(organisation=city, kind="complaint", name="噪音扰民").exists()


def test_category_create_shows_a_taken_name_on_the_field(standards, admin, city, client_for):
    data = {"organisation": city.pk, "kind": "repair", "name": "水电维修"}

    response = client_for(admin).post(reverse("standards:category_create"), data)

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [gettext("This unit already has a category of that name.")]


def test_category_edit_deactivates(standards, admin, client_for):
    response = client_for(admin).post(_url("standards:category_edit", standards), {"name": "水电维修"})

    standards.category.refresh_from_db()
    assert response.status_code == 302
    assert standards.category.is_active is False


# Policies


def test_policy_list_marks_inherited_policies_read_only(standards, inherited, admin, client_for):
    response = client_for(admin).get(reverse("standards:policy_list"))

    body = response.content.decode()
    assert {p.name for p in response.context["page_obj"]} == {"水电报修", "集团通用标准"}
    assert response.context["editable"] == {standards.policy.pk}
    assert reverse("standards:policy_edit", kwargs={"policy_id": inherited.policy.pk}) not in body
    assert gettext("Inherited") in body


def test_policy_list_filters_by_kind(standards, inherited, agent, client_for):
    response = client_for(agent).get(reverse("standards:policy_list"), {"kind": "repair"}, HTTP_HX_REQUEST="true")

    assert list(response.context["page_obj"]) == [standards.policy]
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("count", [3, 6])
def test_policy_list_runs_constant_queries(count, admin, city, client_for, django_assert_num_queries):
    category = RequestCategoryFactory(organisation=city)
    for _ in range(count):
        SlaPolicyFactory(organisation=city, category=category, kind=category.kind)
    client = client_for(admin)
    client.get(reverse("standards:policy_list"))

    # 4 for the session, user, membership and roles; 2 for the paginator's COUNT and the policies
    # with their units and categories.
    with django_assert_num_queries(6):
        response = client.get(reverse("standards:policy_list"))

    assert len(response.context["page_obj"]) == count


def test_policy_detail_shows_the_handling_guide(standards, agent, client_for):
    response = client_for(agent).get(_url("standards:policy_detail", standards))

    assert "先关总阀。" in response.content.decode()


def test_policy_create_reads_hours_and_minutes(admin, city, client_for):
    response = client_for(admin).post(reverse("standards:policy_create"), _policy_data(organisation=str(city.pk)))

    policy = SlaPolicy.objects.get()
    assert response.status_code == 302
    assert (policy.first_response_time, policy.resolution_time) == (timedelta(minutes=90), timedelta(hours=8))


@pytest.mark.parametrize(("hours", "minutes"), [("-1", "0"), ("0", "0")])
def test_policy_create_says_a_duration_must_be_longer_than_zero(hours, minutes, admin, city, client_for):
    data = _policy_data(organisation=str(city.pk), first_response_time_0=hours, first_response_time_1=minutes)

    response = client_for(admin).post(reverse("standards:policy_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["first_response_time"] == [InvalidDuration().message]
    assert not SlaPolicy.objects.exists()


def test_policy_create_puts_a_resolution_shorter_than_the_first_response_on_its_field(admin, city, client_for):
    data = _policy_data(organisation=str(city.pk), resolution_time_0="1", resolution_time_1="0")

    response = client_for(admin).post(reverse("standards:policy_create"), data)

    assert response.context["form"].errors["resolution_time"] == [
        gettext("The resolution time cannot be shorter than the first response time.")
    ]


def test_policy_create_refuses_minutes_past_59(admin, city, client_for):
    data = _policy_data(organisation=str(city.pk), first_response_time_1="75")

    response = client_for(admin).post(reverse("standards:policy_create"), data)

    assert response.context["form"].errors["first_response_time"] == [gettext("Minutes run from 0 to 59.")]


def test_policy_create_offers_only_the_admins_subtree(admin, city, client_for):
    response = client_for(admin).get(reverse("standards:policy_create"))

    assert list(response.context["form"].fields["organisation"].queryset) == [city]


def test_policy_edit_saves_and_keeps_the_unit(standards, admin, client_for):
    data = _policy_data(name="水电报修（新）", kind="repair", grade="", category=str(standards.category.pk))

    response = client_for(admin).post(_url("standards:policy_edit", standards), data)

    standards.policy.refresh_from_db()
    assert response.status_code == 302
    assert (standards.policy.name, standards.policy.first_response_time) == ("水电报修（新）", timedelta(minutes=90))
    assert standards.policy.organisation == standards.calendar.organisation


def test_policy_edit_of_an_inherited_policy_changes_nothing(inherited, admin, client_for):
    response = client_for(admin).post(_url("standards:policy_edit", inherited), _policy_data(name="改名"))

    inherited.policy.refresh_from_db()
    assert response.status_code == 403
    assert inherited.policy.name == "集团通用标准"


# The policy matcher


def test_policy_match_shows_the_policy_its_reason_and_due_times(standards, inherited, agent, city, client_for):
    query = {"unit": city.pk, "grade": "", "kind": "repair", "category": standards.category.pk, "severity": "normal"}

    response = client_for(agent).get(reverse("standards:policy_match"), query)

    preview = response.context["preview"]
    body = response.content.decode()
    assert preview.match.policy == standards.policy
    assert preview.match.reason in body
    assert "先关总阀。" in body
    # 2 business hours from the eve of National Day: 10 minutes that evening, the rest on 9 October.
    assert preview.first_response_due_at == datetime(2025, 10, 9, 10, 50, tzinfo=SH)
    assert "2025-10-09 10:50" in body


def test_policy_match_over_htmx_renders_the_result_only(standards, agent, city, client_for):
    query = {"unit": city.pk, "kind": "inquiry", "severity": "normal"}

    response = client_for(agent).get(reverse("standards:policy_match"), query, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert gettext("No standard covers this request") in body


def test_policy_match_refuses_a_unit_outside_the_viewers_scope(standards, agent, other_city, client_for):
    query = {"unit": other_city.pk, "kind": "repair", "severity": "normal"}

    response = client_for(agent).get(reverse("standards:policy_match"), query)

    assert response.context["preview"] is None
    assert "unit" in response.context["form"].errors


def test_calendar_try_refuses_a_start_beyond_2100(standards, agent, client_for):
    query = {"start": "9999-12-31T23:00", "hours": "8", "basis": "business"}

    response = client_for(agent).get(_url("standards:calendar_try", standards), query, HTTP_HX_REQUEST="true")

    assert response.context["try_form"].errors["start"] == [gettext("Choose a time between 2000 and 2100.")]
