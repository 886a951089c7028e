import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase

from kefu.accounts.models import SecurityEvent
from kefu.accounts.services import idle_timeout_for, logout_record

LAST_SEEN_KEY = "kefu_last_seen"


class IdleTimeoutMiddleware:
    """Signs staff out after the idle time their organisation's administrator set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            membership = user.active_membership  # type: ignore[union-attr]
            if membership is not None:
                now = time.time()
                last_seen = request.session.get(LAST_SEEN_KEY)
                limit = idle_timeout_for(unit_path=membership.unit.path).total_seconds()
                if last_seen is not None and now - last_seen > limit:
                    logout_record(request=request, user=user, kind=SecurityEvent.Kind.SESSION_EXPIRED)  # type: ignore[arg-type]
                    logout(request)
                    if request.path.startswith("/api/"):
                        return self.get_response(request)
                    return redirect_to_login(request.get_full_path())
                # Writing the session on every request would cost a write per page; a minute's
                # resolution is plenty for a timeout measured in minutes.
                if last_seen is None or now - last_seen > 60:
                    request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
