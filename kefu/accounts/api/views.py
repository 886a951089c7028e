from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kefu.accounts import services
from kefu.accounts.api.serializers import MeOutputSerializer, TokenCreateInputSerializer, TokenOutputSerializer
from kefu.core.api.serializers import ErrorSerializer


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token. Lockout rules apply as for sign-in."""

    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="token_create",
        request=TokenCreateInputSerializer,
        responses={201: TokenOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = services.token_issue(request=request._request, **data.validated_data)
        return Response(TokenOutputSerializer(token).data, status=201)


class MeApi(APIView):
    """The signed-in staff member: unit and roles."""

    @extend_schema(
        operation_id="me_retrieve",
        responses={200: MeOutputSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user.active_membership).data)
