"""Sign-in, lockout, tokens and the security event log."""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from kefu.accounts.errors import AccountLocked, InvalidCredentials
from kefu.accounts.models import SecurityEvent, SecurityPolicy, User
from kefu.core.permissions import ensure_can
from kefu.orgs.models import Membership, OrgUnit

POLICY_CACHE_SECONDS = 60


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the load balancer the first X-Forwarded-For hop is the client; only prod trusts it.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.KEFU_TRUST_X_FORWARDED_FOR else ""
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None


def security_event_record(
    *,
    kind: str,
    username: str,
    user: User | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        username=username[:150],
        user=user,
        actor=actor,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:255],
    )


def _window() -> timedelta:
    return timedelta(minutes=settings.KEFU_LOGIN_LOCKOUT_MINUTES)


def login_locked_until(*, username: str) -> timezone.datetime | None:
    """When the account's lockout ends, or None if it is not locked."""
    lock = (
        SecurityEvent.objects.filter(
            username=username, kind=SecurityEvent.Kind.LOCKED_OUT, created_at__gte=timezone.now() - _window()
        )
        .order_by("-created_at")
        .first()
    )
    return lock.created_at + _window() if lock else None


def _recent_failures(*, username: str) -> int:
    """Failures within the window since the last sign-in, password reset or end of a lockout.

    Attempts refused during a lockout are recorded as failures too; counting from the end of
    the lockout keeps them from locking the account again on the first mistake afterwards.
    """
    now = timezone.now()
    starts = [now - _window()]
    last_reset = (
        SecurityEvent.objects.filter(
            username=username,
            kind__in=[SecurityEvent.Kind.LOGIN, SecurityEvent.Kind.PASSWORD_RESET],
            created_at__gte=starts[0],
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_reset:
        starts.append(last_reset)
    last_lock = (
        SecurityEvent.objects.filter(
            username=username, kind=SecurityEvent.Kind.LOCKED_OUT, created_at__gte=now - 2 * _window()
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_lock:
        starts.append(last_lock + _window())
    failures = SecurityEvent.objects.filter(
        username=username, kind=SecurityEvent.Kind.LOGIN_FAILED, created_at__gte=max(starts)
    )
    return failures.count()


def _minutes_left(until: timezone.datetime) -> int:
    """Whole minutes until `until`, rounded up: 15 minutes left reads as 15, 14m01s as 15."""
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


# Not atomic: the failure and lockout records must survive the error that reports them.
def login_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check the credentials, record the attempt, lock the account after too many failures."""
    username = username.strip()
    locked_until = login_locked_until(username=username)
    if locked_until:
        security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username=username, request=request)
        raise AccountLocked(minutes=_minutes_left(locked_until))
    user = authenticate(request, username=username, password=password)
    if user is None:
        known = User.objects.filter(username=username).first()
        security_event_record(kind=SecurityEvent.Kind.LOGIN_FAILED, username=username, user=known, request=request)
        if _recent_failures(username=username) >= settings.KEFU_LOGIN_MAX_FAILURES:
            security_event_record(kind=SecurityEvent.Kind.LOCKED_OUT, username=username, user=known, request=request)
            raise AccountLocked(minutes=settings.KEFU_LOGIN_LOCKOUT_MINUTES)
        raise InvalidCredentials()
    security_event_record(kind=SecurityEvent.Kind.LOGIN, username=user.username, user=user, request=request)
    return user


def logout_record(*, request: HttpRequest, user: User, kind: str = SecurityEvent.Kind.LOGOUT) -> None:
    security_event_record(kind=kind, username=user.username, user=user, request=request)


def token_issue(*, request: HttpRequest, username: str, password: str) -> Token:
    """A fresh API token for valid credentials; the user's previous token stops working."""
    # Outside the transaction, like a sign-in: a failed attempt is recorded even though it raises.
    user = login_attempt(request=request, username=username, password=password)
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        security_event_record(kind=SecurityEvent.Kind.TOKEN_ISSUED, username=user.username, user=user, request=request)
    return token


def user_revoke_tokens(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


@transaction.atomic
def password_changed(*, request: HttpRequest, user: User) -> None:
    """After a user changes their own password: other sessions end, tokens are revoked."""
    user_revoke_tokens(user=user)
    security_event_record(kind=SecurityEvent.Kind.PASSWORD_CHANGED, username=user.username, user=user, request=request)


def _policy_cache_key(root_id: int) -> str:
    return f"kefu:security-policy:{root_id}"


def idle_timeout_for(*, unit_path: str) -> timedelta:
    """The idle timeout set by the top-level organisation above the unit with this path."""
    root_id = root_unit_id(unit_path=unit_path)
    minutes = cache.get(_policy_cache_key(root_id))
    if minutes is None:
        policy = SecurityPolicy.objects.filter(organisation_id=root_id).first()
        minutes = (
            policy.idle_timeout_minutes if policy else SecurityPolicy._meta.get_field("idle_timeout_minutes").default
        )
        cache.set(_policy_cache_key(root_id), minutes, POLICY_CACHE_SECONDS)
    return timedelta(minutes=minutes)


def root_unit_id(*, unit_path: str) -> int:
    return int(unit_path.split(".", 1)[0])


@transaction.atomic
def security_policy_update(*, actor: Membership, idle_timeout_minutes: int) -> SecurityPolicy:
    """Set the idle timeout of the actor's top-level organisation (its administrators only)."""
    root = OrgUnit.objects.get(pk=root_unit_id(unit_path=actor.unit.path))
    ensure_can(actor, "accounts.manage_policy", root)
    policy, _ = SecurityPolicy.objects.select_for_update().get_or_create(organisation=root)
    policy.idle_timeout_minutes = idle_timeout_minutes
    policy.full_clean()
    policy.save()
    cache.delete(_policy_cache_key(root.pk))
    return policy
