from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The shape of every error the API returns."""

    code = serializers.CharField(help_text="Stable identifier a client may switch on.")
    message = serializers.CharField(help_text="Translated, for people.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


ERROR_RESPONSES = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
