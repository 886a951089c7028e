"""Commissions: planning from the type, node completion with its rules, pushes sent once,
evaluations at nodes and at close, delivery and follow-up, and who may do what."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.core.errors import Forbidden, InvalidInput
from kefu.customers.models import TimelineEntry
from kefu.customers.tests.factories import CustomerFactory
from kefu.engagements.errors import CommissionClosed, DateBeforeStart, DateInFuture, NodeNotReached, NodeOutOfOrder
from kefu.engagements.models import Commission, CommissionEvent, Evaluation, FollowUpTask, Node
from kefu.engagements.services import (
    commission_close,
    commission_create,
    commission_type_create,
    evaluation_request,
    node_complete,
    node_skip,
    plan_change,
    weights_save,
)
from kefu.engagements.tests.factories import APPRAISAL_NODES, client_with_mobile
from kefu.notifications.models import OutboxMessage
from kefu.surveys.models import Invitation

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


def _nodes(commission: Commission) -> list[Node]:
    return list(commission.nodes.order_by("order"))


def _pushes(commission: Commission, kind: str = "reached") -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event=f"commission.node_{kind}", customer__in=commission.contacts.all()))


def test_commission_create_plans_the_nodes_from_the_type(commission):
    nodes = _nodes(commission)

    assert [(n.name, n.planned_on) for n in nodes] == [
        ("确认核心诉求", date(2026, 11, 2)),
        ("现场查勘", date(2026, 11, 5)),
        ("出具报告", date(2026, 11, 9)),
    ]
    assert nodes[1].aspects == ["P2", "A2"]
    assert commission.due_on == date(2026, 11, 9)
    assert commission.number.startswith("WT")
    assert [c.name for c in commission.contacts.all()] == ["王总"]
    assert TimelineEntry.objects.filter(customer=commission.client, kind="engagements.created").exists()


def test_commission_create_with_the_same_key_returns_the_first(consultancy, manager, appraisal):
    client = client_with_mobile(consultancy)
    kwargs = dict(
        actor=manager,
        unit=consultancy,
        type_=appraisal,
        client=client,
        title="评估",
        manager=manager,
        starts_on=date(2026, 11, 2),
        client_key="abc-1",
    )

    first = commission_create(**kwargs)
    second = commission_create(**kwargs)

    assert first.pk == second.pk
    assert Commission.objects.count() == 1


def test_commission_create_rejects_a_due_date_before_the_start(consultancy, manager, appraisal):
    with pytest.raises(InvalidInput) as error:
        commission_create(
            actor=manager,
            unit=consultancy,
            type_=appraisal,
            client=client_with_mobile(consultancy),
            title="评估",
            manager=manager,
            starts_on=date(2026, 11, 2),
            due_on=date(2026, 11, 1),
        )
    assert error.value.field == "due_on"
    assert not Commission.objects.exists()


def test_commission_type_rejects_an_unknown_aspect(consultancy, type_admin):
    with pytest.raises(InvalidInput) as error:
        commission_type_create(
            actor=type_admin,
            unit=consultancy,
            name="策划",
            nodes=[{"name": "启动", "offset_days": 0, "aspects": ["X9"]}],
        )
    assert error.value.field == "nodes.1.aspects"


def test_node_complete_pushes_once_even_when_saved_twice(commission, manager):
    first = _nodes(commission)[0]

    node_complete(actor=manager, node=first, actual_on=date(2026, 11, 2), now=NOW)
    node_complete(actor=manager, node=first, actual_on=date(2026, 11, 2), now=NOW + timedelta(minutes=1))

    assert len(_pushes(commission)) == 1
    assert CommissionEvent.objects.filter(commission=commission, kind=CommissionEvent.Kind.PUSHED).count() == 1
    message = _pushes(commission)[0]
    assert "/m/l/" in message.context["link"]


def test_node_complete_asks_the_client_to_rate_the_nodes_aspects(commission, manager):
    first = _nodes(commission)[0]

    node_complete(actor=manager, node=first, actual_on=date(2026, 11, 2), now=NOW)

    evaluation = Evaluation.objects.get(commission=commission, node=first)
    assert evaluation.invitation.codes == ["P1"]
    assert evaluation.invitation.status == Invitation.Status.SENT
    assert evaluation.evaluated == manager


def test_node_complete_out_of_order_is_refused_when_the_type_says_so(commission, manager):
    with pytest.raises(NodeOutOfOrder) as error:
        node_complete(actor=manager, node=_nodes(commission)[1], actual_on=date(2026, 11, 5), now=NOW)
    assert "确认核心诉求" in error.value.message
    assert not _pushes(commission)


def test_node_complete_rejects_a_date_before_the_start_and_in_the_future(commission, manager):
    first = _nodes(commission)[0]
    with pytest.raises(DateBeforeStart):
        node_complete(actor=manager, node=first, actual_on=date(2026, 11, 1), now=NOW)
    with pytest.raises(DateInFuture):
        node_complete(actor=manager, node=first, actual_on=date(2026, 11, 24), now=NOW)
    assert Node.objects.get(pk=first.pk).status == Node.Status.PENDING


def test_a_client_with_no_reachable_contact_is_told_to_the_manager(consultancy, manager, appraisal):
    unreachable = CustomerFactory(organisation=consultancy, name="李总", mobile="")
    commission = commission_create(
        actor=manager,
        unit=consultancy,
        type_=appraisal,
        client=unreachable,
        title="评估",
        manager=manager,
        starts_on=date(2026, 11, 2),
    )

    node_complete(actor=manager, node=_nodes(commission)[0], actual_on=date(2026, 11, 2), now=NOW)

    event = CommissionEvent.objects.get(commission=commission, kind=CommissionEvent.Kind.UNREACHABLE)
    assert event.data["not_reached"]
    told = OutboxMessage.objects.get(event="commission.unreachable")
    assert told.membership == manager


def test_evaluation_for_a_node_not_reached_is_refused(commission, manager):
    with pytest.raises(NodeNotReached):
        evaluation_request(actor=manager, node=_nodes(commission)[1], now=NOW)
    assert not Evaluation.objects.exists()


def test_the_last_node_delivers_and_schedules_the_follow_ups_once(commission, manager):
    for node, day in zip(_nodes(commission), (2, 5, 10), strict=True):
        node_complete(actor=manager, node=node, actual_on=date(2026, 11, day), now=NOW)

    commission.refresh_from_db()
    assert commission.status == Commission.Status.DELIVERED
    assert commission.delivered_on == date(2026, 11, 10)
    tasks = FollowUpTask.objects.filter(commission=commission).order_by("due_on")
    assert [(t.title, t.due_on) for t in tasks] == [
        ("提醒客户办理抵押登记", date(2026, 11, 17)),
        ("30天回访：报告使用情况", date(2026, 12, 10)),
    ]
    assert Node.objects.get(commission=commission, order=3).delay_days == 1


def test_close_asks_for_all_nine_aspects_and_then_nothing_changes(commission, manager):
    for node in _nodes(commission):
        node_complete(actor=manager, node=node, actual_on=node.planned_on, now=NOW)

    commission_close(actor=manager, commission=commission, now=NOW)

    final = Evaluation.objects.get(commission=commission, node=None)
    assert final.invitation.codes == []
    with pytest.raises(CommissionClosed):
        node_skip(actor=manager, node=_nodes(commission)[0], reason="x")


def test_someone_outside_the_team_cannot_complete_a_node(commission, colleague, boss):
    first = _nodes(commission)[0]
    with pytest.raises(Forbidden):
        node_complete(actor=colleague, node=first, actual_on=date(2026, 11, 2), now=NOW)

    node_complete(actor=boss, node=first, actual_on=date(2026, 11, 2), now=NOW)
    assert Node.objects.get(pk=first.pk).status == Node.Status.DONE


def test_plan_change_moves_open_nodes_and_keeps_the_reason(commission, manager):
    second = _nodes(commission)[1]

    change = plan_change(
        actor=manager,
        commission=commission,
        reason="限购政策调整，需补充市场比较案例",
        dates={second.pk: date(2026, 11, 12)},
    )

    assert change.changes == [{"node": second.pk, "name": "现场查勘", "from": "2026-11-05", "to": "2026-11-12"}]
    with pytest.raises(DateBeforeStart):
        plan_change(actor=manager, commission=commission, reason="x", dates={second.pk: date(2026, 10, 1)})


def test_weights_must_add_up_to_100(consultancy, type_admin):
    with pytest.raises(InvalidInput):
        weights_save(
            actor=type_admin,
            unit=consultancy,
            on_time_weight=50,
            evaluation_weight=50,
            response_weight=10,
            intervention_weight=0,
        )
    weights = weights_save(
        actor=type_admin,
        unit=consultancy,
        on_time_weight=40,
        evaluation_weight=40,
        response_weight=10,
        intervention_weight=10,
    )
    assert weights.on_time_weight == 40


def test_nodes_template_is_copied_so_later_edits_do_not_move_planned_work(commission, appraisal, type_admin):
    from kefu.engagements.services import commission_type_update

    commission_type_update(
        actor=type_admin, type_=appraisal, name="抵押评估", nodes=[{**n, "offset_days": 0} for n in APPRAISAL_NODES]
    )

    assert _nodes(commission)[2].planned_on == date(2026, 11, 9)
