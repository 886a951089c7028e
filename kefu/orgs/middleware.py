from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class MembershipMiddleware:
    """Puts the signed-in user's Membership (unit, roles) on request.membership, or None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        request.membership = user.active_membership if user.is_authenticated else None  # type: ignore[attr-defined, union-attr]
        return self.get_response(request)
