"""The audit log API: administrators read the entries of their units, newest first."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.audit import selectors
from kefu.audit.api.serializers import AuditEntryOutputSerializer
from kefu.audit.models import AuditEntry
from kefu.core.api.filters import FilterSerializer, parse_filters
from kefu.core.api.pagination import KeysetPagination
from kefu.core.api.serializers import ERROR_RESPONSES
from kefu.core.api.views import ListApi, viewer_of

TAGS = ["audit"]


class AuditEntryFilters(FilterSerializer):
    object_type = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text='The record type, e.g. "customers.customer".'
    )
    action = serializers.ChoiceField(choices=AuditEntry.Action.choices, required=False, allow_blank=True)
    object_id = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="The record's id.")


class AuditPagination(KeysetPagination):
    """Newest first, in the order of the chain."""

    ordering = ("-sequence",)


class AuditEntryListApi(ListApi):
    pagination_class = AuditPagination

    @extend_schema(
        operation_id="auditentry_list",
        parameters=[AuditEntryFilters],
        responses={200: AuditEntryOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(AuditEntryFilters, request)
        entries = selectors.audit_entry_list(viewer=viewer_of(request), **filters)
        return self.paginated(entries, AuditEntryOutputSerializer)
