"""The service-standards API: each endpoint's documented statuses, scoping (another unit's rows are
404, the units above read-only) and the error shape."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.translation import gettext
from rest_framework.test import APIClient

from kefu.core.roles import Role
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory
from kefu.standards.models import BusinessCalendar, CalendarDay, RequestCategory, RequestKind, SlaPolicy
from kefu.standards.tests.factories import BusinessCalendarFactory, RequestCategoryFactory, SlaPolicyFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SH), tick=False):
        yield


@dataclass(frozen=True)
class Standards:
    calendar: BusinessCalendar
    category: RequestCategory
    policy: SlaPolicy


@pytest.fixture
def standards(city: OrgUnit) -> Standards:
    calendar = BusinessCalendarFactory(organisation=city, name="深圳公司工作日历")
    category = RequestCategoryFactory(organisation=city, kind=RequestKind.REPAIR, name="水电维修")
    policy = SlaPolicyFactory(organisation=city, name="水电报修", kind=RequestKind.REPAIR, category=category)
    return Standards(calendar=calendar, category=category, policy=policy)


@pytest.fixture
def inherited(group: OrgUnit) -> Standards:
    calendar = BusinessCalendarFactory(organisation=group, name="集团工作日历")
    category = RequestCategoryFactory(organisation=group, kind=RequestKind.COMPLAINT, name="物业服务")
    policy = SlaPolicyFactory(organisation=group, name="集团通用标准")
    return Standards(calendar=calendar, category=category, policy=policy)


@pytest.fixture
def contractor(city, make_staff):
    return make_staff(city, Role.CONTRACTOR)


def _policy_body(**overrides: object) -> dict[str, object]:
    return {
        "name": "VIP 投诉",
        "grade": "vip",
        "kind": "complaint",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
        **overrides,
    }


READ_ENDPOINTS = [
    "/api/v1/calendars/",
    "/api/v1/calendars/{calendar}/",
    "/api/v1/calendars/{calendar}/days/",
    "/api/v1/categories/",
    "/api/v1/policies/",
    "/api/v1/policies/{policy}/",
    "/api/v1/policies/match/",
]


def _path(template: str, s: Standards) -> str:
    return template.format(calendar=s.calendar.pk, policy=s.policy.pk)


# Who may call what


@pytest.mark.parametrize("template", READ_ENDPOINTS)
def test_read_endpoint_answers_an_agent(template, standards, agent, api_client_for):
    response = api_client_for(agent).get(_path(template, standards))

    assert response.status_code == 200


@pytest.mark.parametrize("template", READ_ENDPOINTS)
def test_read_endpoint_is_401_for_an_anonymous_caller(template, standards):
    response = APIClient().get(_path(template, standards))

    assert response.status_code == 401


@pytest.mark.parametrize("template", READ_ENDPOINTS)
def test_read_endpoint_is_403_for_a_contractor(template, standards, contractor, api_client_for):
    response = api_client_for(contractor).get(_path(template, standards))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    "template", ["/api/v1/calendars/{calendar}/", "/api/v1/calendars/{calendar}/days/", "/api/v1/policies/{policy}/"]
)
def test_object_endpoint_is_404_for_another_unit(template, standards, outsider, api_client_for):
    response = api_client_for(outsider).get(_path(template, standards))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Calendars


def test_calendar_list_returns_own_and_inherited_calendars_with_periods(standards, inherited, agent, api_client_for):
    response = api_client_for(agent).get("/api/v1/calendars/")

    results = response.json()["results"]
    assert [c["name"] for c in results] == ["深圳公司工作日历", "集团工作日历"]
    assert results[0]["periods"][:2] == [
        {"weekday": 0, "starts_at": "09:00", "ends_at": "12:00"},
        {"weekday": 0, "starts_at": "13:30", "ends_at": "18:00"},
    ]


def test_calendar_list_hides_a_sibling_units_calendar(standards, outsider, api_client_for):
    response = api_client_for(outsider).get("/api/v1/calendars/")

    assert response.json()["results"] == []


@pytest.mark.parametrize("count", [3, 6])
def test_calendar_list_runs_constant_queries(count, admin, client_for, django_assert_num_queries):
    for _ in range(count):
        BusinessCalendarFactory(organisation=OrgUnitFactory(parent=admin.unit, kind=OrgUnit.Kind.PROJECT_TEAM))
    client = client_for(admin)  # a real session: the count includes loading the user and roles
    client.get("/api/v1/calendars/")

    # 4 for the session, user, membership and roles; 2 for the calendars and their periods.
    with django_assert_num_queries(6):
        response = client.get("/api/v1/calendars/")

    assert len(response.json()["results"]) == count


def test_calendar_create_returns_201_with_office_hours(admin, city, api_client_for):
    response = api_client_for(admin).post("/api/v1/calendars/", {"name": "深圳公司工作日历"}, format="json")

    assert response.status_code == 201
    assert response.json()["organisation"] == city.pk
    assert len(response.json()["periods"]) == 10


def test_calendar_create_is_400_for_an_unknown_time_zone(admin, api_client_for):
    response = api_client_for(admin).post("/api/v1/calendars/", {"name": "x", "timezone": "Mars/Base"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["timezone"]


def test_calendar_create_is_400_for_a_unit_above_the_caller(admin, group, api_client_for):
    response = api_client_for(admin).post(
        "/api/v1/calendars/", {"name": "集团", "organisation": group.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["organisation"]
    assert not BusinessCalendar.objects.exists()


def test_calendar_create_is_403_for_an_agent(agent, api_client_for):
    response = api_client_for(agent).post("/api/v1/calendars/", {"name": "深圳"}, format="json")

    assert response.status_code == 403
    assert not BusinessCalendar.objects.exists()


def test_calendar_create_is_409_when_the_unit_has_one(standards, admin, api_client_for):
    response = api_client_for(admin).post("/api/v1/calendars/", {"name": "又一个"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "calendar_exists"


def test_calendar_detail_reads_an_inherited_calendar(inherited, agent, api_client_for):
    response = api_client_for(agent).get(f"/api/v1/calendars/{inherited.calendar.pk}/")

    assert response.status_code == 200
    assert response.json()["organisation_name"] == "华景集团"


def test_calendar_days_filters_by_year(standards, agent, api_client_for):
    response = api_client_for(agent).get(f"/api/v1/calendars/{standards.calendar.pk}/days/?year=2025&page_size=200")

    days = response.json()["results"]
    assert len(days) == 33
    assert {"date": "2025-09-28", "kind": "workday", "name": "国庆节"} in days
    assert {d["date"][:4] for d in days} == {"2025"}


def test_calendar_days_is_400_for_a_year_out_of_range(standards, agent, api_client_for):
    response = api_client_for(agent).get(f"/api/v1/calendars/{standards.calendar.pk}/days/?year=1900")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["year"]


@pytest.mark.parametrize("extra", [0, 3])
def test_calendar_days_runs_constant_queries(extra, standards, admin, client_for, django_assert_num_queries):
    for n in range(extra):
        CalendarDay.objects.create(calendar=standards.calendar, date=date(2025, 3, 3 + n), kind="holiday")
    client = client_for(admin)
    client.get(f"/api/v1/calendars/{standards.calendar.pk}/days/")

    # 4 for the session, user, membership and roles; 2 for the calendar with its periods; 1 for the days.
    with django_assert_num_queries(7):
        response = client.get(f"/api/v1/calendars/{standards.calendar.pk}/days/?year=2025&page_size=200")

    assert len(response.json()["results"]) == 28 + 5 + extra


def test_calendar_day_set_returns_the_day(standards, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/",
        {"date": "2025-03-08", "kind": "workday", "name": "公司调休"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"date": "2025-03-08", "kind": "workday", "name": "公司调休"}
    assert standards.calendar.days.filter(date=date(2025, 3, 8), kind="workday").exists()


def test_calendar_day_set_is_400_for_an_unknown_kind(standards, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/", {"date": "2025-03-08", "kind": "party"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]


def test_calendar_day_set_is_403_for_a_city_admin_on_the_groups_calendar(inherited, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{inherited.calendar.pk}/days/", {"date": "2025-03-08", "kind": "workday"}, format="json"
    )

    assert response.status_code == 403
    assert not inherited.calendar.days.filter(date=date(2025, 3, 8)).exists()


def test_calendar_day_set_is_404_for_another_unit(standards, outsider, api_client_for):
    response = api_client_for(outsider).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/", {"date": "2025-03-08", "kind": "workday"}, format="json"
    )

    assert response.status_code == 404


def test_calendar_day_clear_returns_204_and_removes_the_day(standards, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/clear/", {"date": "2025-10-01"}, format="json"
    )

    assert response.status_code == 204
    assert not standards.calendar.days.filter(date=date(2025, 10, 1)).exists()


def test_calendar_day_clear_is_400_without_a_date(standards, admin, api_client_for):
    response = api_client_for(admin).post(f"/api/v1/calendars/{standards.calendar.pk}/days/clear/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["date"]


def test_calendar_day_clear_is_403_for_an_agent(standards, agent, api_client_for):
    response = api_client_for(agent).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/clear/", {"date": "2025-10-01"}, format="json"
    )

    assert response.status_code == 403
    assert standards.calendar.days.filter(date=date(2025, 10, 1)).exists()


def test_calendar_day_clear_is_404_for_another_unit(standards, outsider, api_client_for):
    response = api_client_for(outsider).post(
        f"/api/v1/calendars/{standards.calendar.pk}/days/clear/", {"date": "2025-10-01"}, format="json"
    )

    assert response.status_code == 404
    assert standards.calendar.days.filter(date=date(2025, 10, 1)).exists()


def test_calendar_load_year_returns_the_number_of_days(standards, admin, api_client_for):
    standards.calendar.days.filter(date__year=2026).delete()

    response = api_client_for(admin).post(
        f"/api/v1/calendars/{standards.calendar.pk}/load-year/", {"year": 2026}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"year": 2026, "days": 39}
    assert standards.calendar.days.filter(date__year=2026).count() == 39


def test_calendar_load_year_is_400_for_a_year_not_yet_published(standards, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{standards.calendar.pk}/load-year/", {"year": 2027}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "no_published_schedule"
    assert response.json()["fields"] == {"year": [response.json()["message"]]}


def test_calendar_load_year_is_403_for_a_city_admin_on_the_groups_calendar(inherited, admin, api_client_for):
    response = api_client_for(admin).post(
        f"/api/v1/calendars/{inherited.calendar.pk}/load-year/", {"year": 2025}, format="json"
    )

    assert response.status_code == 403


def test_calendar_load_year_is_404_for_another_unit(standards, outsider, api_client_for):
    response = api_client_for(outsider).post(
        f"/api/v1/calendars/{standards.calendar.pk}/load-year/", {"year": 2025}, format="json"
    )

    assert response.status_code == 404


# Business-time arithmetic


def test_calendar_due_at_skips_national_day(standards, agent, api_client_for):
    body = {"start": "2025-09-30T17:50:00+08:00", "minutes": 480, "time_basis": "business"}

    response = api_client_for(agent).post(f"/api/v1/calendars/{standards.calendar.pk}/due-at/", body, format="json")

    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["due_at"]) == datetime(2025, 10, 10, 9, 20, tzinfo=SH)


def test_calendar_due_at_in_calendar_hours_runs_through_the_night(standards, agent, api_client_for):
    body = {"start": "2025-09-30T17:50:00+08:00", "minutes": 480, "time_basis": "calendar"}

    response = api_client_for(agent).post(f"/api/v1/calendars/{standards.calendar.pk}/due-at/", body, format="json")

    assert datetime.fromisoformat(response.json()["due_at"]) == datetime(2025, 10, 1, 1, 50, tzinfo=SH)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2025-09-30T17:50:00+08:00", "minutes": 0}, "minutes"),
        ({"start": "1900-01-01T09:00:00+08:00", "minutes": 60}, "start"),
        ({"minutes": 60}, "start"),
    ],
)
def test_calendar_due_at_is_400_for_bad_input(body, field, standards, agent, api_client_for):
    response = api_client_for(agent).post(f"/api/v1/calendars/{standards.calendar.pk}/due-at/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_calendar_due_at_is_403_for_a_contractor(standards, contractor, api_client_for):
    body = {"start": "2025-09-30T17:50:00+08:00", "minutes": 60}

    response = api_client_for(contractor).post(
        f"/api/v1/calendars/{standards.calendar.pk}/due-at/", body, format="json"
    )

    assert response.status_code == 403


def test_calendar_due_at_is_404_for_another_unit(standards, outsider, api_client_for):
    body = {"start": "2025-09-30T17:50:00+08:00", "minutes": 60}

    response = api_client_for(outsider).post(f"/api/v1/calendars/{standards.calendar.pk}/due-at/", body, format="json")

    assert response.status_code == 404


# Categories


def test_category_list_returns_own_and_inherited_and_filters_by_kind(standards, inherited, agent, api_client_for):
    everything = api_client_for(agent).get("/api/v1/categories/")
    complaints = api_client_for(agent).get("/api/v1/categories/?kind=complaint")

    assert {c["name"] for c in everything.json()["results"]} == {"水电维修", "物业服务"}
    assert [c["name"] for c in complaints.json()["results"]] == ["物业服务"]


@pytest.mark.parametrize("count", [3, 6])
def test_category_list_runs_constant_queries(count, admin, city, client_for, django_assert_num_queries):
    for _ in range(count):
        RequestCategoryFactory(organisation=city)
    client = client_for(admin)
    client.get("/api/v1/categories/")

    # 4 for the session, user, membership and roles; 1 for the categories with their units.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/categories/")

    assert len(response.json()["results"]) == count


def test_category_create_returns_201(admin, city, api_client_for):
    response = api_client_for(admin).post(
        "/api/v1/categories/", {"kind": "complaint", "name": "噪音扰民"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["organisation"], response.json()["name"]) == (city.pk, "噪音扰民")


def test_category_create_is_400_for_a_taken_name(standards, admin, api_client_for):
    response = api_client_for(admin).post("/api/v1/categories/", {"kind": "repair", "name": "水电维修"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"name": [gettext("This unit already has a category of that name.")]}


def test_category_create_is_400_for_a_sibling_unit(admin, other_city, api_client_for):
    response = api_client_for(admin).post(
        "/api/v1/categories/", {"kind": "repair", "name": "水电", "organisation": other_city.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["organisation"]
    assert not RequestCategory.objects.exists()


def test_category_create_is_403_for_an_agent(agent, api_client_for):
    response = api_client_for(agent).post("/api/v1/categories/", {"kind": "repair", "name": "水电"}, format="json")

    assert response.status_code == 403
    assert not RequestCategory.objects.exists()


# Policies


def test_policy_list_returns_durations_in_minutes(standards, inherited, agent, api_client_for):
    response = api_client_for(agent).get("/api/v1/policies/?kind=repair")

    (policy,) = response.json()["results"]
    assert (policy["name"], policy["category_name"], policy["first_response_minutes"]) == ("水电报修", "水电维修", 120)
    assert (policy["resolution_minutes"], policy["revisit_minutes"]) == (480, 1440)


@pytest.mark.parametrize("count", [3, 6])
def test_policy_list_runs_constant_queries(count, admin, city, client_for, django_assert_num_queries):
    category = RequestCategoryFactory(organisation=city)
    for _ in range(count):
        SlaPolicyFactory(organisation=city, category=category, kind=category.kind)
    client = client_for(admin)
    client.get("/api/v1/policies/")

    # 4 for the session, user, membership and roles; 1 for the policies with their units and categories.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/policies/")

    assert len(response.json()["results"]) == count


def test_policy_create_returns_201(admin, city, api_client_for):
    response = api_client_for(admin).post("/api/v1/policies/", _policy_body(), format="json")

    assert response.status_code == 201
    policy = SlaPolicy.objects.get()
    assert (policy.organisation, policy.first_response_time) == (city, timedelta(hours=1))


def test_policy_create_puts_a_short_resolution_on_its_minutes_field(admin, api_client_for):
    response = api_client_for(admin).post("/api/v1/policies/", _policy_body(resolution_minutes=30), format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["resolution_minutes"]
    assert not SlaPolicy.objects.exists()


def test_policy_create_is_400_for_a_negative_duration(admin, api_client_for):
    response = api_client_for(admin).post("/api/v1/policies/", _policy_body(first_response_minutes=-30), format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["first_response_minutes"]


def test_policy_create_is_400_for_a_category_of_another_unit(admin, other_city, api_client_for):
    category = RequestCategoryFactory(organisation=other_city, kind=RequestKind.COMPLAINT)

    response = api_client_for(admin).post("/api/v1/policies/", _policy_body(category=category.pk), format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["category"]


def test_policy_create_is_403_for_an_agent(agent, api_client_for):
    response = api_client_for(agent).post("/api/v1/policies/", _policy_body(), format="json")

    assert response.status_code == 403
    assert not SlaPolicy.objects.exists()


def test_policy_detail_reads_an_inherited_policy(inherited, agent, api_client_for):
    response = api_client_for(agent).get(f"/api/v1/policies/{inherited.policy.pk}/")

    assert response.status_code == 200
    assert response.json()["organisation_name"] == "华景集团"


def test_policy_update_replaces_the_promise(standards, admin, api_client_for):
    body = _policy_body(
        name="水电报修", grade="", kind="repair", category=standards.category.pk, resolution_minutes=960
    )

    response = api_client_for(admin).put(f"/api/v1/policies/{standards.policy.pk}/", body, format="json")

    standards.policy.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["resolution_minutes"] == 960
    assert standards.policy.resolution_time == timedelta(hours=16)


def test_policy_update_says_why_a_duration_is_refused(standards, admin, api_client_for):
    body = _policy_body(kind="repair", first_response_minutes=600, resolution_minutes=480)

    response = api_client_for(admin).put(f"/api/v1/policies/{standards.policy.pk}/", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "resolution_minutes": [gettext("The resolution time cannot be shorter than the first response time.")]
    }


def test_policy_update_is_403_for_a_city_admin_on_the_groups_policy(inherited, admin, api_client_for):
    response = api_client_for(admin).put(f"/api/v1/policies/{inherited.policy.pk}/", _policy_body(), format="json")

    inherited.policy.refresh_from_db()
    assert response.status_code == 403
    assert inherited.policy.name == "集团通用标准"


def test_policy_update_is_404_for_another_unit(standards, outsider, api_client_for):
    response = api_client_for(outsider).put(f"/api/v1/policies/{standards.policy.pk}/", _policy_body(), format="json")

    assert response.status_code == 404


# The matcher


def test_policy_match_returns_the_policy_the_criteria_and_the_reason(standards, inherited, agent, city, api_client_for):
    query = f"?unit_id={city.pk}&kind=repair&category_id={standards.category.pk}&severity=normal"

    response = api_client_for(agent).get(f"/api/v1/policies/match/{query}")

    body = response.json()
    assert response.status_code == 200
    assert (body["policy"]["id"], body["candidates"]) == (standards.policy.pk, 2)
    assert [c["name"] for c in body["criteria"]] == ["category", "severity", "grade", "kind"]
    assert body["criteria"][0]["policy_value"] == "水电维修"
    assert "水电报修" in body["reason"]


def test_policy_match_returns_no_policy_when_none_covers_the_request(agent, api_client_for):
    response = api_client_for(agent).get("/api/v1/policies/match/?kind=praise")

    assert response.status_code == 200
    assert (response.json()["policy"], response.json()["criteria"]) == (None, [])


def test_policy_match_is_400_for_a_unit_of_another_branch(standards, agent, other_city, api_client_for):
    response = api_client_for(agent).get(f"/api/v1/policies/match/?unit_id={other_city.pk}&kind=repair")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["unit_id"]


def test_policy_match_is_400_for_an_unknown_kind(agent, api_client_for):
    response = api_client_for(agent).get("/api/v1/policies/match/?kind=gossip")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]
