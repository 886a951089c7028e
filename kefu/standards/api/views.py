"""The service-standards API: calendars and their days, business-time arithmetic, request categories,
SLA policies and the policy matcher. Reads go through the selectors (a viewer also sees the units
above theirs, read-only), writes through the services, which refuse another unit's standards."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.core.api.filters import FilterSerializer, id_filter, parse_filters
from kefu.core.api.pagination import KeysetPagination
from kefu.core.api.serializers import ERROR_RESPONSES, ErrorSerializer
from kefu.core.api.views import ListApi, resolve_or_field_error, valid_body, viewer_of
from kefu.core.errors import KefuError
from kefu.customers.models import Grade
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.selectors import unit_get
from kefu.standards import selectors, services
from kefu.standards.api.serializers import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_MINUTES,
    CalendarCreateInputSerializer,
    CalendarDayClearInputSerializer,
    CalendarDayInputSerializer,
    CalendarDayOutputSerializer,
    CalendarLoadYearInputSerializer,
    CalendarLoadYearOutputSerializer,
    CalendarOutputSerializer,
    CategoryInputSerializer,
    CategoryOutputSerializer,
    DueAtOutputSerializer,
    PolicyCreateInputSerializer,
    PolicyMatchOutputSerializer,
    PolicyOutputSerializer,
    PolicyUpdateInputSerializer,
)
from kefu.standards.models import BusinessCalendar, RequestKind, Severity, TimeBasis

WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorSerializer}
TAGS = ["standards"]

# The services name durations as the model does; the API speaks in minutes.
API_FIELD_NAMES = {
    "first_response_time": "first_response_minutes",
    "resolution_time": "resolution_minutes",
    "head_escalation_after": "head_escalation_minutes",
    "revisit_within": "revisit_minutes",
    "day": "date",
}


class DayFilters(FilterSerializer):
    year = serializers.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)


class DueAtInputSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="When the clock starts, e.g. 2025-09-30T17:50:00+08:00.")
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_MINUTES, help_text="The promised duration.")
    time_basis = serializers.ChoiceField(choices=TimeBasis.choices, required=False, default=TimeBasis.BUSINESS)

    def validate_start(self, value: Any) -> Any:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise serializers.ValidationError(
                _("Choose a time between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return value


class CategoryFilters(FilterSerializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices, required=False, allow_blank=True)
    active_only = serializers.BooleanField(required=False, default=False, help_text="Leave out inactive categories.")


class PolicyFilters(FilterSerializer):
    grade = serializers.ChoiceField(choices=Grade.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=RequestKind.choices, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True)
    category = id_filter(help_text="Policies that name this category.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class PolicyMatchFilters(FilterSerializer):
    unit_id = id_filter(help_text="The unit the request belongs to; the caller's own unit when left out.")
    grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, help_text="Blank: an ungraded customer."
    )
    kind = serializers.ChoiceField(
        choices=RequestKind.choices, required=False, allow_blank=True, help_text="Blank: only catch-all policies."
    )
    category_id = id_filter()
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.NORMAL)


class DayPagination(KeysetPagination):
    ordering = ("date", "id")


@contextmanager
def _api_field_names() -> Iterator[None]:
    try:
        yield
    except KefuError as exc:
        exc.field = API_FIELD_NAMES.get(exc.field or "", exc.field)
        raise


def _calendar(request: Request, calendar_id: int) -> BusinessCalendar:
    return selectors.calendar_get(viewer=viewer_of(request), calendar_id=calendar_id)


def _unit(viewer: Membership, unit_id: int | None, field: str = "organisation") -> OrgUnit:
    if unit_id is None:
        return viewer.unit
    return resolve_or_field_error(field, lambda: unit_get(viewer=viewer, unit_id=unit_id))


def _policy_values(viewer: Membership, fields: dict[str, Any]) -> dict[str, Any]:
    """Input fields as the policy services take them: minutes become durations, a category id its category."""
    values = {name: value for name, value in fields.items() if not name.endswith("_minutes")}
    category_id = values.pop("category")
    values["category"] = (
        resolve_or_field_error("category", lambda: selectors.category_get(viewer=viewer, category_id=category_id))
        if category_id is not None
        else None
    )
    for api_name, name in API_FIELD_NAMES.items():
        if name in fields:
            values[api_name] = timedelta(minutes=fields[name])
    return values


# Business calendars


class CalendarListApi(ListApi):
    @extend_schema(
        operation_id="calendar_list",
        responses={200: CalendarOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Calendars of the caller's units and of the units above, which units without one inherit.",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.calendar_list(viewer=viewer_of(request)), CalendarOutputSerializer)

    @extend_schema(
        operation_id="calendar_create",
        request=CalendarCreateInputSerializer,
        responses={201: CalendarOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="A calendar for a unit, with office hours and every published year's holidays; 409 if the "
        "unit has one already.",
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(CalendarCreateInputSerializer, request)
        unit = _unit(viewer, fields.get("organisation"))
        calendar = services.calendar_create(
            actor=viewer, unit=unit, name=fields["name"], timezone_name=fields["timezone"]
        )
        return Response(CalendarOutputSerializer(_calendar(request, calendar.pk)).data, status=201)


class CalendarDetailApi(APIView):
    @extend_schema(
        operation_id="calendar_retrieve", responses={200: CalendarOutputSerializer, **ERROR_RESPONSES}, tags=TAGS
    )
    def get(self, request: Request, calendar_id: int) -> Response:
        return Response(CalendarOutputSerializer(_calendar(request, calendar_id)).data)


class CalendarDaysApi(ListApi):
    pagination_class = DayPagination

    @extend_schema(
        operation_id="calendar_day_list",
        parameters=[DayFilters],
        responses={200: CalendarDayOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Public holidays and make-up working days (调休), by date.",
    )
    def get(self, request: Request, calendar_id: int) -> Response:
        calendar = _calendar(request, calendar_id)
        filters = parse_filters(DayFilters, request)
        return self.paginated(selectors.calendar_days(calendar=calendar, **filters), CalendarDayOutputSerializer)

    @extend_schema(
        operation_id="calendar_day_set",
        request=CalendarDayInputSerializer,
        responses={200: CalendarDayOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Make a date a holiday or a make-up working day, replacing what it was.",
    )
    def post(self, request: Request, calendar_id: int) -> Response:
        calendar = _calendar(request, calendar_id)
        fields = valid_body(CalendarDayInputSerializer, request)
        with _api_field_names():
            entry = services.calendar_day_set(
                actor=viewer_of(request),
                calendar=calendar,
                day=fields["date"],
                kind=fields["kind"],
                name=fields["name"],
            )
        return Response(CalendarDayOutputSerializer(entry).data)


class CalendarDayClearApi(APIView):
    @extend_schema(
        operation_id="calendar_day_clear",
        request=CalendarDayClearInputSerializer,
        responses={204: None, **WRITE_ERRORS},
        tags=TAGS,
        description="Let a date follow its weekday again.",
    )
    def post(self, request: Request, calendar_id: int) -> Response:
        calendar = _calendar(request, calendar_id)
        fields = valid_body(CalendarDayClearInputSerializer, request)
        services.calendar_day_clear(actor=viewer_of(request), calendar=calendar, day=fields["date"])
        return Response(status=204)


class CalendarLoadYearApi(APIView):
    @extend_schema(
        operation_id="calendar_load_year",
        request=CalendarLoadYearInputSerializer,
        responses={200: CalendarLoadYearOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Replace the year's days with the State Council schedule; 400 (no_published_schedule) for a "
        "year the built-in data does not have yet.",
    )
    def post(self, request: Request, calendar_id: int) -> Response:
        calendar = _calendar(request, calendar_id)
        year = valid_body(CalendarLoadYearInputSerializer, request)["year"]
        count = services.calendar_load_year(actor=viewer_of(request), calendar=calendar, year=year)
        return Response(CalendarLoadYearOutputSerializer({"year": year, "days": count}).data)


class CalendarDueAtApi(APIView):
    @extend_schema(
        operation_id="calendar_due_at",
        request=DueAtInputSerializer,
        responses={200: DueAtOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="When a promise of `minutes`, started at `start`, falls due on this calendar: business "
        "hours skip nights, weekends, lunch breaks and holidays and count make-up working days.",
    )
    def post(self, request: Request, calendar_id: int) -> Response:
        calendar = _calendar(request, calendar_id)
        query = valid_body(DueAtInputSerializer, request)
        due = selectors.calendar_due_at(
            calendar=calendar,
            start=query["start"],
            duration=timedelta(minutes=query["minutes"]),
            basis=query["time_basis"],
        )
        body = {"calendar": calendar.pk, **query, "due_at": due}
        return Response(DueAtOutputSerializer(body).data)


# Request categories


class CategoryListApi(ListApi):
    @extend_schema(
        operation_id="category_list",
        parameters=[CategoryFilters],
        responses={200: CategoryOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Categories of the caller's units and of the units above.",
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(CategoryFilters, request)
        categories = selectors.category_list(viewer=viewer_of(request), **filters)
        return self.paginated(categories, CategoryOutputSerializer)

    @extend_schema(
        operation_id="category_create",
        request=CategoryInputSerializer,
        responses={201: CategoryOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(CategoryInputSerializer, request)
        unit = _unit(viewer, fields.pop("organisation", None))
        category = services.category_create(actor=viewer, unit=unit, **fields)
        category = selectors.category_get(viewer=viewer, category_id=category.pk)
        return Response(CategoryOutputSerializer(category).data, status=201)


# SLA policies


class PolicyListApi(ListApi):
    @extend_schema(
        operation_id="policy_list",
        parameters=[PolicyFilters],
        responses={200: PolicyOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Policies that apply to the caller's unit (its own and the units' above) and those below it. "
        "Filters keep policies that name the value exactly.",
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(PolicyFilters, request, category="category_id")
        return self.paginated(selectors.policy_list(viewer=viewer_of(request), **filters), PolicyOutputSerializer)

    @extend_schema(
        operation_id="policy_create",
        request=PolicyCreateInputSerializer,
        responses={201: PolicyOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(PolicyCreateInputSerializer, request)
        unit = _unit(viewer, fields.pop("organisation", None))
        with _api_field_names():
            policy = services.policy_create(actor=viewer, unit=unit, **_policy_values(viewer, fields))
        return Response(
            PolicyOutputSerializer(selectors.policy_get(viewer=viewer, policy_id=policy.pk)).data, status=201
        )


class PolicyDetailApi(APIView):
    @extend_schema(
        operation_id="policy_retrieve", responses={200: PolicyOutputSerializer, **ERROR_RESPONSES}, tags=TAGS
    )
    def get(self, request: Request, policy_id: int) -> Response:
        return Response(
            PolicyOutputSerializer(selectors.policy_get(viewer=viewer_of(request), policy_id=policy_id)).data
        )

    @extend_schema(
        operation_id="policy_update",
        request=PolicyUpdateInputSerializer,
        responses={200: PolicyOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Replace a policy's criteria and promises. A policy of a unit above the caller's is read-only "
        "(403). Tickets already logged keep their due times.",
    )
    def put(self, request: Request, policy_id: int) -> Response:
        viewer = viewer_of(request)
        policy = selectors.policy_get(viewer=viewer, policy_id=policy_id)
        fields = valid_body(PolicyUpdateInputSerializer, request)
        with _api_field_names():
            policy = services.policy_update(actor=viewer, policy=policy, **_policy_values(viewer, fields))
        return Response(PolicyOutputSerializer(selectors.policy_get(viewer=viewer, policy_id=policy.pk)).data)


class PolicyMatchApi(APIView):
    @extend_schema(
        operation_id="policy_match",
        parameters=[PolicyMatchFilters],
        responses={200: PolicyMatchOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="The most specific active policy a request of the unit would get, the criteria compared and "
        "the reason; `policy` is null when none covers it.",
    )
    def get(self, request: Request) -> Response:
        viewer = viewer_of(request)
        query = parse_filters(PolicyMatchFilters, request)
        unit = _unit(viewer, query.get("unit_id"), field="unit_id")
        category_id = query.get("category_id")
        category = (
            resolve_or_field_error(
                "category_id", lambda: selectors.category_get(viewer=viewer, category_id=category_id)
            )
            if category_id
            else None
        )
        match = selectors.policy_match(
            organisation=unit,
            grade=query.get("grade", ""),
            kind=query.get("kind", ""),
            category=category,
            severity=query["severity"],
        )
        return Response(PolicyMatchOutputSerializer(match).data)
