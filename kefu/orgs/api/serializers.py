"""Output serializers for the organisation API. They read only what the selectors load."""

from rest_framework import serializers

from kefu.core.roles import Role
from kefu.orgs.models import Membership, OrgUnit


class OrgUnitOutputSerializer(serializers.ModelSerializer):
    # Annotated by kefu.orgs.selectors.unit_list / unit_get.
    staff_count = serializers.IntegerField(read_only=True, help_text="Active staff directly in the unit.")
    child_count = serializers.IntegerField(read_only=True, help_text="Direct sub-units.")
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "parent_id",
            "path",
            "depth",
            "timezone",
            "is_active",
            "staff_count",
            "child_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StaffUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="The unit's kind, as in the unit list.")


class StaffOutputSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    last_login_at = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)
    unit = StaffUnitSerializer(read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "name",
            "title",
            "mobile",
            "employee_no",
            "unit",
            "roles",
            "is_active",
            "last_login_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_roles(self, obj: Membership) -> list[str]:
        # role_set reads the prefetched role_grants; no query per row.
        return sorted(obj.role_set)


class OrgUnitListFilterSerializer(serializers.Serializer):
    """Query parameters of the unit list."""

    unit = serializers.IntegerField(required=False, min_value=1, help_text="Only this unit and its descendants.")
    # An empty parameter (`?q=` from a plain form) means "no filter", as DRF reads query strings.
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Part of the name or code.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class StaffListFilterSerializer(serializers.Serializer):
    """Query parameters of the staff list."""

    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="Only staff of this unit and its descendants."
    )
    role = serializers.ChoiceField(required=False, allow_blank=True, choices=Role.choices)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Part of the name, username, mobile or employee number.",
    )
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
