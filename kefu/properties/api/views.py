from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.core.api.filters import FilterSerializer, id_filter, parse_filters
from kefu.core.api.serializers import ERROR_RESPONSES, ErrorSerializer
from kefu.core.api.views import ListApi, resolve_or_field_error, viewer_of
from kefu.orgs.selectors import unit_get as orgunit_get
from kefu.properties import selectors, services
from kefu.properties.api.serializers import (
    BuildingInputSerializer,
    BuildingOutputSerializer,
    CommonPartOutputSerializer,
    ProjectInputSerializer,
    ProjectListOutputSerializer,
    ProjectOutputSerializer,
    UnitInputSerializer,
    UnitOutputSerializer,
)
from kefu.properties.models import CommonPart, Unit

WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorSerializer}


class ProjectFilters(FilterSerializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text="Matches name, code or city.")


class BuildingFilters(FilterSerializer):
    project = id_filter()


class UnitFilters(FilterSerializer):
    project = id_filter()
    building = id_filter()
    floor = serializers.IntegerField(required=False, min_value=-20, max_value=200)
    layout = serializers.CharField(required=False, allow_blank=True)
    delivery_standard = serializers.ChoiceField(choices=Unit.DeliveryStandard.choices, required=False, allow_blank=True)
    q = serializers.CharField(required=False, allow_blank=True, help_text='Matches the unit label, e.g. "3-1-1202".')


class CommonPartFilters(FilterSerializer):
    project = id_filter()
    building = id_filter()
    kind = serializers.ChoiceField(choices=CommonPart.Kind.choices, required=False, allow_blank=True)


def _project_input(request: Request, viewer: Any) -> dict[str, Any]:
    """The validated body of a project write, with the organisation resolved in scope."""
    data = ProjectInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    fields = dict(data.validated_data)
    unit_id = fields.pop("organisation")
    fields["organisation"] = resolve_or_field_error("organisation", lambda: orgunit_get(viewer=viewer, unit_id=unit_id))
    return fields


def _unit_input(request: Request, viewer: Any) -> dict[str, Any]:
    """The validated body of a unit write, with the building resolved in scope."""
    data = UnitInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    fields = dict(data.validated_data)
    building_id = fields.pop("building")
    fields["building"] = resolve_or_field_error(
        "building", lambda: selectors.building_get(viewer=viewer, building_id=building_id)
    )
    return fields


class ProjectListApi(ListApi):
    @extend_schema(
        operation_id="project_list",
        parameters=[ProjectFilters],
        responses={200: ProjectListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request) -> Response:
        projects = selectors.project_list(viewer=viewer_of(request), **parse_filters(ProjectFilters, request))
        return self.paginated(projects, ProjectListOutputSerializer)

    @extend_schema(
        operation_id="project_create",
        request=ProjectInputSerializer,
        responses={201: ProjectOutputSerializer, **WRITE_ERRORS},
        tags=["properties"],
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        project = services.project_create(actor=viewer, **_project_input(request, viewer))
        return Response(ProjectOutputSerializer(project).data, status=201)


class ProjectDetailApi(APIView):
    @extend_schema(
        operation_id="project_retrieve",
        responses={200: ProjectOutputSerializer, **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(viewer=viewer_of(request), project_id=project_id)
        return Response(ProjectOutputSerializer(project).data)

    @extend_schema(
        operation_id="project_update",
        request=ProjectInputSerializer,
        responses={200: ProjectOutputSerializer, **WRITE_ERRORS},
        tags=["properties"],
    )
    def put(self, request: Request, project_id: int) -> Response:
        viewer = viewer_of(request)
        project = selectors.project_get(viewer=viewer, project_id=project_id)
        project = services.project_update(actor=viewer, project=project, **_project_input(request, viewer))
        return Response(ProjectOutputSerializer(project).data)


class BuildingListApi(ListApi):
    @extend_schema(
        operation_id="building_list",
        parameters=[BuildingFilters],
        responses={200: BuildingOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(BuildingFilters, request, project="project_id")
        buildings = selectors.building_choices(viewer=viewer_of(request), **filters)
        return self.paginated(buildings, BuildingOutputSerializer)

    @extend_schema(
        operation_id="building_create",
        request=BuildingInputSerializer,
        responses={201: BuildingOutputSerializer, **WRITE_ERRORS},
        tags=["properties"],
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        data = BuildingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        project_id = fields.pop("project")
        project = resolve_or_field_error("project", lambda: selectors.project_get(viewer=viewer, project_id=project_id))
        building = services.building_create(actor=viewer, project=project, **fields)
        return Response(BuildingOutputSerializer(building).data, status=201)


class BuildingDetailApi(APIView):
    @extend_schema(
        operation_id="building_retrieve",
        responses={200: BuildingOutputSerializer, **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request, building_id: int) -> Response:
        building = selectors.building_get(viewer=viewer_of(request), building_id=building_id)
        return Response(BuildingOutputSerializer(building).data)


class UnitListApi(ListApi):
    @extend_schema(
        operation_id="unit_list",
        parameters=[UnitFilters],
        responses={200: UnitOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(UnitFilters, request, project="project_id", building="building_id")
        units = selectors.unit_list(viewer=viewer_of(request), **filters)
        return self.paginated(units, UnitOutputSerializer)

    @extend_schema(
        operation_id="unit_create",
        request=UnitInputSerializer,
        responses={201: UnitOutputSerializer, **WRITE_ERRORS},
        tags=["properties"],
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = _unit_input(request, viewer)
        unit = services.unit_create(actor=viewer, project=fields["building"].project, **fields)
        return Response(UnitOutputSerializer(unit).data, status=201)


class UnitDetailApi(APIView):
    @extend_schema(
        operation_id="unit_retrieve", responses={200: UnitOutputSerializer, **ERROR_RESPONSES}, tags=["properties"]
    )
    def get(self, request: Request, unit_id: int) -> Response:
        unit = selectors.unit_get(viewer=viewer_of(request), unit_id=unit_id)
        return Response(UnitOutputSerializer(unit).data)

    @extend_schema(
        operation_id="unit_update",
        request=UnitInputSerializer,
        responses={200: UnitOutputSerializer, **WRITE_ERRORS},
        tags=["properties"],
    )
    def put(self, request: Request, unit_id: int) -> Response:
        viewer = viewer_of(request)
        unit = selectors.unit_get(viewer=viewer, unit_id=unit_id)
        unit = services.unit_update(actor=viewer, unit=unit, **_unit_input(request, viewer))
        return Response(UnitOutputSerializer(selectors.unit_get(viewer=viewer, unit_id=unit.pk)).data)


class CommonPartListApi(ListApi):
    @extend_schema(
        operation_id="commonpart_list",
        parameters=[CommonPartFilters],
        responses={200: CommonPartOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(CommonPartFilters, request, project="project_id", building="building_id")
        parts = selectors.commonpart_list(viewer=viewer_of(request), **filters)
        return self.paginated(parts, CommonPartOutputSerializer)


class CommonPartDetailApi(APIView):
    @extend_schema(
        operation_id="commonpart_retrieve",
        responses={200: CommonPartOutputSerializer, **ERROR_RESPONSES},
        tags=["properties"],
    )
    def get(self, request: Request, commonpart_id: int) -> Response:
        part = selectors.commonpart_get(viewer=viewer_of(request), commonpart_id=commonpart_id)
        return Response(CommonPartOutputSerializer(part).data)
