"""Small pieces every API module uses."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter
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


def valid_body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request body checked by `serializer_class`; a 400 naming the fields otherwise."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def idempotency_key_parameter(*, max_length: int, noun: str) -> OpenApiParameter:
    """The `Idempotency-Key` header of a create endpoint, for the schema."""
    return OpenApiParameter(
        "Idempotency-Key",
        {"type": "string", "maxLength": max_length},
        OpenApiParameter.HEADER,
        description=f"Makes a retried create safe: the same key with the same body answers 200 with the {noun} "
        "it created, and creates no second one; the same key with another body is a 409.",
    )


def idempotency_key(request: Request, *, max_length: int) -> str:
    """The caller's `Idempotency-Key` header ("" when none), at most `max_length` characters."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > max_length:
        message = gettext("Use at most %(max)s characters.") % {"max": max_length}
        raise serializers.ValidationError({"Idempotency-Key": [message]})
    return key
