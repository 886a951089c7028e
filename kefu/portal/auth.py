"""The portal's session cookie and the decorator that puts the signed-in customer on the request.

Customers are not staff users: the staff access table lists every portal URL as public, and this
decorator is what keeps a customer's pages to that customer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from kefu.accounts.services import client_ip
from kefu.customers.models import Customer
from kefu.portal import services
from kefu.portal.models import PortalSession

COOKIE_NAME = "kefu_portal"
COOKIE_PATH = "/m/"


class PortalRequest(HttpRequest):
    portal_session: PortalSession
    customer: Customer


def cookie_value(request: HttpRequest) -> str:
    return request.COOKIES.get(COOKIE_NAME, "")


def current_session(request: HttpRequest) -> PortalSession | None:
    return services.session_get(cookie_value(request))


def sign_in(request: HttpRequest, response: HttpResponseBase, *, customer: Customer, method: str) -> PortalSession:
    """Start a session for `customer` and put its cookie on `response`; any session this browser
    held before (for this customer or another) is ended."""
    started = services.session_start(
        customer=customer,
        method=method,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        replacing=cookie_value(request),
    )
    response.set_cookie(
        COOKIE_NAME,
        started.raw_id,
        max_age=int(services.SESSION_MAX_AGE.total_seconds()),
        path=COOKIE_PATH,
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )
    # The cycled Django session (it held the sign-in state) must not outlive the change of identity.
    # A browser with no Django session yet (a link opened cold) has nothing to cycle; cycling
    # would create a session row and a cookie on every link click.
    if hasattr(request, "session") and request.session.session_key:
        request.session.cycle_key()
    return started.session


def sign_out(request: HttpRequest, response: HttpResponseBase) -> None:
    services.session_end(cookie_value(request))
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")


def safe_next(request: HttpRequest, value: str | None) -> str:
    """A redirect target after sign-in: only the portal's own pages."""
    if (
        value
        and value.startswith(COOKIE_PATH)
        and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return value
    return reverse("portal:home")


def signin_url(next_url: str) -> str:
    return f"{reverse('portal:signin')}?{urlencode({'next': next_url})}"


def portal_login_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Load the customer from the portal cookie, or send the browser to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        session = current_session(request)
        if session is None:
            response: HttpResponseBase = HttpResponseRedirect(signin_url(request.get_full_path()))
            if cookie_value(request):
                response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")
            return response
        request.portal_session = session  # type: ignore[attr-defined]
        request.customer = session.customer  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        # A customer's pages are theirs alone: no shared cache may keep them.
        add_never_cache_headers(response)
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


def no_referrer(response: HttpResponse | HttpResponseBase) -> HttpResponseBase:
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response
