"""The commissions API: idempotent create, node actions with their rules, errors naming the field,
denial by scope and by role, and the query counts of the list endpoints."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kefu.core.roles import Role
from kefu.engagements.models import Commission, Deliverable, Node, PlanChange
from kefu.engagements.tests.factories import appraisal_type, client_with_mobile, commission_sms, open_commission
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _nodes(commission: Commission) -> list[Node]:
    return list(commission.nodes.order_by("order"))


def _node_url(commission: Commission, node: Node, action: str) -> str:
    return reverse(f"api:commission_node_{action}", kwargs={"commission_id": commission.pk, "node_id": node.pk})


def _create_body(appraisal, manager, client) -> dict:
    return {
        "type": appraisal.pk,
        "client": client.pk,
        "title": "蛇口商铺抵押评估",
        "manager": manager.pk,
        "starts_on": "2026-11-16",
    }


def test_commission_create_with_the_same_idempotency_key_opens_one(api_client_for, consultancy, manager, appraisal):
    client = client_with_mobile(consultancy, name="李总")
    api = api_client_for(manager)
    body = _create_body(appraisal, manager, client)

    first = api.post(reverse("api:commission_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(reverse("api:commission_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Commission.objects.filter(client=client).count() == 1
    assert [n["name"] for n in first.json()["nodes"]] == ["确认核心诉求", "现场查勘", "出具报告"]


def test_commission_create_with_a_used_key_and_another_body_is_a_conflict(
    api_client_for, consultancy, manager, appraisal
):
    client = client_with_mobile(consultancy, name="李总")
    api = api_client_for(manager)
    body = _create_body(appraisal, manager, client)
    api.post(reverse("api:commission_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = api.post(
        reverse("api:commission_list"), {**body, "title": "另一个委托"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_client_key"
    assert Commission.objects.filter(client=client).count() == 1


def test_commission_create_rejects_a_due_date_before_the_start(api_client_for, consultancy, manager, appraisal):
    client = client_with_mobile(consultancy, name="李总")
    body = {**_create_body(appraisal, manager, client), "due_on": "2026-11-01"}

    response = api_client_for(manager).post(reverse("api:commission_list"), body, format="json")

    assert response.status_code == 400
    assert "due_on" in response.json()["fields"]
    assert not Commission.objects.filter(client=client).exists()


def test_node_complete_marks_the_node_done(api_client_for, manager, commission):
    first = _nodes(commission)[0]

    response = api_client_for(manager).post(
        _node_url(commission, first, "complete"), {"actual_on": "2026-11-03", "note": "已签字"}, format="json"
    )

    first.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert (first.status, str(first.actual_on), first.delay_days) == ("done", "2026-11-03", 1)


def test_node_complete_before_the_start_is_a_400_on_actual_on(api_client_for, manager, commission):
    first = _nodes(commission)[0]

    response = api_client_for(manager).post(
        _node_url(commission, first, "complete"), {"actual_on": "2026-10-30"}, format="json"
    )

    first.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["code"] == "date_before_start"
    assert "actual_on" in response.json()["fields"]
    assert first.status == Node.Status.PENDING


def test_node_complete_out_of_order_is_a_409(api_client_for, manager, commission):
    second = _nodes(commission)[1]

    response = api_client_for(manager).post(
        _node_url(commission, second, "complete"), {"actual_on": "2026-11-05"}, format="json"
    )

    second.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "node_out_of_order"
    assert second.status == Node.Status.PENDING


def test_plan_change_moves_the_node_and_keeps_the_reason(api_client_for, manager, commission):
    second = _nodes(commission)[1]
    body = {"reason": "限购政策调整", "dates": [{"node": second.pk, "planned_on": "2026-11-12"}]}

    response = api_client_for(manager).post(
        reverse("api:commission_plan_change", kwargs={"commission_id": commission.pk}), body, format="json"
    )

    second.refresh_from_db()
    assert response.status_code == 201
    assert str(second.planned_on) == "2026-11-12"
    assert PlanChange.objects.get(commission=commission).reason == "限购政策调整"


def test_deliverable_upload_stores_the_file(api_client_for, manager, commission):
    upload = SimpleUploadedFile("报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")

    response = api_client_for(manager).post(
        reverse("api:commission_deliverable_upload", kwargs={"commission_id": commission.pk}),
        {"file": upload, "name": "评估报告", "is_shared": "false"},
        format="multipart",
    )

    assert response.status_code == 201
    deliverable = Deliverable.objects.get(commission=commission)
    assert (deliverable.name, deliverable.is_shared, deliverable.size) == ("评估报告", False, 15)


@pytest.fixture
def far_commission(other_city: OrgUnit, make_staff) -> Commission:
    unit = OrgUnitFactory(name="蓉城咨询", code="rongcheng", kind=OrgUnit.Kind.CONSULTANCY, parent=other_city)
    commission_sms(unit)
    far_manager = make_staff(unit, Role.ENGAGEMENT_MANAGER, name="赵丽")
    return open_commission(unit, manager=far_manager, type_=appraisal_type(unit))


def test_another_units_commission_is_a_404(api_client_for, manager, far_commission):
    api = api_client_for(manager)
    node = _nodes(far_commission)[0]

    detail = api.get(reverse("api:commission_detail", kwargs={"commission_id": far_commission.pk}))
    complete = api.post(_node_url(far_commission, node, "complete"), {"actual_on": "2026-11-02"}, format="json")

    node.refresh_from_db()
    assert (detail.status_code, complete.status_code) == (404, 404)
    assert node.status == Node.Status.PENDING


def test_an_agent_may_not_read_commissions(api_client_for, consultancy, make_staff, commission):
    agent = make_staff(consultancy, Role.AGENT)

    response = api_client_for(agent).get(reverse("api:commission_detail", kwargs={"commission_id": commission.pk}))

    assert response.status_code == 403


def test_commission_list_filters_and_counts_its_queries(
    api_client_for, consultancy, manager, appraisal, commission, django_assert_num_queries
):
    for _ in range(2):
        open_commission(consultancy, manager=manager, type_=appraisal)
    api = api_client_for(manager)
    api.get(reverse("api:commission_scorecard"))  # loads the caller's membership and roles once

    # One query for the page, whatever its length: the progress counts are annotations.
    with django_assert_num_queries(1):
        response = api.get(reverse("api:commission_list"), {"late": "true", "q": "评估"})

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["前海湾住宅抵押评估"] * 3
    assert all(row["late_nodes"] == 3 for row in response.json()["results"])


def test_commission_type_and_task_lists_count_their_queries(
    api_client_for, manager, commission, django_assert_num_queries
):
    api = api_client_for(manager)
    api.get(reverse("api:commission_scorecard"))  # loads the caller's membership and roles once

    with django_assert_num_queries(1):
        types = api.get(reverse("api:commission_type_list"))
    with django_assert_num_queries(1):
        tasks = api.get(reverse("api:commission_task_list"))

    assert [row["name"] for row in types.json()["results"]] == ["抵押评估"]
    assert tasks.json()["results"] == []


def test_statistics_groups_by_manager(api_client_for, manager, commission):
    response = api_client_for(manager).get(reverse("api:commission_statistics"), {"by": "manager"})

    assert response.status_code == 200
    assert [(row["label"], row["commissions"], row["nodes_late"]) for row in response.json()] == [("周明", 1, 3)]


def test_close_a_delivered_commission_asks_for_the_full_evaluation(api_client_for, manager, commission):
    from kefu.engagements.services import node_skip

    for node in _nodes(commission):
        node_skip(actor=manager, node=node, reason="客户已自行办理")
    url = reverse("api:commission_close", kwargs={"commission_id": commission.pk})

    response = api_client_for(manager).post(url, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert commission.evaluations.filter(node=None).count() == commission.contacts.count()


def test_cancel_needs_a_reason_and_a_supervisor(api_client_for, manager, boss, commission):
    url = reverse("api:commission_cancel", kwargs={"commission_id": commission.pk})

    assert api_client_for(manager).post(url, {"reason": "客户撤回委托"}, format="json").status_code == 403
    missing = api_client_for(boss).post(url, {"reason": ""}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["fields"]
    assert api_client_for(boss).post(url, {"reason": "客户撤回委托"}, format="json").json()["status"] == "cancelled"


def test_weights_are_read_by_reporters_and_set_by_administrators(api_client_for, boss, type_admin):
    url = reverse("api:commission_weights")
    body = {"on_time_weight": 40, "evaluation_weight": 40, "response_weight": 10, "intervention_weight": 10}

    assert api_client_for(boss).get(url).json()["on_time_weight"] == 30
    assert api_client_for(boss).post(url, body, format="json").status_code == 403
    assert api_client_for(type_admin).post(url, {**body, "response_weight": 20}, format="json").status_code == 400
    assert api_client_for(type_admin).post(url, body, format="json").json() == body
    assert api_client_for(boss).get(url).json()["on_time_weight"] == 40
