"""The staff pages of commissions: each renders, is scoped, and drives the services."""

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.engagements.models import (
    Commission,
    CommissionType,
    Deliverable,
    FollowUpTask,
    Node,
    PlanChange,
    Risk,
    ScorecardWeights,
)
from kefu.engagements.services import node_complete, node_skip
from kefu.engagements.tests.factories import client_with_mobile, open_commission
from kefu.orgs.models import Membership, OrgUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def as_manager(manager: Membership, client_for: Callable[[Membership], Client]) -> Client:
    return client_for(manager)


def _detail(commission: Commission) -> str:
    return reverse("engagements:commission_detail", kwargs={"commission_id": commission.pk})


def _node_url(name: str, node: Node) -> str:
    return reverse(f"engagements:{name}", kwargs={"commission_id": node.commission_id, "node_id": node.pk})


def _nodes(commission: Commission) -> list[Node]:
    return list(commission.nodes.order_by("order"))


def _deliver(commission: Commission, actor: Membership) -> None:
    for node in _nodes(commission):
        node_skip(actor=actor, node=node, reason="客户已自行办理")


# Pages render, scoped


@pytest.mark.parametrize(
    "name", ["commission_list", "commission_create", "task_list", "type_list", "statistics", "scorecard"]
)
def test_page_renders_for_engagement_manager(name: str, as_manager: Client, commission: Commission) -> None:
    response = as_manager.get(reverse(f"engagements:{name}"))

    assert response.status_code == 200


def test_commission_list_shows_the_commission(as_manager: Client, commission: Commission) -> None:
    response = as_manager.get(reverse("engagements:commission_list"))

    assert [c.pk for c in response.context["page_obj"]] == [commission.pk]
    assert "王总" in response.content.decode()


def test_commission_list_filters_late_only(as_manager: Client, commission: Commission, manager: Membership) -> None:
    for node in _nodes(commission):
        node_complete(actor=manager, node=node, actual_on=date(2026, 11, 20))
    late = open_commission(commission.organisation, manager=manager, type_=commission.type)

    response = as_manager.get(reverse("engagements:commission_list"), {"late": "on"})

    assert [c.pk for c in response.context["page_obj"]] == [late.pk]


def test_commission_detail_renders_nodes_and_client(as_manager: Client, commission: Commission) -> None:
    response = as_manager.get(_detail(commission))

    body = response.content.decode()
    assert response.status_code == 200
    assert [n.name for n in response.context["nodes"]] == ["确认核心诉求", "现场查勘", "出具报告"]
    assert "王总" in body
    assert commission.number in body


def test_commission_edit_renders(as_manager: Client, commission: Commission) -> None:
    response = as_manager.get(reverse("engagements:commission_edit", kwargs={"commission_id": commission.pk}))

    assert response.status_code == 200
    assert response.context["form"]["title"].value() == "前海湾住宅抵押评估"


def test_type_pages_render_for_type_admin(
    type_admin: Membership, client_for: Callable[[Membership], Client], appraisal: CommissionType
) -> None:
    client = client_for(type_admin)

    create = client.get(reverse("engagements:type_create"))
    edit = client.get(reverse("engagements:type_edit", kwargs={"commission_type_id": appraisal.pk}))

    assert (create.status_code, edit.status_code) == (200, 200)
    assert [f["name"].value() for f in edit.context["nodes"].initial_forms] == ["确认核心诉求", "现场查勘", "出具报告"]


def test_commission_detail_is_forbidden_to_an_agent(
    agent: Membership, client_for: Callable[[Membership], Client], commission: Commission
) -> None:
    response = client_for(agent).get(_detail(commission))

    assert response.status_code == 403


def test_commission_detail_is_not_found_for_another_unit(
    outsider: Membership, client_for: Callable[[Membership], Client], commission: Commission
) -> None:
    response = client_for(outsider).get(_detail(commission))

    assert response.status_code == 404


