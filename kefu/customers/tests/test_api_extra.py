"""The ledger API's grading, tagging and audit endpoints: who may call them, scope, field errors."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.customers import grading
from kefu.customers.models import Customer, GradeRule
from kefu.customers.tests.factories import CustomerFactory


@pytest.fixture
def customer(city) -> Customer:
    return CustomerFactory(organisation=city, name="张三", mobile="13812345678")


@pytest.fixture
def executive(city, make_staff):
    return make_staff(city, Role.EXECUTIVE)


def _tagged(agent, customer):
    return grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")


# Grade


def test_customer_grade_api_sets_the_grade_by_hand(api_client_for, agent, customer):
    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/grade/", {"grade": "vip", "note": "大客户"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["grade"], body["grade_source"], body["grade_reason"]) == ("vip", "manual", "大客户")


def test_customer_grade_api_is_404_for_another_unit(api_client_for, outsider, customer):
    response = api_client_for(outsider).post(
        f"/api/v1/customers/{customer.pk}/grade/", {"grade": "a", "note": "x"}, format="json"
    )

    assert response.status_code == 404


def test_customer_grade_api_is_403_for_an_executive(api_client_for, executive, customer):
    response = api_client_for(executive).post(
        f"/api/v1/customers/{customer.pk}/grade/", {"grade": "a", "note": "x"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grade": "z", "note": "x"}, "grade"),
        ({"grade": "", "note": "x"}, "grade"),
        ({"grade": "a", "note": " "}, "note"),
    ],
)
def test_customer_grade_api_rejects_bad_input_naming_the_field(api_client_for, agent, customer, body, field):
    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/grade/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    customer.refresh_from_db()
    assert customer.grade == ""


# Scores


def test_customer_scores_api_records_the_scores_and_grades_by_rule(api_client_for, agent, admin, customer, city):
    grading.graderule_create(actor=admin, organisation=city, grade="a", min_contribution=50)

    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/scores/",
        {"contribution": 80, "influence": 10, "potential": 0},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["contribution_score"], body["influence_score"], body["grade"]) == (80, 10, "a")
    assert body["grade_source"] == "rule"


def test_customer_scores_api_is_404_for_another_unit(api_client_for, outsider, customer):
    response = api_client_for(outsider).post(
        f"/api/v1/customers/{customer.pk}/scores/", {"contribution": 1, "influence": 1, "potential": 1}, format="json"
    )

    assert response.status_code == 404


def test_customer_scores_api_is_403_for_an_executive(api_client_for, executive, customer):
    response = api_client_for(executive).post(
        f"/api/v1/customers/{customer.pk}/scores/", {"contribution": 1, "influence": 1, "potential": 1}, format="json"
    )

    assert response.status_code == 403


def test_customer_scores_api_rejects_a_score_over_100_naming_the_field(api_client_for, agent, customer):
    response = api_client_for(agent).post(
        f"/api/v1/customers/{customer.pk}/scores/", {"contribution": 101, "influence": 1, "potential": 1}, format="json"
    )

    assert response.status_code == 400
    assert "contribution" in response.json()["fields"]


# Tags on a customer


def test_customer_tags_api_adds_a_tag(api_client_for, agent, customer):
    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/tags/", {"name": "业主代表"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "业主代表"
    assert list(customer.tags.values_list("name", flat=True)) == ["业主代表"]


def test_customer_tags_api_is_404_for_another_unit(api_client_for, outsider, customer):
    response = api_client_for(outsider).post(f"/api/v1/customers/{customer.pk}/tags/", {"name": "x"}, format="json")

    assert response.status_code == 404


def test_customer_tags_api_is_403_for_an_executive(api_client_for, executive, customer):
    response = api_client_for(executive).post(f"/api/v1/customers/{customer.pk}/tags/", {"name": "x"}, format="json")

    assert response.status_code == 403


def test_customer_tags_api_rejects_an_empty_name_naming_the_field(api_client_for, agent, customer):
    response = api_client_for(agent).post(f"/api/v1/customers/{customer.pk}/tags/", {"name": ""}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["fields"]


def test_customer_tag_detail_api_shows_the_tag_to_a_reader(api_client_for, agent, executive, customer):
    tag = _tagged(agent, customer)

    response = api_client_for(executive).get(f"/api/v1/customers/{customer.pk}/tags/{tag.pk}/")

    assert response.status_code == 200
    assert response.json() == {"id": tag.pk, "name": "业主代表"}


def test_customer_tag_detail_api_removes_the_tag(api_client_for, agent, customer):
    tag = _tagged(agent, customer)

    response = api_client_for(agent).delete(f"/api/v1/customers/{customer.pk}/tags/{tag.pk}/")

    assert response.status_code == 204
    assert not customer.tags.exists()


def test_customer_tag_detail_api_is_404_for_another_unit(api_client_for, agent, outsider, customer):
    tag = _tagged(agent, customer)

    response = api_client_for(outsider).delete(f"/api/v1/customers/{customer.pk}/tags/{tag.pk}/")

    assert response.status_code == 404
    assert customer.tags.exists()


def test_customer_tag_detail_api_is_404_for_a_tag_the_customer_lacks(api_client_for, agent, customer):
    response = api_client_for(agent).delete(f"/api/v1/customers/{customer.pk}/tags/999999/")

    assert response.status_code == 404


def test_customer_tag_detail_api_is_403_for_an_executive(api_client_for, agent, executive, customer):
    tag = _tagged(agent, customer)

    response = api_client_for(executive).delete(f"/api/v1/customers/{customer.pk}/tags/{tag.pk}/")

    assert response.status_code == 403
    assert customer.tags.exists()


# Grade rules and tags


def test_graderule_list_api_lists_the_rules_to_a_reader(api_client_for, admin, executive, city):
    grading.graderule_create(actor=admin, organisation=city, grade="b", min_influence=30)

    response = api_client_for(executive).get("/api/v1/grade-rules/")

    assert response.status_code == 200
    assert [(r["grade"], r["min_influence"]) for r in response.json()["results"]] == [("b", 30)]


def test_graderule_list_api_hides_another_units_rules(api_client_for, outsider, admin, city):
    grading.graderule_create(actor=admin, organisation=city, grade="b")

    response = api_client_for(outsider).get("/api/v1/grade-rules/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_graderule_create_api_creates_a_rule_in_the_callers_unit(api_client_for, admin, city):
    response = api_client_for(admin).post(
        "/api/v1/grade-rules/", {"grade": "vip", "min_contribution": 90}, format="json"
    )

    assert response.status_code == 201
    rule = GradeRule.objects.get(pk=response.json()["id"])
    assert (rule.organisation, rule.grade, rule.min_contribution) == (city, "vip", 90)


def test_graderule_create_api_is_403_for_an_agent(api_client_for, agent):
    response = api_client_for(agent).post("/api/v1/grade-rules/", {"grade": "vip"}, format="json")

    assert response.status_code == 403
    assert not GradeRule.objects.exists()


def test_graderule_create_api_rejects_an_organisation_outside_scope(api_client_for, admin, other_city):
    response = api_client_for(admin).post(
        "/api/v1/grade-rules/", {"grade": "vip", "organisation": other_city.pk}, format="json"
    )

    assert response.status_code == 400
    assert "organisation" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"), [({"grade": "x"}, "grade"), ({"grade": "a", "min_potential": 101}, "min_potential")]
)
def test_graderule_create_api_rejects_bad_input_naming_the_field(api_client_for, admin, body, field):
    response = api_client_for(admin).post("/api/v1/grade-rules/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_tag_list_api_lists_the_tags_with_their_counts(api_client_for, agent, executive, customer):
    _tagged(agent, customer)

    response = api_client_for(executive).get("/api/v1/tags/")

    assert response.status_code == 200
    assert [(t["name"], t["customer_count"]) for t in response.json()["results"]] == [("业主代表", 1)]


def test_tag_list_api_hides_another_units_tags(api_client_for, agent, outsider, customer):
    _tagged(agent, customer)

    response = api_client_for(outsider).get("/api/v1/tags/")

    assert response.json()["results"] == []


# Audit entries


def test_auditentry_list_api_lists_entries_newest_first_to_an_admin(api_client_for, agent, admin, customer):
    tag = _tagged(agent, customer)
    grading.customer_tag_remove(actor=agent, customer=customer, tag=tag)

    response = api_client_for(admin).get("/api/v1/audit-entries/", {"object_id": str(customer.pk)})

    assert response.status_code == 200
    changes = [entry["changes"] for entry in response.json()["results"]]
    assert changes[:2] == [{"tags": {"old": "业主代表", "new": None}}, {"tags": {"old": None, "new": "业主代表"}}]
    # The creation entry, last: the mobile comes out masked, as it was stored.
    assert changes[2]["mobile"] == {"old": None, "new": "138****5678"}


def test_auditentry_list_api_filters_by_action_and_type(api_client_for, agent, admin, customer):
    _tagged(agent, customer)

    response = api_client_for(admin).get(
        "/api/v1/audit-entries/", {"action": AuditEntry.Action.ERASE, "object_type": "customers.customer"}
    )

    assert response.json()["results"] == []


def test_auditentry_list_api_hides_another_units_entries(api_client_for, agent, outsider, customer):
    _tagged(agent, customer)

    response = api_client_for(outsider).get("/api/v1/audit-entries/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_auditentry_list_api_is_403_for_an_agent(api_client_for, agent):
    response = api_client_for(agent).get("/api/v1/audit-entries/")

    assert response.status_code == 403


def test_auditentry_list_api_rejects_an_unknown_action_naming_it(api_client_for, admin):
    response = api_client_for(admin).get("/api/v1/audit-entries/", {"action": "nope"})

    assert response.status_code == 400
    assert "action" in response.json()["fields"]
