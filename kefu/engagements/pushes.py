"""Node pushes 节点推送: the client's contacts hear when a node is reached or late, with a signed
link to the commission's progress page; the manager hears when nobody could be reached; a late
node escalates once to the manager and their supervisor; follow-up tasks remind when due.

Every message goes through `notify`, whose idempotency key (unit × occurrence × recipient ×
channel) makes a second save of the node or a worker's retry send nothing new. The late scan
claims each node with a guarded update, so two scans at once escalate it once."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from kefu.core.texts import stored_text
from kefu.core.zones import local_today
from kefu.customers.services import timeline_record
from kefu.engagements.models import Commission, CommissionEvent, FollowUpTask, Node
from kefu.notifications.models import Status as MessageStatus
from kefu.notifications.services import notify
from kefu.orgs.selectors import supervisor_of
from kefu.portal import links

logger = logging.getLogger(__name__)

REACHED, LATE = "reached", "late"
EVENTS = {REACHED: "commission.node_reached", LATE: "commission.node_late"}
LINK_DAYS = 30
SCAN_BATCH = 200
NOT_SENT = (MessageStatus.SUPPRESSED, MessageStatus.CANCELLED)


def staff_link(commission: Commission) -> str:
    return settings.KEFU_BASE_URL + reverse("engagements:commission_detail", args=[commission.pk])


def _day(value: date) -> str:
    return date_format(value, "n月j日")


def push_node(*, node: Node, commission: Commission, kind: str, now: datetime) -> bool:
    """Tell every contact of the commission that `node` was reached (or is late). Returns whether
    anyone could be reached; when nobody could, the manager is told why, in the same transaction."""
    contacts = list(commission.contacts.all())
    following = commission.nodes.filter(order__gt=node.order, status__in=Node.OPEN_STATUSES).order_by("order").first()
    reached: list[str] = []
    reasons: list[str] = []
    for contact in contacts:
        link = links.make_link(
            customer_id=contact.pk, action="commission", object_id=commission.pk, ttl=timedelta(days=LINK_DAYS)
        )
        result = notify(
            event=EVENTS[kind],
            organisation=commission.organisation,
            source_key=f"commission:node:{node.pk}:{kind}",
            customer=contact,
            context={
                "customer_name": contact.name,
                "commission_number": commission.number,
                "commission_title": commission.title,
                "node_name": node.name,
                "message": node.push_text,
                "next_node": following.name if following is not None else "—",
                "planned_on": _day(node.planned_on),
                "link": link,
            },
            now=now,
        )
        message = result.messages[0] if result.messages else None
        if message is not None and message.status not in NOT_SENT:
            reached.append(contact.name)
        else:
            why = (message.error if message is not None else "") or "；".join(s.reason for s in result.skipped)
            reasons.append(f"{contact.name}：{why or '—'}")
    if not contacts:
        reasons.append(stored_text(gettext_noop("The commission has no client contact.")))
    CommissionEvent.objects.create(
        commission=commission,
        node=node,
        kind=CommissionEvent.Kind.PUSHED if reached else CommissionEvent.Kind.UNREACHABLE,
        data={"node_name": node.name, "push": kind, "reached": reached, "not_reached": reasons},
        created_at=now,
    )
    summary = (
        gettext_noop("Commission %(number)s: told of %(node)s")
        if kind == REACHED
        else gettext_noop("Commission %(number)s: told %(node)s is late")
    )
    timeline_record(
        customer=commission.client,
        kind="engagements.pushed",
        summary=stored_text(summary, number=commission.number, node=node.name),
        target=commission,
        data={"reached": reached, "not_reached": reasons},
        occurred_at=now,
    )
    if not reached:
        _tell_manager_unreachable(node=node, commission=commission, reasons=reasons, kind=kind, now=now)
    return bool(reached)


def _tell_manager_unreachable(
    *, node: Node, commission: Commission, reasons: list[str], kind: str, now: datetime
) -> None:
    link = staff_link(commission)
    notify(
        event="commission.unreachable",
        organisation=commission.organisation,
        source_key=f"commission:node:{node.pk}:{kind}:unreachable",
        membership=commission.manager,
        context={
            "commission_number": commission.number,
            "commission_title": commission.title,
            "customer_name": commission.client.name,
            "node_name": node.name,
            "reason": "；".join(reasons)[:500],
            "link": link,
        },
        url=link.removeprefix(settings.KEFU_BASE_URL),
        now=now,
    )


def _escalate(*, node: Node, commission: Commission, now: datetime) -> None:
    link = staff_link(commission)
    context = {
        "commission_number": commission.number,
        "commission_title": commission.title,
        "customer_name": commission.client.name,
        "node_name": node.name,
        "planned_on": _day(node.planned_on),
        "link": link,
    }
    supervisor = supervisor_of(member=commission.manager, unit=commission.organisation)
    told: list[str] = []
    for member in dict.fromkeys(m for m in (commission.manager, supervisor) if m is not None):
        notify(
            event="commission.late_escalation",
            organisation=commission.organisation,
            source_key=f"commission:node:{node.pk}:late:{node.late_at:%Y%m%d%H%M%S}",
            membership=member,
            context=context,
            url=link.removeprefix(settings.KEFU_BASE_URL),
            now=now,
        )
        told.append(member.name)
    CommissionEvent.objects.create(
        commission=commission,
        node=node,
        kind=CommissionEvent.Kind.NODE_LATE,
        data={"node_name": node.name, "planned_on": node.planned_on.isoformat(), "told": told},
        created_at=now,
    )


def scan_late_nodes(now: datetime | None = None, *, batch: int = SCAN_BATCH) -> dict[str, int]:
    """Escalate every open node past its planned day once (to the manager and their supervisor)
    and tell the client. Safe on many workers: each node is claimed by a guarded update."""
    now = now or timezone.now()
    # The day has ended everywhere west of UTC+14 by then; each unit's own day is checked below.
    horizon = (now + timedelta(hours=14)).date()
    escalated = 0
    last_pk = 0
    while True:
        candidates = list(
            Node.objects.filter(
                status__in=Node.OPEN_STATUSES,
                late_at__isnull=True,
                planned_on__lt=horizon,
                commission__status=Commission.Status.ACTIVE,
                pk__gt=last_pk,
            )
            .select_related("commission__organisation")
            .order_by("pk")
            .only("pk", "planned_on", "commission__organisation__timezone")[:batch]
        )
        if not candidates:
            break
        last_pk = candidates[-1].pk
        for candidate in candidates:
            today = local_today(candidate.commission.organisation, now)
            if candidate.planned_on >= today:
                continue
            with transaction.atomic():
                claimed = Node.objects.filter(
                    pk=candidate.pk, late_at__isnull=True, status__in=Node.OPEN_STATUSES
                ).update(late_at=now)
                if not claimed:
                    continue
                node = Node.objects.select_related(
                    "commission__organisation", "commission__client", "commission__manager__unit"
                ).get(pk=candidate.pk)
                _escalate(node=node, commission=node.commission, now=now)
                push_node(node=node, commission=node.commission, kind=LATE, now=now)
                escalated += 1
        if len(candidates) < batch:
            break
    return {"escalated": escalated}


def remind_due_tasks(now: datetime | None = None) -> dict[str, int]:
    """Remind each follow-up task's assignee once, on the day it falls due."""
    now = now or timezone.now()
    horizon = (now + timedelta(hours=14)).date()
    reminded = 0
    rows = (
        FollowUpTask.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_on__lte=horizon)
        .select_related("commission__organisation", "commission__client", "assignee")
        .order_by("due_on", "pk")
    )
    for task in rows.iterator(chunk_size=SCAN_BATCH):
        commission = task.commission
        if task.due_on > local_today(commission.organisation, now):
            continue
        with transaction.atomic():
            if not FollowUpTask.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            if task.assignee is not None:
                link = staff_link(commission)
                notify(
                    event="commission.task_due",
                    organisation=commission.organisation,
                    source_key=f"commission:task:{task.pk}:due",
                    membership=task.assignee,
                    context={
                        "commission_number": commission.number,
                        "commission_title": commission.title,
                        "customer_name": commission.client.name,
                        "task": task.title,
                        "due_on": _day(task.due_on),
                        "link": link,
                    },
                    url=link.removeprefix(settings.KEFU_BASE_URL),
                    now=now,
                )
            reminded += 1
    return {"reminded": reminded}
