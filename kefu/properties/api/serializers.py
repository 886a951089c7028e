from decimal import Decimal

from rest_framework import serializers

from kefu.core.api.filters import MAX_ID
from kefu.core.api.serializers import StrictCharField, StrictIntegerField
from kefu.properties.models import Building, CommonPart, Project, Unit

# Input serializers check shape only; the services check the rules (scope, floors, areas, codes).


class ProjectInputSerializer(serializers.Serializer):
    organisation = StrictIntegerField(
        min_value=1, max_value=MAX_ID, help_text="Organisation unit that owns the project."
    )
    name = StrictCharField(max_length=100)
    code = serializers.SlugField(max_length=40)
    city = StrictCharField(max_length=50, required=False, allow_blank=True, default="")
    district = StrictCharField(max_length=50, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    planned_delivery_on = serializers.DateField(required=False, allow_null=True, default=None)


class BuildingInputSerializer(serializers.Serializer):
    project = StrictIntegerField(min_value=1, max_value=MAX_ID)
    code = StrictCharField(max_length=20)
    name = StrictCharField(max_length=50)
    floors_above = StrictIntegerField(min_value=1, max_value=200)
    floors_below = StrictIntegerField(min_value=0, max_value=20, required=False, default=0)


class UnitInputSerializer(serializers.Serializer):
    building = StrictIntegerField(min_value=1, max_value=MAX_ID)
    entrance = StrictCharField(max_length=10, required=False, allow_blank=True, default="")
    floor = StrictIntegerField(min_value=-20, max_value=200)
    number = StrictCharField(max_length=20)
    gross_area = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True, default=None
    )
    usable_area = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True, default=None
    )
    layout = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    delivery_standard = serializers.ChoiceField(
        choices=Unit.DeliveryStandard.choices, required=False, default=Unit.DeliveryStandard.SHELL
    )


class ProjectOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "organisation", "name", "code", "city", "district", "address", "planned_delivery_on"]


class ProjectListOutputSerializer(ProjectOutputSerializer):
    building_count = serializers.IntegerField()
    unit_count = serializers.IntegerField()

    class Meta(ProjectOutputSerializer.Meta):
        fields = [*ProjectOutputSerializer.Meta.fields, "building_count", "unit_count"]


class BuildingOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "project", "code", "name", "floors_above", "floors_below"]


class UnitOutputSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name")
    building_code = serializers.CharField(source="building.code")

    class Meta:
        model = Unit
        fields = [
            "id",
            "label",
            "project",
            "project_name",
            "building",
            "building_code",
            "entrance",
            "floor",
            "number",
            "gross_area",
            "usable_area",
            "layout",
            "delivery_standard",
        ]


class CommonPartOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommonPart
        fields = ["id", "project", "building", "floor", "kind", "name"]
