from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` (also accepts DRF's `Token <token>`)."""

    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, Token] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Token "):
            request.META["HTTP_AUTHORIZATION"] = "Bearer " + header[len("Token ") :]
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = Token.objects.select_related("user").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
