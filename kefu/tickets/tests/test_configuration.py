"""The service desk's settings services: teams, assignment rules, canned replies."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.properties.tests.factories import BuildingFactory, ProjectFactory
from kefu.standards.tests.factories import RequestCategoryFactory
from kefu.tickets import configuration
from kefu.tickets.models import AssignmentRule, CannedReply, Team
from kefu.tickets.tests.factories import TeamFactory


@pytest.fixture
def supervisor(city, make_staff):
    return make_staff(city, Role.SUPERVISOR, name="周主管")


# Teams


def test_team_create_makes_the_team_with_its_members(supervisor, agent, city):
    team = configuration.team_create(
        actor=supervisor, unit=city, name="维修组", strategy=Team.Strategy.LEAST_LOADED, members=[agent]
    )

    assert list(team.members.all()) == [agent]
    assert team.organisation == city
    assert team.strategy == Team.Strategy.LEAST_LOADED
    assert AuditEntry.objects.filter(action="create", note="tickets.team_create", object_id=str(team.pk)).exists()


def test_team_create_refused_to_an_agent(agent, city):
    with pytest.raises(Forbidden):
        configuration.team_create(actor=agent, unit=city, name="维修组")

    assert not Team.objects.exists()


def test_team_create_refused_in_another_unit(supervisor, other_city):
    with pytest.raises(Forbidden):
        configuration.team_create(actor=supervisor, unit=other_city, name="维修组")

    assert not Team.objects.exists()


def test_team_create_rejects_a_member_of_another_unit(supervisor, city, outsider):
    with pytest.raises(InvalidInput) as raised:
        configuration.team_create(actor=supervisor, unit=city, name="维修组", members=[outsider])

    assert raised.value.field == "members"
    assert not Team.objects.exists()


def test_team_create_rejects_a_member_who_does_not_handle_voices(supervisor, city, make_staff):
    executive = make_staff(city, Role.EXECUTIVE)

    with pytest.raises(InvalidInput) as raised:
        configuration.team_create(actor=supervisor, unit=city, name="维修组", members=[executive])

    assert raised.value.field == "members"


def test_team_create_rejects_a_taken_name(supervisor, city):
    TeamFactory(organisation=city, name="维修组")

    with pytest.raises(InvalidInput) as raised:
        configuration.team_create(actor=supervisor, unit=city, name=" 维修组 ")

    assert raised.value.field == "name"


def test_team_update_changes_members_and_forgets_a_removed_last_assignee(supervisor, agent, city, make_staff):
    colleague = make_staff(city, Role.AGENT)
    team = configuration.team_create(actor=supervisor, unit=city, name="维修组", members=[agent, colleague])
    Team.objects.filter(pk=team.pk).update(last_assignee=agent)

    team = configuration.team_update(
        actor=supervisor, team=team, name="工程组", strategy=Team.Strategy.ROUND_ROBIN, members=[colleague]
    )

    team.refresh_from_db()
    assert team.name == "工程组"
    assert list(team.members.all()) == [colleague]
    assert team.last_assignee is None


def test_team_update_can_deactivate(supervisor, city):
    team = TeamFactory(organisation=city)

    configuration.team_update(
        actor=supervisor, team=team, name=team.name, strategy=team.strategy, members=[], is_active=False
    )

    team.refresh_from_db()
    assert team.is_active is False


# Assignment rules


def test_rule_create_routes_a_building_to_a_team(supervisor, city):
    team = TeamFactory(organisation=city)
    building = BuildingFactory(project__organisation=city)

    rule = configuration.rule_create(actor=supervisor, unit=city, name="3栋报修", team=team, building=building)

    assert rule.project == building.project
    assert rule.team == team
    assert AuditEntry.objects.filter(action="create", note="tickets.rule_create").count() == 1


def test_rule_create_rejects_a_project_of_another_unit(supervisor, city, other_city):
    team = TeamFactory(organisation=city)

    with pytest.raises(InvalidInput) as raised:
        configuration.rule_create(
            actor=supervisor, unit=city, name="x", team=team, project=ProjectFactory(organisation=other_city)
        )

    assert raised.value.field == "project"
    assert not AssignmentRule.objects.exists()


def test_rule_create_rejects_a_team_of_another_unit(supervisor, city, other_city):
    with pytest.raises(InvalidInput) as raised:
        configuration.rule_create(actor=supervisor, unit=city, name="x", team=TeamFactory(organisation=other_city))

    assert raised.value.field == "team"


def test_rule_create_rejects_a_building_of_another_project(supervisor, city):
    team = TeamFactory(organisation=city)
    project = ProjectFactory(organisation=city)
    building = BuildingFactory(project__organisation=city)

    with pytest.raises(InvalidInput) as raised:
        configuration.rule_create(actor=supervisor, unit=city, name="x", team=team, project=project, building=building)

    assert raised.value.field == "building"


def test_rule_create_rejects_a_category_of_another_kind(supervisor, city):
    team = TeamFactory(organisation=city)
    category = RequestCategoryFactory(organisation=city, kind="repair")

    with pytest.raises(InvalidInput) as raised:
        configuration.rule_create(actor=supervisor, unit=city, name="x", team=team, kind="complaint", category=category)

    assert raised.value.field == "category"


def test_rule_create_takes_the_kind_of_its_category(supervisor, city):
    category = RequestCategoryFactory(organisation=city, kind="repair")

    rule = configuration.rule_create(
        actor=supervisor, unit=city, name="水电", team=TeamFactory(organisation=city), category=category
    )

    assert rule.kind == "repair"


def test_rule_update_changes_what_it_matches(supervisor, city):
    team = TeamFactory(organisation=city)
    rule = configuration.rule_create(actor=supervisor, unit=city, name="x", team=team)

    configuration.rule_update(actor=supervisor, rule=rule, name="投诉", team=team, kind="complaint")

    rule.refresh_from_db()
    assert (rule.name, rule.kind) == ("投诉", "complaint")


def test_rule_delete_removes_the_rule(supervisor, city):
    rule = configuration.rule_create(actor=supervisor, unit=city, name="x", team=TeamFactory(organisation=city))

    configuration.rule_delete(actor=supervisor, rule=rule)

    assert not AssignmentRule.objects.exists()
    assert AuditEntry.objects.filter(action="delete", note="tickets.rule_delete").count() == 1


def test_rule_delete_refused_to_an_agent(agent, supervisor, city):
    rule = configuration.rule_create(actor=supervisor, unit=city, name="x", team=TeamFactory(organisation=city))

    with pytest.raises(Forbidden):
        configuration.rule_delete(actor=agent, rule=rule)

    assert AssignmentRule.objects.filter(pk=rule.pk).exists()


# Canned replies


def test_canned_reply_create(supervisor, city):
    reply = configuration.canned_reply_create(
        actor=supervisor, unit=city, title="受理", body="{customer_name}您好，{ticket_number}已受理。", kind="repair"
    )

    assert reply.organisation == city
    assert reply.kind == "repair"


def test_canned_reply_create_rejects_unknown_variables(supervisor, city):
    with pytest.raises(InvalidInput) as raised:
        configuration.canned_reply_create(actor=supervisor, unit=city, title="受理", body="{name}您好")

    assert raised.value.field == "body"
    assert "{name}" in raised.value.message
    assert not CannedReply.objects.exists()


def test_canned_reply_create_refused_to_an_agent(agent, city):
    with pytest.raises(Forbidden):
        configuration.canned_reply_create(actor=agent, unit=city, title="受理", body="您好")


def test_canned_reply_update_changes_text_and_state(supervisor, city):
    reply = configuration.canned_reply_create(actor=supervisor, unit=city, title="受理", body="您好")

    configuration.canned_reply_update(actor=supervisor, reply=reply, title="回访", body="再见", is_active=False)

    reply.refresh_from_db()
    assert (reply.title, reply.body, reply.is_active) == ("回访", "再见", False)


def test_canned_reply_delete_removes_the_reply(supervisor, city):
    reply = configuration.canned_reply_create(actor=supervisor, unit=city, title="受理", body="您好")

    configuration.canned_reply_delete(actor=supervisor, reply=reply)

    assert not CannedReply.objects.exists()
