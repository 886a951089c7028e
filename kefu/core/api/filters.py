"""Query-string filters for list endpoints: one style for the whole API."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id cannot exist and would overflow the query


class FilterSerializer(serializers.Serializer):
    """Declare filters as fields; `parse_filters` validates them (400 naming the parameter).

    Text filters take allow_blank=True, so "?q=" means "no filter" in the schema too.
    """

    def to_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.validated_data.items() if v not in (None, "")}


def id_filter(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


def parse_filters(serializer_class: type[FilterSerializer], request: Request, **renames: str) -> dict[str, Any]:
    """Validated filters as selector keyword arguments, renamed (project → project_id) as asked."""
    # A plain dict, not the QueryDict: DRF would read "?project=" as "no project" (HTML form
    # semantics), while the schema says an empty value is not an integer.
    filters = serializer_class(data=request.query_params.dict())
    filters.is_valid(raise_exception=True)
    return {renames.get(k, k): v for k, v in filters.to_kwargs().items()}