def test_deliverable_download_is_not_found_for_another_unit(
    outsider: Membership, client_for: Callable[[Membership], Client], as_manager: Client, commission: Commission
) -> None:
    as_manager.post(
        reverse("engagements:deliverable_add", kwargs={"commission_id": commission.pk}),
        {"file": SimpleUploadedFile("报告.pdf", b"%PDF-1.4 report"), "is_shared": "on"},
    )
    deliverable = Deliverable.objects.get(commission=commission)
    url = reverse(
        "engagements:deliverable_download", kwargs={"commission_id": commission.pk, "deliverable_id": deliverable.pk}
    )

    response = client_for(outsider).get(url)

    assert response.status_code == 404


def test_workbench_lists_my_commissions(as_manager: Client, commission: Commission) -> None:
    response = as_manager.get(reverse("workbench:home"))

    assert [c.pk for c in response.context["my_commissions"]] == [commission.pk]


# Actions


def test_node_complete_marks_the_node_done(as_manager: Client, commission: Commission) -> None:
    first = _nodes(commission)[0]

    response = as_manager.post(
        _node_url("node_complete", first), {f"n{first.pk}-actual_on": "2026-11-03", f"n{first.pk}-note": "已签字"}
    )

    first.refresh_from_db()
    assert response.status_code == 302
    assert (first.status, first.actual_on, first.delay_days, first.note) == (
        Node.Status.DONE,
        date(2026, 11, 3),
        1,
        "已签字",
    )


def test_node_complete_before_the_start_shows_the_error_on_the_date(as_manager: Client, commission: Commission) -> None:
    first = _nodes(commission)[0]

    response = as_manager.post(
        _node_url("node_complete", first), {f"n{first.pk}-actual_on": "2026-10-01", f"n{first.pk}-note": "已签字"}
    )

    first.refresh_from_db()
    shown = next(n for n in response.context["nodes"] if n.pk == first.pk)
    assert response.status_code == 400
    assert first.status == Node.Status.PENDING
    assert list(shown.complete_form.errors) == ["actual_on"]
    assert shown.complete_form["note"].value() == "已签字"


def test_node_start_and_skip(as_manager: Client, commission: Commission) -> None:
    first, second = _nodes(commission)[:2]

    as_manager.post(_node_url("node_start", first))
    as_manager.post(_node_url("node_skip", second), {f"s{second.pk}-reason": "客户已提供"})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Node.Status.ACTIVE, Node.Status.SKIPPED)


def test_risk_add_and_close(as_manager: Client, commission: Commission) -> None:
    as_manager.post(
        reverse("engagements:risk_add", kwargs={"commission_id": commission.pk}),
        {"description": "产权证明未齐", "level": "high", "mitigation": "", "node": ""},
    )
    risk = Risk.objects.get(commission=commission)

    response = as_manager.post(
        reverse("engagements:risk_close", kwargs={"commission_id": commission.pk, "risk_id": risk.pk})
    )

    risk.refresh_from_db()
    assert response.status_code == 302
    assert (risk.description, risk.level, risk.closed_at is not None) == ("产权证明未齐", "high", True)


def test_risk_add_without_a_description_keeps_the_level(as_manager: Client, commission: Commission) -> None:
    response = as_manager.post(
        reverse("engagements:risk_add", kwargs={"commission_id": commission.pk}),
        {"description": "", "level": "high", "node": ""},
    )

    assert response.status_code == 400
    assert list(response.context["risk_form"].errors) == ["description"]
    assert response.context["risk_form"]["level"].value() == "high"
    assert not Risk.objects.filter(commission=commission).exists()


