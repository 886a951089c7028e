from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kefu.accounts import selectors, services
from kefu.accounts.errors import AccountLocked, InvalidCredentials
from kefu.accounts.forms import LoginForm, SecurityEventFilterForm, SecurityPolicyForm
from kefu.core.errors import KefuError


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url("workbench:home")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except (AccountLocked, InvalidCredentials) as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            return HttpResponseRedirect(_safe_next(request))
    return TemplateResponse(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.logout_record(request=request, user=request.user)  # type: ignore[arg-type]
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@sensitive_post_parameters()
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        services.password_changed(request=request, user=user)
        # Keep this session; every other session of the user ends with the old hash.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed. Your other sessions have been signed out."))
        return redirect("workbench:home")
    return TemplateResponse(request, "accounts/password_change.html", {"form": form})


def security_events(request: HttpRequest) -> HttpResponse:
    form = SecurityEventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.security_event_list(
        viewer=request.membership,  # type: ignore[attr-defined]
        username=filters.get("q"),
        kind=filters.get("kind"),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "accounts/security_events.html#rows" if request.htmx else "accounts/security_events.html"  # type: ignore[attr-defined]
    return TemplateResponse(request, template, {"form": form, "page_obj": page})


def security_policy(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = services.idle_timeout_for(unit_path=membership.unit.path)
    form = SecurityPolicyForm(
        request.POST or None, initial={"idle_timeout_minutes": int(current.total_seconds() // 60)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.security_policy_update(
                actor=membership, idle_timeout_minutes=form.cleaned_data["idle_timeout_minutes"]
            )
        except KefuError as exc:
            form.add_error("idle_timeout_minutes" if exc.field is None else exc.field, exc.message)
        else:
            messages.success(request, _("The security policy has been saved."))
            return redirect("accounts:security_policy")
    context = {
        "form": form,
        "max_failures": settings.KEFU_LOGIN_MAX_FAILURES,
        "lockout_minutes": settings.KEFU_LOGIN_LOCKOUT_MINUTES,
        "password_rules": password_validators_help_texts(),
        # The policy belongs to the top-level organisation; only its administrators change it.
        "can_edit": membership.unit.depth == 0,
    }
    return TemplateResponse(request, "accounts/security_policy.html", context)
