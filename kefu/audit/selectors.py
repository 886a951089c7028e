"""Read queries on the audit log. They start from kefu.core.scoping like every other read."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core.scoping import visible
from kefu.orgs.models import Membership


def audit_entry_list(
    *,
    viewer: Membership,
    object_type: str | None = None,
    action: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str | None = None,
) -> QuerySet[AuditEntry]:
    """Entries of the viewer's units, newest first. `q` finds a record by its id or by its
    name (a customer's name is the label of every entry about them)."""
    entries = visible(AuditEntry, viewer).select_related("organisation")
    if object_type:
        entries = entries.filter(object_type=object_type)
    if action:
        entries = entries.filter(action=action)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if actor:
        entries = entries.filter(actor_name__icontains=actor)
    zone = timezone.get_current_timezone()
    if since:
        entries = entries.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        entries = entries.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    q = (q or "").strip()
    if q:
        match = Q(object_label__icontains=q)
        if q.isdigit():
            match |= Q(object_id=q)
        entries = entries.filter(match)
    return entries.order_by("-sequence")


def audit_object_types(*, viewer: Membership) -> list[str]:
    """The record types that occur in the viewer's entries, for the filter."""
    types = visible(AuditEntry, viewer).order_by("object_type").values_list("object_type", flat=True).distinct()
    return list(types)
