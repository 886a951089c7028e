"""Small pieces every API module uses."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response


def viewer_of(request: Request) -> Any:
    """The authenticated staff member's Membership (HasRouteAccess has made sure there is one)."""
    return request.user.active_membership


def resolve_or_field_error(field: str, lookup: Any) -> Any:
    """Run a scoped `*_get` selector for an id given in a request body; unknown or another
    unit's object is a 400 on that field, never a 404 for the whole request."""
    try:
        return lookup()
    except Http404 as exc:
        raise serializers.ValidationError({field: [gettext("Not found.")]}) from exc


class ListApi(GenericAPIView):
    """Base of list endpoints: the keyset paginator over a selector's queryset."""

    def paginated(self, queryset: Any, serializer_class: type[serializers.BaseSerializer]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)
