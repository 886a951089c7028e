from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.accounts.models import SecurityEvent
from kefu.core.scoping import visible
from kefu.orgs.models import Membership


def security_event_list(
    *,
    viewer: Membership,
    user_id: int | None = None,
    username: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[SecurityEvent]:
    """Events of accounts in the viewer's scope. Attempts on names no account has belong to no
    unit, so only administrators of a top-level organisation see those."""
    in_scope = Q(user_id__in=visible(Membership, viewer).values("user_id"))
    if viewer.unit.depth == 0:
        in_scope |= Q(user__isnull=True)
    events = SecurityEvent.objects.filter(in_scope)
    events = events.select_related("user__membership", "actor__membership")
    if user_id:
        events = events.filter(user_id=user_id)
    if username:
        events = events.filter(username__icontains=username)
    if kind:
        events = events.filter(kind=kind)
    zone = timezone.get_current_timezone()
    if since:
        events = events.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        events = events.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return events.order_by("-created_at", "-id")


def recent_logins(*, user_id: int, limit: int = 5) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.filter(
        user_id=user_id, kind__in=[SecurityEvent.Kind.LOGIN, SecurityEvent.Kind.LOGIN_FAILED]
    ).order_by("-created_at")[:limit]
