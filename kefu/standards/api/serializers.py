"""Serializers for the service-standards API.

Input serializers check shape only; the services check the rules (a resolution time shorter than
the first response, a category of another unit, an unknown time zone). Durations travel as whole
minutes. Output serializers read only what the selectors load.
"""

from datetime import timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kefu.core.api.filters import MAX_ID
from kefu.customers.models import Grade
from kefu.standards.models import (
    BusinessCalendar,
    CalendarDay,
    RequestCategory,
    RequestKind,
    Severity,
    SlaPolicy,
    TimeBasis,
    WorkingPeriod,
)

# A promise longer than a year is a typing mistake, and the arithmetic must stay in range.
MAX_MINUTES = 365 * 24 * 60
FIRST_YEAR, LAST_YEAR = 2000, 2100


def minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _minutes_field(help_text: str, **kwargs: object) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_MINUTES, help_text=help_text, **kwargs)


def _unit_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Organisation unit that owns it; the caller's own unit when left out.",
    )


# Inputs


class CalendarCreateInputSerializer(serializers.Serializer):
    organisation = _unit_field()
    name = serializers.CharField(max_length=60)
    timezone = serializers.CharField(
        max_length=50, required=False, default="Asia/Shanghai", help_text="An IANA zone, e.g. Asia/Shanghai."
    )


class CalendarDayInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=CalendarDay.Kind.choices)
    name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class CalendarDayClearInputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The date that follows its weekday again.")


class CalendarLoadYearInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)


class CategoryInputSerializer(serializers.Serializer):
    organisation = _unit_field()
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    name = serializers.CharField(max_length=50)


class PolicyUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, default="", help_text="Blank: any grade."
    )
    kind = serializers.ChoiceField(
        choices=RequestKind.choices, required=False, allow_blank=True, default="", help_text="Blank: any kind."
    )
    category = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None, help_text="Null: any category."
    )
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True, default="", help_text="Blank: any severity."
    )
    first_response_minutes = _minutes_field("First response within this many minutes.")
    resolution_minutes = _minutes_field("Resolve within this many minutes; not less than the first response.")
    time_basis = serializers.ChoiceField(choices=TimeBasis.choices, required=False, default=TimeBasis.BUSINESS)
    warn_at_percent = serializers.IntegerField(min_value=1, max_value=99, required=False, default=80)
    head_escalation_minutes = _minutes_field(
        "Escalate to the unit head this many minutes after the breach.", required=False, default=240
    )
    revisit_minutes = _minutes_field("Revisit within this many minutes of resolution.", required=False, default=1440)
    handling_guide = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class PolicyCreateInputSerializer(PolicyUpdateInputSerializer):
    organisation = _unit_field()


# Query-string filters live in views.py (kefu.core.api.filters style); outputs follow.


class WorkingPeriodOutputSerializer(serializers.ModelSerializer):
    # Wall-clock times of the calendar's zone, which JSON Schema's "time" (it wants an offset) cannot say.
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()

    class Meta:
        model = WorkingPeriod
        fields = ["weekday", "starts_at", "ends_at"]

    @extend_schema_field(serializers.CharField(help_text="HH:MM in the calendar's time zone."))
    def get_starts_at(self, period: WorkingPeriod) -> str:
        return f"{period.starts_at:%H:%M}"

    @extend_schema_field(serializers.CharField(help_text="HH:MM in the calendar's time zone."))
    def get_ends_at(self, period: WorkingPeriod) -> str:
        return f"{period.ends_at:%H:%M}"


class CalendarOutputSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name")
    periods = WorkingPeriodOutputSerializer(many=True, help_text="Working periods; weekday 0 is Monday.")

    class Meta:
        model = BusinessCalendar
        fields = ["id", "organisation", "organisation_name", "name", "timezone", "makeup_day_hours_from", "periods"]


class CalendarDayOutputSerializer(serializers.ModelSerializer):
    # A plain string here keeps one enum component (CalendarDayInputKindEnum) for the choice set.
    kind = serializers.CharField(help_text="holiday (public holiday) or workday (make-up working day, 调休).")

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]


class CalendarLoadYearOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    days = serializers.IntegerField(help_text="Holidays and make-up working days loaded.")


class DueAtOutputSerializer(serializers.Serializer):
    calendar = serializers.IntegerField()
    start = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    time_basis = serializers.ChoiceField(choices=TimeBasis.choices)
    due_at = serializers.DateTimeField()


class CategoryOutputSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name")

    class Meta:
        model = RequestCategory
        fields = ["id", "organisation", "organisation_name", "kind", "name", "is_active"]


class PolicyOutputSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name")
    category_name = serializers.SerializerMethodField()
    first_response_minutes = serializers.SerializerMethodField()
    resolution_minutes = serializers.SerializerMethodField()
    head_escalation_minutes = serializers.SerializerMethodField()
    revisit_minutes = serializers.SerializerMethodField()

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "name",
            "grade",
            "kind",
            "category",
            "category_name",
            "severity",
            "first_response_minutes",
            "resolution_minutes",
            "time_basis",
            "warn_at_percent",
            "head_escalation_minutes",
            "revisit_minutes",
            "handling_guide",
            "is_active",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category_name(self, policy: SlaPolicy) -> str | None:
        return policy.category.name if policy.category_id else None

    def get_first_response_minutes(self, policy: SlaPolicy) -> int:
        return minutes(policy.first_response_time)

    def get_resolution_minutes(self, policy: SlaPolicy) -> int:
        return minutes(policy.resolution_time)

    def get_head_escalation_minutes(self, policy: SlaPolicy) -> int:
        return minutes(policy.head_escalation_after)

    def get_revisit_minutes(self, policy: SlaPolicy) -> int:
        return minutes(policy.revisit_within)


class CriterionOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="category, severity, grade or kind.")
    label = serializers.CharField()
    policy_value = serializers.CharField(help_text="What the policy names, or “any”.")
    request_value = serializers.CharField(help_text="What the request has, or “—”.")


class PolicyMatchOutputSerializer(serializers.Serializer):
    policy = PolicyOutputSerializer(allow_null=True, help_text="The chosen policy; null when none covers the request.")
    criteria = CriterionOutputSerializer(many=True)
    candidates = serializers.IntegerField(help_text="Active policies that cover the request.")
    reason = serializers.CharField()
