"""Pages for duplicates and merging, grade rules and tags: who sees what, what each action does."""

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.core.roles import Role
from kefu.customers.errors import MergeWithItself
from kefu.customers.merge import customer_merge
from kefu.customers.models import Customer, Grade, GradeRule, Tag
from kefu.customers.tests.factories import CustomerFactory


def _messages(response, level: int) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


@pytest.fixture
def pair(city) -> tuple[Customer, Customer]:
    """Two records of one person: same mobile."""
    return (
        CustomerFactory(organisation=city, name="张三", mobile="13812345678"),
        CustomerFactory(organisation=city, name="张三", mobile="13812345678"),
    )


def _merge_url(name: str, target: Customer, source: Customer) -> str:
    return reverse(name, kwargs={"target_id": target.pk, "source_id": source.pk})


# Duplicates


def test_duplicate_list_shows_the_group_with_the_mobile_masked(supervisor, pair, client_for):
    response = client_for(supervisor).get(reverse("customers:duplicate_list"))

    body = response.content.decode()
    assert [[c.pk for c in g.customers] for g in response.context["page_obj"]] == [[pair[0].pk, pair[1].pk]]
    assert "138****5678" in body
    assert "13812345678" not in body


def test_duplicate_list_links_to_the_compare_page(supervisor, pair, client_for):
    response = client_for(supervisor).get(reverse("customers:duplicate_list"))

    assert _merge_url("customers:merge_compare", *pair) in response.content.decode()


def test_duplicate_list_hides_another_units_customers(outsider, pair, client_for):
    response = client_for(outsider).get(reverse("customers:duplicate_list"))

    assert list(response.context["page_obj"]) == []


def test_duplicate_list_is_403_for_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("customers:duplicate_list"))

    assert response.status_code == 403


@pytest.mark.parametrize("groups", [3, 6])
def test_duplicate_list_runs_constant_queries(groups, supervisor, city, client_for, django_assert_num_queries):
    for n in range(groups):
        CustomerFactory.create_batch(2, organisation=city, mobile=f"1381234560{n}")
    client = client_for(supervisor)

    # 8 for the session and membership; 2 for the groups: the shared mobiles and ID numbers.
    with django_assert_num_queries(10):
        response = client.get(reverse("customers:duplicate_list"))

    assert len(response.context["page_obj"]) == groups


# Compare and merge


def test_merge_compare_shows_both_customers(supervisor, pair, client_for):
    response = client_for(supervisor).get(_merge_url("customers:merge_compare", *pair))

    assert (response.context["target"].customer.pk, response.context["source"].customer.pk) == (
        pair[0].pk,
        pair[1].pk,
    )
    assert response.context["blocker"] is None


def test_merge_compare_is_404_for_a_customer_of_another_unit(supervisor, city, other_city, client_for):
    ours = CustomerFactory(organisation=city)
    theirs = CustomerFactory(organisation=other_city)

    response = client_for(supervisor).get(_merge_url("customers:merge_compare", ours, theirs))

    assert response.status_code == 404


def test_merge_compare_says_a_customer_cannot_be_merged_with_itself(supervisor, pair, client_for):
    response = client_for(supervisor).get(_merge_url("customers:merge_compare", pair[0], pair[0]))

    assert response.context["blocker"] is not None
    assert reverse("customers:merge", kwargs={"target_id": pair[0].pk, "source_id": pair[0].pk}) in (
        response.content.decode()
    )


def test_merge_merges_and_says_so(supervisor, pair, client_for):
    target, source = pair

    response = client_for(supervisor).post(
        _merge_url("customers:merge", target, source), {"note": "同一人", "confirm": "on"}
    )

    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert response.url == reverse("customers:customer_detail", kwargs={"customer_id": target.pk})
    assert len(_messages(response, SUCCESS)) == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MERGE, note="同一人").count() == 2


def test_merge_needs_the_confirmation(supervisor, pair, client_for):
    target, source = pair

    response = client_for(supervisor).post(_merge_url("customers:merge", target, source), {"note": "同一人"})

    source.refresh_from_db()
    assert source.merged_into_id is None
    assert list(response.context["form"].errors) == ["confirm"]


