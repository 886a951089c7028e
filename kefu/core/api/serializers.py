import re
from typing import Any

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The shape of every error the API returns."""

    code = serializers.CharField(help_text="Stable identifier a client may switch on.")
    message = serializers.CharField(help_text="Translated, for people.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


ERROR_RESPONSES = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# Input fields that take JSON types as the schema states them. Use them with a JSON-only parser:
# in a form body every value is text, and an empty value passes for a field left out.
class StrictCharField(serializers.CharField):
    """Text given as a JSON string; DRF alone would take the number 0 for "0", which the
    schema promises to refuse."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number given as a JSON number; DRF alone would take "7" and 7.0."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


DECIMAL = re.compile(r"-?\d*(?:\.\d*)?")


class StrictDecimalField(serializers.DecimalField):
    """An amount given as a JSON string ("1200.00"), as the API returns amounts; DRF alone would take
    a number too, which the schema promises to refuse."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not DECIMAL.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false as JSON; DRF alone would take "yes", 1 and "on"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
