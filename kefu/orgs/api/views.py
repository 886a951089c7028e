"""Read-only API for the organisation tree and staff, scoped to the caller's unit."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.core.api.serializers import ErrorSerializer
from kefu.orgs import selectors
from kefu.orgs.api.serializers import (
    OrgUnitListFilterSerializer,
    OrgUnitOutputSerializer,
    StaffListFilterSerializer,
    StaffOutputSerializer,
)
from kefu.orgs.models import Membership

# Lists answer 404 too: an invalid or stale pagination cursor is "not found".
READ_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def _viewer(request: Request) -> Membership:
    # HasRouteAccess has already refused callers without a membership.
    return request.user.active_membership  # type: ignore[union-attr, return-value]


class OrgUnitListApi(GenericAPIView):
    """Units visible to the caller (their unit and everything below it)."""

    serializer_class = OrgUnitOutputSerializer

    @extend_schema(
        operation_id="orgunit_list",
        parameters=[OrgUnitListFilterSerializer],
        responses={200: OrgUnitOutputSerializer(many=True), 400: ErrorSerializer, **READ_ERRORS},
        tags=["orgs"],
    )
    def get(self, request: Request) -> Response:
        params = OrgUnitListFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        units = selectors.unit_list(
            viewer=_viewer(request), root_id=data.get("unit"), query=data.get("q"), is_active=data.get("is_active")
        )
        page = self.paginate_queryset(units)
        return self.get_paginated_response(OrgUnitOutputSerializer(page, many=True).data)


class OrgUnitDetailApi(GenericAPIView):
    serializer_class = OrgUnitOutputSerializer

    @extend_schema(
        operation_id="orgunit_retrieve",
        parameters=[OpenApiParameter("orgunit_id", int, OpenApiParameter.PATH)],
        responses={200: OrgUnitOutputSerializer, **READ_ERRORS},
        tags=["orgs"],
    )
    def get(self, request: Request, orgunit_id: int) -> Response:
        unit = selectors.unit_get(viewer=_viewer(request), unit_id=orgunit_id)
        return Response(OrgUnitOutputSerializer(unit).data)


class StaffListApi(GenericAPIView):
    """Staff visible to the caller, filtered by unit (with sub-units), role and text."""

    serializer_class = StaffOutputSerializer

    @extend_schema(
        operation_id="staff_list",
        parameters=[StaffListFilterSerializer],
        responses={200: StaffOutputSerializer(many=True), 400: ErrorSerializer, **READ_ERRORS},
        tags=["orgs"],
    )
    def get(self, request: Request) -> Response:
        params = StaffListFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        staff = selectors.staff_list(
            viewer=_viewer(request),
            unit_id=data.get("unit"),
            role=data.get("role"),
            query=data.get("q"),
            is_active=data.get("is_active"),
        )
        page = self.paginate_queryset(staff)
        return self.get_paginated_response(StaffOutputSerializer(page, many=True).data)


class StaffDetailApi(GenericAPIView):
    serializer_class = StaffOutputSerializer

    @extend_schema(
        operation_id="staff_retrieve",
        parameters=[OpenApiParameter("staff_id", int, OpenApiParameter.PATH)],
        responses={200: StaffOutputSerializer, **READ_ERRORS},
        tags=["orgs"],
    )
    def get(self, request: Request, staff_id: int) -> Response:
        membership = selectors.staff_get(viewer=_viewer(request), membership_id=staff_id)
        return Response(StaffOutputSerializer(membership).data)