def test_merge_needs_a_reason(supervisor, pair, client_for):
    target, source = pair

    response = client_for(supervisor).post(_merge_url("customers:merge", target, source), {"confirm": "on"})

    source.refresh_from_db()
    assert source.merged_into_id is None
    assert list(response.context["form"].errors) == ["note"]


def test_merge_refuses_a_customer_with_itself(supervisor, pair, client_for):
    customer = pair[0]

    response = client_for(supervisor).post(
        _merge_url("customers:merge", customer, customer), {"note": "x", "confirm": "on"}
    )

    customer.refresh_from_db()
    assert customer.merged_into_id is None
    assert list(response.context["form"].non_field_errors()) == [MergeWithItself().message]


def test_merge_is_404_for_a_source_of_another_unit(supervisor, city, other_city, client_for):
    target = CustomerFactory(organisation=city, mobile="13812345678")
    source = CustomerFactory(organisation=other_city, mobile="13812345678")

    response = client_for(supervisor).post(
        _merge_url("customers:merge", target, source), {"note": "x", "confirm": "on"}
    )

    source.refresh_from_db()
    assert response.status_code == 404
    assert source.merged_into_id is None


def test_merge_is_403_for_an_agent(agent, pair, client_for):
    response = client_for(agent).post(_merge_url("customers:merge", *pair), {"note": "x", "confirm": "on"})

    assert response.status_code == 403
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_merged_customer_leaves_the_customer_list(supervisor, pair, client_for):
    customer_merge(actor=supervisor, target=pair[0], source=pair[1])

    response = client_for(supervisor).get(reverse("customers:customer_list"), {"q": "张三"})

    assert [c.pk for c in response.context["page_obj"]] == [pair[0].pk]


def test_merged_customer_page_links_to_the_target(supervisor, pair, client_for):
    target, source = pair
    customer_merge(actor=supervisor, target=target, source=source)

    response = client_for(supervisor).get(reverse("customers:customer_detail", kwargs={"customer_id": source.pk}))

    assert response.status_code == 200
    assert reverse("customers:customer_detail", kwargs={"customer_id": target.pk}) in response.content.decode()


def test_merged_notice_links_to_the_target(supervisor, pair):
    from django.template.loader import render_to_string

    target, source = pair
    customer_merge(actor=supervisor, target=target, source=source)
    source.refresh_from_db()

    html = render_to_string("customers/merged_notice.html", {"customer": source})

    assert reverse("customers:customer_detail", kwargs={"customer_id": target.pk}) in html


def test_merged_notice_is_empty_for_a_customer_not_merged(pair):
    from django.template.loader import render_to_string

    assert render_to_string("customers/merged_notice.html", {"customer": pair[0]}).strip() == ""


# Grade rules


def test_graderule_list_shows_own_rules_editable_and_inherited_ones_not(admin, group, city, client_for):
    own = GradeRule.objects.create(organisation=city, grade=Grade.A)
    inherited = GradeRule.objects.create(organisation=group, grade=Grade.VIP, priority=1)

    response = client_for(admin).get(reverse("customers:graderule_list"))

    assert [r.pk for r in response.context["page_obj"]] == [inherited.pk, own.pk]
    assert response.context["editable"] == {own.pk}


def test_graderule_list_counts_customers_by_grade(admin, city, client_for):
    CustomerFactory(organisation=city)

    response = client_for(admin).get(reverse("customers:graderule_list"))

    assert response.context["ungraded_count"] == 1


def test_graderule_list_is_403_for_a_supervisor(supervisor, client_for):
    response = client_for(supervisor).get(reverse("customers:graderule_list"))

    assert response.status_code == 403


@pytest.mark.parametrize("rules", [3, 6])
def test_graderule_list_runs_constant_queries(rules, admin, city, client_for, django_assert_num_queries):
    for n in range(rules):
        GradeRule.objects.create(organisation=city, grade=Grade.B, priority=n)
    client = client_for(admin)

    # 8 for the session and membership; the paginator's COUNT, the rules, the grade counts.
    with django_assert_num_queries(11):
        response = client.get(reverse("customers:graderule_list"))

    assert len(response.context["page_obj"]) == rules


