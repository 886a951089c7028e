"""Grade rules (data administrators edit), re-grading by them, and tags."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden
from kefu.core.roles import Role
from kefu.customers import grading
from kefu.customers.errors import CustomerMerged, ScoreOutOfRange, TagNameInvalid, TagNameTaken
from kefu.customers.merge import customer_merge
from kefu.customers.models import Customer, Grade, GradeRule, Tag, TimelineEntry
from kefu.customers.services import TimelineKind, customer_override_grade
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory


def _rule(unit: OrgUnit, grade: str, priority: int, contribution: int = 0, **kwargs: object) -> GradeRule:
    return GradeRule.objects.create(
        organisation=unit, grade=grade, priority=priority, min_contribution=contribution, **kwargs
    )


def _scored(unit: OrgUnit, contribution: int, **kwargs: object) -> Customer:
    customer = CustomerFactory(organisation=unit, **kwargs)
    Customer.objects.filter(pk=customer.pk).update(contribution_score=contribution)
    customer.refresh_from_db()
    return customer


# Grade rules: reading


def test_graderule_list_includes_rules_inherited_from_units_above(admin, group, city):
    own = _rule(city, Grade.A, 10)
    inherited = _rule(group, Grade.VIP, 1)

    rules = grading.graderule_list(viewer=admin)

    assert {r.pk for r in rules} == {own.pk, inherited.pk}


def test_graderule_list_leaves_out_a_sibling_units_rules(admin, other_city):
    _rule(other_city, Grade.A, 10)

    assert list(grading.graderule_list(viewer=admin)) == []


def test_graderule_get_is_404_for_an_inherited_rule(admin, group):
    from django.http import Http404

    rule = _rule(group, Grade.VIP, 1)

    with pytest.raises(Http404):
        grading.graderule_get(viewer=admin, graderule_id=rule.pk)


# Grade rules: writing


def test_graderule_create_creates_a_rule(admin, city):
    rule = grading.graderule_create(
        actor=admin, organisation=city, grade=Grade.VIP, priority=1, min_contribution=90, description="头部客户"
    )

    assert GradeRule.objects.get(pk=rule.pk).min_contribution == 90


@pytest.mark.parametrize("field", ["min_contribution", "min_influence", "min_potential"])
def test_graderule_create_rejects_a_score_above_100_naming_the_field(admin, city, field):
    with pytest.raises(ScoreOutOfRange) as caught:
        grading.graderule_create(actor=admin, organisation=city, grade=Grade.A, **{field: 101})

    assert caught.value.field == field
    assert not GradeRule.objects.exists()


def test_graderule_create_rejects_a_negative_score(admin, city):
    with pytest.raises(ScoreOutOfRange):
        grading.graderule_create(actor=admin, organisation=city, grade=Grade.A, min_influence=-1)

    assert not GradeRule.objects.exists()


def test_graderule_create_refuses_an_agent(agent, city):
    with pytest.raises(Forbidden):
        grading.graderule_create(actor=agent, organisation=city, grade=Grade.A)

    assert not GradeRule.objects.exists()


def test_graderule_create_refuses_a_unit_outside_scope(admin, other_city):
    with pytest.raises(Forbidden):
        grading.graderule_create(actor=admin, organisation=other_city, grade=Grade.A)

    assert not GradeRule.objects.exists()


def test_graderule_update_changes_the_minimums(admin, city):
    rule = _rule(city, Grade.A, 10, contribution=60)

    grading.graderule_update(
        actor=admin, rule=rule, grade=Grade.A, priority=5, min_contribution=70, min_influence=10, min_potential=0
    )

    rule.refresh_from_db()
    assert (rule.priority, rule.min_contribution, rule.min_influence) == (5, 70, 10)


def test_graderule_update_refuses_an_administrator_of_another_unit(outsider, city):
    rule = _rule(city, Grade.A, 10, contribution=60)

    with pytest.raises(Forbidden):
        grading.graderule_update(
            actor=outsider, rule=rule, grade=Grade.C, priority=1, min_contribution=0, min_influence=0, min_potential=0
        )

    rule.refresh_from_db()
    assert rule.grade == Grade.A


def test_graderule_delete_deletes_the_rule(admin, city):
    rule = _rule(city, Grade.A, 10)

    grading.graderule_delete(actor=admin, rule=rule)

    assert not GradeRule.objects.exists()


def test_graderule_delete_refuses_an_agent(agent, city):
    rule = _rule(city, Grade.A, 10)

    with pytest.raises(Forbidden):
        grading.graderule_delete(actor=agent, rule=rule)

    assert GradeRule.objects.filter(pk=rule.pk).exists()


# Re-grading


def test_graderule_apply_grades_customers_by_the_rules(admin, city):
    _rule(city, Grade.VIP, 1, contribution=90)
    _rule(city, Grade.C, 99)
    top = _scored(city, 95)
    low = _scored(city, 10)

    result = grading.graderule_apply(actor=admin)

    top.refresh_from_db()
    low.refresh_from_db()
    assert (top.grade, top.grade_source, low.grade) == (Grade.VIP, Customer.GradeSource.RULE, Grade.C)
    assert (result.checked, result.changed) == (2, 2)


def test_graderule_apply_counts_only_customers_whose_grade_changed(admin, city):
    _rule(city, Grade.A, 1)
    _scored(city, 50)
    grading.graderule_apply(actor=admin)
    _scored(city, 50)

    result = grading.graderule_apply(actor=admin)

    assert (result.checked, result.changed) == (2, 1)


def test_graderule_apply_leaves_grades_set_by_hand_alone(admin, city):
    _rule(city, Grade.C, 1)
    customer = customer_override_grade(actor=admin, customer=_scored(city, 50), grade=Grade.VIP, note="集团大客户")

    grading.graderule_apply(actor=admin)

    customer.refresh_from_db()
    assert (customer.grade, customer.grade_source) == (Grade.VIP, Customer.GradeSource.MANUAL)


def test_graderule_apply_records_the_change_on_the_timeline(admin, city):
    _rule(city, Grade.B, 1, description="普通业主")
    customer = _scored(city, 30)

    grading.graderule_apply(actor=admin)

    entry = TimelineEntry.objects.get(customer=customer, kind=TimelineKind.GRADE_CHANGED)
    assert (entry.data, entry.actor_id) == ({"old": "", "new": "b", "source": "rule"}, admin.user_id)


def test_graderule_apply_uses_rules_of_units_above(admin, group, city):
    _rule(group, Grade.A, 1)
    customer = _scored(city, 0)

    grading.graderule_apply(actor=admin)

    customer.refresh_from_db()
    assert customer.grade == Grade.A


def test_graderule_apply_leaves_customers_of_another_unit_alone(admin, city, other_city):
    _rule(other_city, Grade.A, 1)
    _rule(city, Grade.B, 1)
    theirs = _scored(other_city, 50)

    grading.graderule_apply(actor=admin)

    theirs.refresh_from_db()
    assert theirs.grade == ""


def test_graderule_apply_does_not_query_per_customer(admin, city):
    _rule(city, Grade.A, 1)
    team = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    for unit in (city, team):
        for _ in range(3):
            _scored(unit, 40)
    with CaptureQueriesContext(connection) as few:
        grading.graderule_apply(actor=admin)
    Customer.objects.update(grade="", grade_source="", grade_reason="")
    for unit in (city, team):
        for _ in range(5):
            _scored(unit, 40)

    with CaptureQueriesContext(connection) as many:
        result = grading.graderule_apply(actor=admin)

    assert result.changed == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_graderule_apply_refuses_an_agent(agent, city):
    _rule(city, Grade.A, 1)
    customer = _scored(city, 50)

    with pytest.raises(Forbidden):
        grading.graderule_apply(actor=agent)

    customer.refresh_from_db()
    assert customer.grade == ""


# Tags


def test_tag_create_creates_a_tag_in_the_unit(admin, city):
    tag = grading.tag_create(actor=admin, organisation=city, name="  业主  代表 ")

    assert (tag.organisation_id, tag.name) == (city.pk, "业主 代表")


def test_tag_create_rejects_a_name_in_use(admin, city):
    Tag.objects.create(organisation=city, name="业主代表")

    with pytest.raises(TagNameTaken) as caught:
        grading.tag_create(actor=admin, organisation=city, name="业主代表")

    assert caught.value.field == "name"


def test_tag_create_rejects_a_name_a_unit_above_uses(admin, group, city):
    Tag.objects.create(organisation=group, name="业主代表")

    with pytest.raises(TagNameTaken):
        grading.tag_create(actor=admin, organisation=city, name="业主代表")

    assert Tag.objects.count() == 1


def test_tag_create_rejects_a_name_a_unit_below_uses(group_admin, city):
    Tag.objects.create(organisation=city, name="业主代表")

    with pytest.raises(TagNameTaken):
        grading.tag_create(actor=group_admin, organisation=group_admin.unit, name="业主代表")

    assert Tag.objects.count() == 1


def test_tag_create_allows_a_name_a_sibling_unit_uses(admin, city, other_city):
    Tag.objects.create(organisation=other_city, name="业主代表")

    tag = grading.tag_create(actor=admin, organisation=city, name="业主代表")

    assert tag.organisation_id == city.pk


@pytest.mark.parametrize("name", ["", "   ", "长" * 31])
def test_tag_create_rejects_an_empty_or_long_name(admin, city, name):
    with pytest.raises(TagNameInvalid):
        grading.tag_create(actor=admin, organisation=city, name=name)

    assert not Tag.objects.exists()


def test_tag_create_refuses_an_agent(agent, city):
    with pytest.raises(Forbidden):
        grading.tag_create(actor=agent, organisation=city, name="业主代表")

    assert not Tag.objects.exists()


def test_tag_rename_renames(admin, city):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    grading.tag_rename(actor=admin, tag=tag, name="业委会")

    tag.refresh_from_db()
    assert tag.name == "业委会"


def test_tag_rename_rejects_the_name_of_another_tag(admin, city):
    Tag.objects.create(organisation=city, name="业委会")
    tag = Tag.objects.create(organisation=city, name="业主代表")

    with pytest.raises(TagNameTaken):
        grading.tag_rename(actor=admin, tag=tag, name="业委会")

    tag.refresh_from_db()
    assert tag.name == "业主代表"


def test_tag_rename_refuses_an_administrator_of_another_unit(outsider, city):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    with pytest.raises(Forbidden):
        grading.tag_rename(actor=outsider, tag=tag, name="x")

    tag.refresh_from_db()
    assert tag.name == "业主代表"


def test_tag_delete_takes_the_tag_off_its_customers(admin, city):
    tag = Tag.objects.create(organisation=city, name="业主代表")
    customer = CustomerFactory(organisation=city)
    customer.tags.add(tag)

    grading.tag_delete(actor=admin, tag=tag)

    assert not Tag.objects.exists()
    assert list(customer.tags.all()) == []


def test_tag_list_counts_customers(admin, city):
    tag = Tag.objects.create(organisation=city, name="业主代表")
    for _ in range(2):
        CustomerFactory(organisation=city).tags.add(tag)

    assert [(t.name, t.customer_count) for t in grading.tag_list(viewer=admin)] == [("业主代表", 2)]


def test_tag_list_includes_tags_of_units_above_counting_only_customers_in_scope(admin, group, city, other_city):
    shared = Tag.objects.create(organisation=group, name="业主代表")
    CustomerFactory(organisation=city).tags.add(shared)
    CustomerFactory(organisation=other_city).tags.add(shared)

    assert [(t.pk, t.customer_count) for t in grading.tag_list(viewer=admin)] == [(shared.pk, 1)]


def test_tag_list_leaves_out_another_units_tags(admin, other_city):
    Tag.objects.create(organisation=other_city, name="业主代表")

    assert list(grading.tag_list(viewer=admin)) == []


# Tagging a customer


def test_customer_tag_add_creates_the_tag_in_the_customers_unit(agent, city):
    team = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    customer = CustomerFactory(organisation=team)

    tag = grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    assert (tag.organisation_id, list(customer.tags.all())) == (team.pk, [tag])


def test_customer_tag_add_reuses_a_tag_of_that_name(agent, city):
    existing = Tag.objects.create(organisation=city, name="业主代表")
    customer = CustomerFactory(organisation=city)

    tag = grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    assert tag.pk == existing.pk
    assert Tag.objects.count() == 1


def test_customer_tag_add_reuses_a_tag_of_a_unit_above(agent, city):
    team = OrgUnitFactory(parent=city, kind=OrgUnit.Kind.PROJECT_TEAM)
    citywide = Tag.objects.create(organisation=city, name="业主代表")
    customer = CustomerFactory(organisation=team)

    tag = grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    assert tag.pk == citywide.pk
    assert Tag.objects.count() == 1


def test_customer_tag_add_ignores_a_sibling_units_tag(agent, city, other_city):
    Tag.objects.create(organisation=other_city, name="业主代表")
    customer = CustomerFactory(organisation=city)

    tag = grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    assert tag.organisation_id == city.pk


def test_customer_tag_add_records_audit_and_timeline(agent, city):
    customer = CustomerFactory(organisation=city)

    grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    audit = AuditEntry.objects.filter(object_id=str(customer.pk), action=AuditEntry.Action.UPDATE).get()
    assert audit.changes == {"tags": {"old": None, "new": "业主代表"}}
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineKind.TAG_ADDED).count() == 1


def test_customer_tag_add_twice_tags_once(agent, city):
    customer = CustomerFactory(organisation=city)
    grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    assert customer.tags.count() == 1
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineKind.TAG_ADDED).count() == 1


def test_customer_tag_add_refuses_an_executive(city, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)
    customer = CustomerFactory(organisation=city)

    with pytest.raises(Forbidden):
        grading.customer_tag_add(actor=executive, customer=customer, name="业主代表")

    assert not Tag.objects.exists()


def test_customer_tag_add_refuses_a_merged_customer(admin, city):
    source = CustomerFactory(organisation=city)
    customer_merge(actor=admin, target=CustomerFactory(organisation=city), source=source)

    with pytest.raises(CustomerMerged):
        grading.customer_tag_add(actor=admin, customer=source, name="业主代表")

    assert not source.tags.exists()


def test_customer_tag_remove_takes_the_tag_off(agent, city):
    customer = CustomerFactory(organisation=city)
    tag = grading.customer_tag_add(actor=agent, customer=customer, name="业主代表")

    grading.customer_tag_remove(actor=agent, customer=customer, tag=tag)

    assert list(customer.tags.all()) == []
    assert TimelineEntry.objects.filter(customer=customer, kind=TimelineKind.TAG_REMOVED).count() == 1
