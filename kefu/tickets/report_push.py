"""The morning push of the daily complaint report to each unit's supervisors and head.

Run every quarter of an hour by the scheduler; it pushes once a unit's morning has come (08:30
local) and never twice: the source key is the unit and the day, so the outbox drops a repeat.
"""

from __future__ import annotations

from datetime import datetime, time
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from kefu.core.permissions import can, in_scope
from kefu.core.zones import zone_of
from kefu.notifications.models import OutboxMessage
from kefu.notifications.services import notify
from kefu.orgs.models import Membership, OrgUnit
from kefu.tickets.reports import REPORT, daily_summary, default_report_day

PUSH_AFTER = time(8, 30)
REPORTING_KINDS = (OrgUnit.Kind.GROUP, OrgUnit.Kind.CITY_COMPANY, OrgUnit.Kind.PROJECT_TEAM)


def _recipients(unit: OrgUnit) -> list[Membership]:
    """The unit's supervisors and its head, those of them who may read the report of the unit."""
    members = list(
        Membership.objects.filter(unit=unit, role_grants__role="supervisor", user__is_active=True)
        .select_related("user", "unit")
        .prefetch_related("role_grants")
        .distinct()
    )
    if unit.head_id and all(m.pk != unit.head_id for m in members):
        members.append(
            Membership.objects.select_related("user", "unit").prefetch_related("role_grants").get(pk=unit.head_id)
        )
    return [m for m in members if can(m, REPORT) and in_scope(m, unit)]


def daily_report_push(*, now: datetime | None = None) -> int:
    """Push yesterday's report of every reporting unit whose morning has come; returns how many
    messages were asked for."""
    now = now or timezone.now()
    asked = 0
    for unit in OrgUnit.objects.filter(is_active=True, kind__in=REPORTING_KINDS).order_by("path"):
        if timezone.localtime(now, zone_of(unit)).time() < PUSH_AFTER:
            continue
        day = default_report_day(unit=unit, now=now)
        source_key = f"daily-report:{unit.pk}:{day.isoformat()}"
        done = set(OutboxMessage.objects.filter(source_key=source_key).values_list("membership_id", flat=True))
        link = settings.KEFU_BASE_URL + reverse("tickets:daily_report") + "?" + urlencode({"unit": unit.pk, "day": day})
        recipients = [m for m in _recipients(unit) if m.pk not in done]
        if not recipients:
            continue
        # The same figures for everyone: each recipient sees the whole unit.
        summary = daily_summary(viewer=recipients[0], unit=unit, day=day, now=now)
        for member in recipients:
            with transaction.atomic():
                notify(
                    event="report.daily_complaints",
                    organisation=unit,
                    source_key=source_key,
                    membership=member,
                    context={
                        "unit": unit.name,
                        "day": date_format(day, "n月j日"),
                        "total": summary.received,
                        "replied": summary.replied,
                        "resolved": summary.resolved,
                        "open": summary.still_open,
                        "breached": summary.open_breached,
                        "link": link,
                    },
                    url=reverse("tickets:daily_report") + "?" + urlencode({"unit": unit.pk, "day": day}),
                )
            asked += 1
    return asked