def test_graderule_create_creates_a_rule(admin, city, client_for):
    body = {
        "organisation": city.pk,
        "grade": "vip",
        "priority": 1,
        "min_contribution": 90,
        "min_influence": 0,
        "min_potential": 0,
        "is_active": "on",
    }

    response = client_for(admin).post(reverse("customers:graderule_create"), body)

    assert response.status_code == 302
    assert GradeRule.objects.get().min_contribution == 90


def test_graderule_create_names_a_score_above_100(admin, city, client_for):
    body = {"organisation": city.pk, "grade": "a", "priority": 1, "min_contribution": 101}

    response = client_for(admin).post(
        reverse("customers:graderule_create"), body | {"min_influence": 0, "min_potential": 0}
    )

    assert list(response.context["form"].errors) == ["min_contribution"]
    assert not GradeRule.objects.exists()


def test_graderule_edit_saves(admin, city, client_for):
    rule = GradeRule.objects.create(organisation=city, grade=Grade.A, min_contribution=60)
    body = {"grade": "a", "priority": 3, "min_contribution": 70, "min_influence": 0, "min_potential": 0}

    client_for(admin).post(reverse("customers:graderule_edit", kwargs={"graderule_id": rule.pk}), body)

    rule.refresh_from_db()
    assert (rule.priority, rule.min_contribution, rule.is_active) == (3, 70, False)


def test_graderule_edit_is_404_for_another_unit(outsider, city, client_for):
    rule = GradeRule.objects.create(organisation=city, grade=Grade.A)

    response = client_for(outsider).get(reverse("customers:graderule_edit", kwargs={"graderule_id": rule.pk}))

    assert response.status_code == 404


def test_graderule_delete_deletes(admin, city, client_for):
    rule = GradeRule.objects.create(organisation=city, grade=Grade.A)

    response = client_for(admin).post(reverse("customers:graderule_delete", kwargs={"graderule_id": rule.pk}))

    assert not GradeRule.objects.exists()
    assert len(_messages(response, SUCCESS)) == 1


def test_graderule_delete_is_404_for_another_unit(outsider, city, client_for):
    rule = GradeRule.objects.create(organisation=city, grade=Grade.A)

    response = client_for(outsider).post(reverse("customers:graderule_delete", kwargs={"graderule_id": rule.pk}))

    assert response.status_code == 404
    assert GradeRule.objects.filter(pk=rule.pk).exists()


def test_graderule_apply_regrades_and_reports_the_count(admin, city, client_for):
    GradeRule.objects.create(organisation=city, grade=Grade.C)
    CustomerFactory.create_batch(2, organisation=city)

    response = client_for(admin).post(reverse("customers:graderule_apply"))

    assert set(Customer.objects.values_list("grade", flat=True)) == {"c"}
    assert len(_messages(response, SUCCESS)) == 1


# Tags


def test_tag_list_shows_tags_with_counts(admin, city, client_for):
    tag = Tag.objects.create(organisation=city, name="业主代表")
    CustomerFactory(organisation=city).tags.add(tag)

    response = client_for(admin).get(reverse("customers:tag_list"))

    assert [(t.name, t.customer_count) for t in response.context["page_obj"]] == [("业主代表", 1)]


def test_tag_list_marks_only_own_tags_editable(admin, group, city, client_for):
    own = Tag.objects.create(organisation=city, name="业主代表")
    Tag.objects.create(organisation=group, name="集团VIP")

    response = client_for(admin).get(reverse("customers:tag_list"))

    assert response.context["editable"] == {own.pk}


def test_tag_list_hides_another_units_tags(outsider, city, client_for):
    Tag.objects.create(organisation=city, name="业主代表")

    response = client_for(outsider).get(reverse("customers:tag_list"))

    assert list(response.context["page_obj"]) == []


@pytest.mark.parametrize("tags", [3, 6])
def test_tag_list_runs_constant_queries(tags, admin, city, client_for, django_assert_num_queries):
    for n in range(tags):
        CustomerFactory(organisation=city).tags.add(Tag.objects.create(organisation=city, name=f"标签{n}"))
    client = client_for(admin)

    # 8 for the session and membership; the paginator's COUNT and the tags with their counts.
    with django_assert_num_queries(10):
        response = client.get(reverse("customers:tag_list"))

    assert len(response.context["page_obj"]) == tags


