"""The late scan escalates a node once and tells the client; follow-up reminders go once."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kefu.engagements.models import CommissionEvent, FollowUpTask, Node
from kefu.engagements.pushes import remind_due_tasks, scan_late_nodes
from kefu.engagements.services import node_complete
from kefu.notifications.models import OutboxMessage

SH = ZoneInfo("Asia/Shanghai")
# The first node was planned for 11-02, the second for 11-05.
NOW = datetime(2026, 11, 6, 9, 0, tzinfo=SH)


def test_a_late_node_escalates_once_to_the_manager_and_the_supervisor(commission, manager, boss):
    first = scan_late_nodes(NOW)
    second = scan_late_nodes(NOW + timedelta(hours=1))

    # Both nodes planned before 11-06 are late; each escalates once.
    assert first == {"escalated": 2}
    assert second == {"escalated": 0}
    escalations = OutboxMessage.objects.filter(event="commission.late_escalation")
    assert sorted((m.membership.name, m.context["node_name"]) for m in escalations) == [
        ("周明", "现场查勘"),
        ("周明", "确认核心诉求"),
        ("陈总监", "现场查勘"),
        ("陈总监", "确认核心诉求"),
    ]
    assert (
        OutboxMessage.objects.filter(event="commission.node_late", customer__in=commission.contacts.all()).count() == 2
    )
    assert CommissionEvent.objects.filter(kind=CommissionEvent.Kind.NODE_LATE).count() == 2


def test_only_the_first_open_node_past_its_day_in_the_units_zone_is_late(commission, manager):
    node_complete(actor=manager, node=commission.nodes.get(order=1), actual_on=date(2026, 11, 2), now=NOW)

    # 11-05 00:30 in Shanghai: the second node (planned 11-05) is not late yet.
    assert scan_late_nodes(datetime(2026, 11, 5, 0, 30, tzinfo=SH)) == {"escalated": 0}
    assert scan_late_nodes(datetime(2026, 11, 6, 0, 30, tzinfo=SH)) == {"escalated": 1}
    assert Node.objects.get(commission=commission, order=2).late_at is not None


def test_done_and_closed_commissions_are_not_scanned(commission, manager):
    node_complete(actor=manager, node=commission.nodes.get(order=1), actual_on=date(2026, 11, 2), now=NOW)
    node_complete(actor=manager, node=commission.nodes.get(order=2), actual_on=date(2026, 11, 5), now=NOW)

    assert scan_late_nodes(NOW) == {"escalated": 0}


def test_follow_up_tasks_remind_once_on_their_day(commission, manager):
    for node in commission.nodes.order_by("order"):
        node_complete(actor=manager, node=node, actual_on=node.planned_on, now=datetime(2026, 11, 10, 9, tzinfo=SH))
    task = FollowUpTask.objects.get(commission=commission, title="提醒客户办理抵押登记")
    assert task.due_on == date(2026, 11, 16)

    assert remind_due_tasks(datetime(2026, 11, 15, 9, tzinfo=SH)) == {"reminded": 0}
    assert remind_due_tasks(datetime(2026, 11, 16, 9, tzinfo=SH)) == {"reminded": 1}
    assert remind_due_tasks(datetime(2026, 11, 16, 10, tzinfo=SH)) == {"reminded": 0}
    message = OutboxMessage.objects.get(event="commission.task_due")
    assert message.membership == manager
