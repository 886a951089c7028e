"""Sign-in pages of the portal: signed links, SMS codes, WeChat, sign-out; and the home page."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.services import client_ip
from kefu.core.errors import InvalidInput, KefuError
from kefu.engagements import selectors as commission_selectors
from kefu.portal import selectors, services, wechat
from kefu.portal.auth import (
    PortalRequest,
    current_session,
    no_referrer,
    portal_login_required,
    safe_next,
    sign_in,
    sign_out,
    signin_url,
)
from kefu.portal.errors import CodeWrong, TooManyCodes, WechatStateInvalid
from kefu.portal.forms import CodeForm, MobileForm

# Django session keys holding sign-in state between two requests.
SIGNIN_MOBILE = "portal_signin_mobile"
WECHAT_STATE = "portal_wechat_state"
WECHAT_PENDING = "portal_wechat_pending"
# How long a WeChat round trip and a pending binding may take.
WECHAT_STATE_SECONDS = 10 * 60


def _problem(request: HttpRequest, error: KefuError) -> TemplateResponse:
    return TemplateResponse(
        request, "portal/problem.html", {"message": error.message, "code": error.code}, status=error.status
    )


# --- signed links ---


@require_GET
def link_open(request: HttpRequest, token: str) -> HttpResponseBase:
    """Exchange the link's token for a session cookie and continue at a URL without the token."""
    try:
        link = services.link_use(token=token)
    except KefuError as error:
        return no_referrer(_problem(request, error))
    response = HttpResponseRedirect(services.link_destination(link))
    sign_in(request, response, customer=link.customer, method="link")
    return no_referrer(response)


# --- SMS codes ---


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponseBase:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and current_session(request) is not None and WECHAT_PENDING not in request.session:
        return HttpResponseRedirect(next_url)
    form = MobileForm(request.POST or None, initial={"next": next_url})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.code_request(mobile=form.cleaned_data["mobile"], ip=client_ip(request))
        except InvalidInput as error:
            form.add_error("mobile", error.message)
            status = 400
        except TooManyCodes as error:
            form.add_error(None, error.message)
            status = 429
        else:
            request.session[SIGNIN_MOBILE] = form.cleaned_data["mobile"]
            return HttpResponseRedirect(f"{reverse('portal:signin_code')}?{urlencode({'next': next_url})}")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "binding_wechat": WECHAT_PENDING in request.session}
    return TemplateResponse(request, "portal/signin.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponseBase:
    mobile = request.session.get(SIGNIN_MOBILE)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if not mobile:
        return HttpResponseRedirect(reverse("portal:signin"))
    form = CodeForm(request.POST or None, initial={"next": next_url})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.code_verify(mobile=mobile, code=form.cleaned_data["code"])
        except CodeWrong as error:
            form.add_error("code", error.message)
            status = 400
        else:
            pending = _wechat_pending(request)
            request.session.pop(SIGNIN_MOBILE, None)
            method = "sms"
            if pending is not None:
                wechat.identity_bind(customer=customer, identity=pending)
                method = "wechat"
            response = HttpResponseRedirect(next_url)
            sign_in(request, response, customer=customer, method=method)
            return response
    elif request.method == "POST":
        status = 400
    context = {"form": form, "mobile": mobile, "binding_wechat": WECHAT_PENDING in request.session}
    return TemplateResponse(request, "portal/signin_code.html", context, status=status)


@require_POST
def signout(request: HttpRequest) -> HttpResponseBase:
    response = HttpResponseRedirect(reverse("portal:signin"))
    sign_out(request, response)
    return response


# --- WeChat ---


@require_GET
def wechat_start(request: HttpRequest) -> HttpResponseBase:
    organisation = request.GET.get("o", "")
    try:
        config = wechat.wechat_config(organisation_id=int(organisation) if organisation.isdigit() else None)
        state = secrets.token_urlsafe(24)
        url = wechat.authorize_url(
            config=config, redirect_uri=request.build_absolute_uri(reverse("portal:wechat_callback")), state=state
        )
    except KefuError as error:
        return _problem(request, error)
    request.session[WECHAT_STATE] = {
        "state": state,
        "config": config.pk,
        "next": safe_next(request, request.GET.get("next")),
        "at": int(time.time()),
    }
    return HttpResponseRedirect(url)


@require_GET
def wechat_callback(request: HttpRequest) -> HttpResponseBase:
    # Single use: the state leaves the session whatever happens next.
    expected: dict[str, Any] | None = request.session.pop(WECHAT_STATE, None)
    given = request.GET.get("state", "")
    code = request.GET.get("code", "")
    if (
        not expected
        or not given
        or not secrets.compare_digest(str(expected.get("state", "")), given)
        or int(time.time()) - int(expected.get("at", 0)) > WECHAT_STATE_SECONDS
    ):
        return no_referrer(_problem(request, WechatStateInvalid()))
    if not code:
        # The user declined, or WeChat sent no code.
        return no_referrer(_problem(request, WechatStateInvalid()))
    try:
        config = wechat.wechat_config_by_pk(expected["config"])
        identity = wechat.identity_for_code(config=config, code=code)
    except KefuError as error:
        return no_referrer(_problem(request, error))
    customer = wechat.customer_for_openid(config=config, openid=identity.openid)
    if customer is not None:
        response = HttpResponseRedirect(expected.get("next") or reverse("portal:home"))
        sign_in(request, response, customer=customer, method="wechat")
        return no_referrer(response)
    # An openid we do not know yet: the customer proves their mobile once, then it is bound.
    request.session[WECHAT_PENDING] = {
        "openid": identity.openid,
        "unionid": identity.unionid,
        "config": config.pk,
        "at": int(time.time()),
    }
    return no_referrer(HttpResponseRedirect(signin_url(expected.get("next") or reverse("portal:home"))))


def _wechat_pending(request: HttpRequest) -> wechat.WechatIdentity | None:
    pending: dict[str, Any] | None = request.session.pop(WECHAT_PENDING, None)
    if not pending or int(time.time()) - int(pending.get("at", 0)) > WECHAT_STATE_SECONDS:
        return None
    return wechat.WechatIdentity(openid=pending["openid"], unionid=pending.get("unionid", ""))


# --- home ---


@portal_login_required
def home(request: PortalRequest) -> HttpResponseBase:
    customer = request.customer
    context = {
        "customer": customer,
        "households": selectors.household_list(customer=customer),
        "open_requests": selectors.request_list(customer=customer, is_open=True)[:5],
        "commissions": list(commission_selectors.commissions_for_customer(customer.pk)[:3]),
        "title": _("My homes"),
    }
    return TemplateResponse(request, "portal/home.html", context)