def test_tag_create_creates_a_tag_in_the_admins_unit(admin, city, client_for):
    response = client_for(admin).post(reverse("customers:tag_create"), {"name": "业主代表"})

    assert response.status_code == 302
    assert list(Tag.objects.values_list("organisation_id", "name")) == [(city.pk, "业主代表")]


def test_tag_create_names_the_field_of_a_taken_name(admin, city, client_for):
    Tag.objects.create(organisation=city, name="业主代表")

    response = client_for(admin).post(reverse("customers:tag_create"), {"name": "业主代表"})

    assert list(response.context["form"].errors) == ["name"]
    assert Tag.objects.count() == 1


def test_tag_rename_renames(admin, city, client_for):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    client_for(admin).post(reverse("customers:tag_rename", kwargs={"tag_id": tag.pk}), {"name": "业委会"})

    tag.refresh_from_db()
    assert tag.name == "业委会"


def test_tag_rename_is_404_for_another_unit(outsider, city, client_for):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    response = client_for(outsider).post(reverse("customers:tag_rename", kwargs={"tag_id": tag.pk}), {"name": "x"})

    assert response.status_code == 404
    tag.refresh_from_db()
    assert tag.name == "业主代表"


def test_tag_delete_deletes(admin, city, client_for):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    client_for(admin).post(reverse("customers:tag_delete", kwargs={"tag_id": tag.pk}))

    assert not Tag.objects.exists()


def test_tag_delete_is_403_for_an_agent(agent, city, client_for):
    tag = Tag.objects.create(organisation=city, name="业主代表")

    response = client_for(agent).post(reverse("customers:tag_delete", kwargs={"tag_id": tag.pk}))

    assert response.status_code == 403
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_customer_tag_add_tags_the_customer(agent, city, client_for):
    customer = CustomerFactory(organisation=city)

    response = client_for(agent).post(
        reverse("customers:customer_tag_add", kwargs={"customer_id": customer.pk}), {"name": "业主代表"}
    )

    assert list(customer.tags.values_list("name", flat=True)) == ["业主代表"]
    assert response.url == reverse("customers:customer_detail", kwargs={"customer_id": customer.pk})
    assert len(_messages(response, SUCCESS)) == 1


def test_customer_tag_add_says_what_is_wrong_with_an_empty_name(agent, city, client_for):
    customer = CustomerFactory(organisation=city)

    response = client_for(agent).post(
        reverse("customers:customer_tag_add", kwargs={"customer_id": customer.pk}), {"name": ""}
    )

    assert not customer.tags.exists()
    assert len(_messages(response, ERROR)) == 1


def test_customer_tag_add_is_404_for_another_unit(outsider, city, client_for):
    customer = CustomerFactory(organisation=city)

    response = client_for(outsider).post(
        reverse("customers:customer_tag_add", kwargs={"customer_id": customer.pk}), {"name": "业主代表"}
    )

    assert response.status_code == 404
    assert not Tag.objects.exists()


def test_customer_tag_remove_takes_the_tag_off(agent, city, client_for):
    customer = CustomerFactory(organisation=city)
    tag = Tag.objects.create(organisation=city, name="业主代表")
    customer.tags.add(tag)

    client_for(agent).post(
        reverse("customers:customer_tag_remove", kwargs={"customer_id": customer.pk, "tag_id": tag.pk})
    )

    assert not customer.tags.exists()


def test_customer_tag_remove_is_404_for_a_tag_the_customer_lacks(agent, city, client_for):
    customer = CustomerFactory(organisation=city)
    other = CustomerFactory(organisation=city)
    tag = Tag.objects.create(organisation=city, name="业主代表")
    other.tags.add(tag)

    response = client_for(agent).post(
        reverse("customers:customer_tag_remove", kwargs={"customer_id": customer.pk, "tag_id": tag.pk})
    )

    assert response.status_code == 404
    assert other.tags.count() == 1