def test_deliverable_upload_and_download(as_manager: Client, commission: Commission) -> None:
    second = _nodes(commission)[1]

    upload = as_manager.post(
        reverse("engagements:deliverable_add", kwargs={"commission_id": commission.pk}),
        {"file": SimpleUploadedFile("查勘记录.pdf", b"%PDF-1.4 site visit"), "name": "", "node": str(second.pk)},
    )
    deliverable = Deliverable.objects.get(commission=commission)
    download = as_manager.get(
        reverse(
            "engagements:deliverable_download",
            kwargs={"commission_id": commission.pk, "deliverable_id": deliverable.pk},
        )
    )

    assert upload.status_code == 302
    assert (deliverable.name, deliverable.node_id, deliverable.is_shared) == ("查勘记录.pdf", second.pk, False)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 site visit"


def test_plan_change_moves_the_open_nodes(as_manager: Client, commission: Commission) -> None:
    first, second, third = _nodes(commission)

    response = as_manager.post(
        reverse("engagements:plan_change", kwargs={"commission_id": commission.pk}),
        {
            "reason": "限购政策调整",
            f"date_{first.pk}": "2026-11-02",
            f"date_{second.pk}": "2026-11-12",
            f"date_{third.pk}": "2026-11-16",
        },
    )

    second.refresh_from_db()
    change = PlanChange.objects.get(commission=commission)
    assert response.status_code == 302
    assert second.planned_on == date(2026, 11, 12)
    assert [c["name"] for c in change.changes] == ["现场查勘", "出具报告"]


def test_plan_change_before_the_start_shows_the_error_on_that_node(as_manager: Client, commission: Commission) -> None:
    first, second, third = _nodes(commission)

    response = as_manager.post(
        reverse("engagements:plan_change", kwargs={"commission_id": commission.pk}),
        {
            "reason": "限购政策调整",
            f"date_{first.pk}": "2026-11-02",
            f"date_{second.pk}": "2026-10-01",
            f"date_{third.pk}": "2026-11-16",
        },
    )

    form = response.context["plan_form"]
    assert response.status_code == 400
    assert list(form.errors) == [f"date_{second.pk}"]
    assert form["reason"].value() == "限购政策调整"
    assert not PlanChange.objects.exists()


def test_task_complete_records_the_outcome(as_manager: Client, commission: Commission, manager: Membership) -> None:
    _deliver(commission, manager)
    task = FollowUpTask.objects.filter(commission=commission).order_by("due_on").first()
    assert task is not None

    response = as_manager.post(
        reverse("engagements:task_complete", kwargs={"task_id": task.pk}), {"outcome": "客户已办理抵押登记"}
    )

    task.refresh_from_db()
    assert response.status_code == 302
    assert (task.outcome, task.done_by_id) == ("客户已办理抵押登记", manager.pk)


def test_commission_close_after_delivery(as_manager: Client, commission: Commission, manager: Membership) -> None:
    _deliver(commission, manager)

    as_manager.post(reverse("engagements:commission_close", kwargs={"commission_id": commission.pk}))

    commission.refresh_from_db()
    assert commission.status == Commission.Status.CLOSED


def test_commission_cancel_by_a_supervisor(
    boss: Membership, client_for: Callable[[Membership], Client], commission: Commission
) -> None:
    client_for(boss).post(
        reverse("engagements:commission_cancel", kwargs={"commission_id": commission.pk}), {"reason": "客户撤回委托"}
    )

    commission.refresh_from_db()
    assert commission.status == Commission.Status.CANCELLED


def _create_data(appraisal: CommissionType, manager: Membership, client_id: int, **overrides: str) -> dict[str, str]:
    return {
        "type": str(appraisal.pk),
        "client": str(client_id),
        "title": "南山写字楼可行性研究",
        "purpose": "",
        "core_need": "判断项目是否值得投资",
        "core_need_confirmed_on": "2026-11-18",
        "manager": str(manager.pk),
        "starts_on": "2026-11-18",
        "due_on": "",
        "fee_amount": "30000",
        "project": "",
        "client_key": "k-1",
        **overrides,
    }


