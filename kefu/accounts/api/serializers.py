from rest_framework import serializers


class TokenCreateInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(source="key")


class MeUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField()
    title = serializers.CharField()
    unit = MeUnitSerializer()
    roles = serializers.SerializerMethodField()

    def get_roles(self, obj: object) -> list[str]:
        return sorted(obj.role_set)  # type: ignore[attr-defined]