def test_commission_create_opens_the_commission(
    as_manager: Client, manager: Membership, appraisal: CommissionType, consultancy: OrgUnit
) -> None:
    client = client_with_mobile(consultancy, name="李总")

    response = as_manager.post(reverse("engagements:commission_create"), _create_data(appraisal, manager, client.pk))

    commission = Commission.objects.get(client=client)
    assert response.status_code == 302
    assert response["Location"] == _detail(commission)
    assert (commission.title, commission.manager_id, commission.nodes.count()) == (
        "南山写字楼可行性研究",
        manager.pk,
        3,
    )
    assert [c.name for c in commission.contacts.all()] == ["李总"]


def test_commission_create_with_due_before_start_keeps_the_input(
    as_manager: Client, manager: Membership, appraisal: CommissionType, consultancy: OrgUnit
) -> None:
    client = client_with_mobile(consultancy, name="李总")

    response = as_manager.post(
        reverse("engagements:commission_create"), _create_data(appraisal, manager, client.pk, due_on="2026-11-01")
    )

    form = response.context["form"]
    assert response.status_code == 400
    assert list(form.errors) == ["due_on"]
    assert (form["title"].value(), form["client"].value()) == ("南山写字楼可行性研究", str(client.pk))
    assert not Commission.objects.filter(client=client).exists()


def test_commission_create_finds_clients_for_the_picker(
    as_manager: Client, consultancy: OrgUnit, commission: Commission
) -> None:
    found = client_with_mobile(consultancy, name="李总")

    response = as_manager.get(
        reverse("engagements:commission_create"), {"client_q": "李总", "picker": "client"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="client" value="{found.pk}"' in body
    assert "王总" not in body


def test_commission_edit_saves_the_core_need(as_manager: Client, commission: Commission, manager: Membership) -> None:
    response = as_manager.post(
        reverse("engagements:commission_edit", kwargs={"commission_id": commission.pk}),
        {
            "title": commission.title,
            "core_need": "一周内出具可用于抵押的报告",
            "core_need_confirmed_on": "2026-11-02",
            "manager": str(manager.pk),
            "contacts": [str(c.pk) for c in commission.contacts.all()],
            "due_on": "2026-11-09",
        },
    )

    commission.refresh_from_db()
    assert response.status_code == 302
    assert (commission.core_need, commission.core_need_confirmed_on) == (
        "一周内出具可用于抵押的报告",
        date(2026, 11, 2),
    )


def _type_data(**rows: str) -> dict[str, str]:
    return {
        "name": "可行性研究",
        "description": "",
        "strict_order": "on",
        "node-TOTAL_FORMS": "3",
        "node-INITIAL_FORMS": "0",
        "node-0-name": "确认核心诉求",
        "node-0-offset_days": "0",
        "node-0-owner": "manager",
        "node-0-aspects": "P1",
        "node-1-name": "市场调研",
        "node-1-offset_days": "10",
        "node-1-owner": "member",
        "node-2-owner": "manager",
        "follow-TOTAL_FORMS": "2",
        "follow-INITIAL_FORMS": "0",
        "follow-0-kind": "follow_up",
        "follow-0-days_after": "30",
        "follow-0-title": "30天回访",
        "follow-1-kind": "follow_up",
        **rows,
    }


def test_type_create_saves_nodes_and_follow_ups(
    type_admin: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(type_admin).post(reverse("engagements:type_create"), _type_data())

    type_ = CommissionType.objects.get(name="可行性研究")
    assert response.status_code == 302
    assert [(n.name, n.offset_days, n.aspects) for n in type_.nodes.all()] == [
        ("确认核心诉求", 0, ["P1"]),
        ("市场调研", 10, []),
    ]
    assert [t.title for t in type_.follow_ups.all()] == ["30天回访"]


def test_type_create_shows_a_node_out_of_order_on_its_row(
    type_admin: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(type_admin).post(
        reverse("engagements:type_create"), _type_data(**{"node-0-offset_days": "20"})
    )

    nodes = response.context["nodes"]
    assert response.status_code == 400
    assert list(nodes.forms[1].errors) == ["offset_days"]
    assert nodes.forms[1]["name"].value() == "市场调研"
    assert not CommissionType.objects.filter(name="可行性研究").exists()


def test_type_create_is_forbidden_to_an_engagement_manager(as_manager: Client) -> None:
    response = as_manager.post(reverse("engagements:type_create"), _type_data())

    assert response.status_code == 403


def test_weights_save_by_an_administrator(
    type_admin: Membership, client_for: Callable[[Membership], Client], consultancy: OrgUnit
) -> None:
    response = client_for(type_admin).post(
        reverse("engagements:weights_save"),
        {"on_time_weight": "40", "evaluation_weight": "40", "response_weight": "10", "intervention_weight": "10"},
    )

    assert response.status_code == 302
    assert ScorecardWeights.objects.get(organisation=consultancy).on_time_weight == 40


# Query counts: the same at any number of rows


def _three_commissions(commission: Commission, manager: Membership) -> None:
    for name in ("李总", "赵总"):
        other = open_commission(
            commission.organisation,
            manager=manager,
            type_=commission.type,
            client=client_with_mobile(commission.organisation, name=name),
        )
        node_complete(actor=manager, node=_nodes(other)[0], actual_on=date(2026, 11, 3))


def test_commission_list_query_count(
    as_manager: Client, commission: Commission, manager: Membership, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _three_commissions(commission, manager)

    with django_assert_num_queries(LIST_QUERIES):
        response = as_manager.get(reverse("engagements:commission_list"))

    assert len(response.context["page_obj"]) == 3


def test_commission_detail_query_count(
    as_manager: Client, commission: Commission, manager: Membership, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for node in _nodes(commission)[:2]:
        node_complete(actor=manager, node=node, actual_on=date(2026, 11, 5))

    with django_assert_num_queries(DETAIL_QUERIES):
        response = as_manager.get(_detail(commission))

    assert len(response.context["evaluations"]) == 2


def test_statistics_query_count(
    as_manager: Client, commission: Commission, manager: Membership, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _three_commissions(commission, manager)

    with django_assert_num_queries(STATISTICS_QUERIES):
        response = as_manager.get(reverse("engagements:statistics"), {"by": "commission"})

    assert [row.commissions for row in response.context["rows"]] == [1, 1, 1]


LIST_QUERIES = 12
DETAIL_QUERIES = 19
STATISTICS_QUERIES = 15


# What the walk found


def test_the_list_says_how_many_nodes_are_late_in_chinese(as_manager, commission):
    body = as_manager.get(reverse("engagements:commission_list")).content.decode()

    assert "3 个节点延误" in body


def test_the_task_list_offers_done_only_on_tasks_of_the_viewers_commissions(
    consultancy, as_manager, colleague, appraisal
):
    theirs = open_commission(consultancy, manager=colleague, type_=appraisal, client=client_with_mobile(consultancy))
    _deliver(theirs, colleague)
    task = theirs.tasks.first()

    body = as_manager.get(reverse("engagements:task_list")).content.decode()

    assert task.title in body
    assert reverse("engagements:task_complete", kwargs={"task_id": task.pk}) not in body


def test_an_empty_outcome_on_the_task_list_names_the_task(consultancy, manager, as_manager, appraisal):
    mine = open_commission(consultancy, manager=manager, type_=appraisal, client=client_with_mobile(consultancy))
    _deliver(mine, manager)
    task = mine.tasks.order_by("due_on").first()

    response = as_manager.post(
        reverse("engagements:task_complete", kwargs={"task_id": task.pk}), {"outcome": "", "next": "tasks"}, follow=True
    )

    assert f"“{task.title}”未标记完成" in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is None


def test_a_supervisors_workbench_lists_the_units_open_commissions(boss, client_for, commission):
    body = client_for(boss).get(reverse("workbench:home")).content.decode()

    assert commission.title in body
