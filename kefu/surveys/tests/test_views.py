"""The staff pages of surveys: templates, triggers and fatigue limits, response rates, the 3-PRO
results and interventions."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext

from kefu.core.roles import Role
from kefu.properties.tests.factories import ProjectFactory
from kefu.surveys.models import FatiguePolicy, Intervention, SurveyTemplate, SurveyTrigger
from kefu.surveys.services import intervention_close
from kefu.surveys.tests.factories import all_scores, answered, builtin, sent_invitation
from kefu.surveys.tests.world import low_evaluation

SH = ZoneInfo("Asia/Shanghai")
SENT = datetime(2026, 11, 20, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.usefixtures("sms")


def _texts(response, level):
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


def _question_rows(*rows, initial=0):
    data = {
        "q-TOTAL_FORMS": str(len(rows)),
        "q-INITIAL_FORMS": str(initial),
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "60",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"q-{index}-{key}"] = value
    return data


def _template_post(name="装修回访", *rows, initial=0):
    return {
        "name": name,
        "description": "",
        "csat_threshold": "3",
        "valid_days": "7",
        **_question_rows(*rows, initial=initial),
    }


def _builtin_rows(template):
    """The current questions of a template as the edit form posts them, unchanged."""
    version = template.versions.order_by("-number").first()
    return [
        {
            "code": q.code,
            "group": q.group,
            "group_title": q.group_title,
            "text": q.text,
            "type": q.type,
            "required": "on" if q.required else "",
            "choices": "",
        }
        for q in version.questions.all()
    ]


# Survey templates


def test_template_list_offers_the_built_in_surveys_when_there_are_none(admin, client_for):
    body = client_for(admin).get(reverse("surveys:template_list")).content.decode()

    assert gettext("No surveys yet") in body
    assert reverse("surveys:template_builtin_add") in body


def test_template_builtin_add_creates_the_four_surveys(admin, city, client_for):
    response = client_for(admin).post(reverse("surveys:template_builtin_add"))

    assert response.status_code == 302
    assert sorted(SurveyTemplate.objects.filter(organisation=city).values_list("kind", flat=True)) == [
        "csat",
        "experience",
        "nps",
        "three_pro",
    ]
    assert len(_texts(response, SUCCESS)) == 1


def test_template_list_shows_kind_version_and_state(agent, city, client_for):
    builtin(city, SurveyTemplate.Kind.THREE_PRO)

    response = client_for(agent).get(reverse("surveys:template_list"))

    body = response.content.decode()
    assert "3-PRO服务评价" in body
    assert "v1" in body
    assert reverse("surveys:template_builtin_add") not in body


def test_template_list_refused_to_a_contractor(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.CONTRACTOR)).get(reverse("surveys:template_list"))

    assert response.status_code == 403


def test_template_detail_shows_the_questions_by_group(agent, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    response = client_for(agent).get(reverse("surveys:template_detail", kwargs={"template_id": template.pk}))

    assert [(g.group, g.title, len(g.questions)) for g in response.context["groups"]] == [
        ("P", "进程掌控", 3),
        ("F", "专业思维", 3),
        ("A", "服务意识", 3),
    ]
    assert reverse("surveys:template_edit", kwargs={"template_id": template.pk}) not in response.content.decode()


def test_template_detail_of_another_unit_is_404(agent, other_city, client_for):
    theirs = builtin(other_city, SurveyTemplate.Kind.CSAT)

    response = client_for(agent).get(reverse("surveys:template_detail", kwargs={"template_id": theirs.pk}))

    assert response.status_code == 404


def test_template_detail_of_a_unit_above_is_read_only(supervisor, group, client_for):
    lent = builtin(group, SurveyTemplate.Kind.NPS)

    response = client_for(supervisor).get(reverse("surveys:template_detail", kwargs={"template_id": lent.pk}))

    assert response.status_code == 200
    assert response.context["can_edit"] is False


def test_template_create_saves_version_1_with_its_questions(supervisor, city, client_for):
    data = _template_post(
        "装修回访",
        {"code": "Q1", "group": "A", "text": "施工是否准时？", "type": "scale5", "required": "on"},
        {"code": "Q2", "group": "A", "text": "最满意的是？", "type": "choice", "choices": "a=工期\n质量"},
        {"type": "scale5", "required": "on"},  # a blank row as the browser posts it
    )

    response = client_for(supervisor).post(reverse("surveys:template_create"), data)

    template = SurveyTemplate.objects.get(organisation=city, name="装修回访")
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:template_detail", kwargs={"template_id": template.pk})
    version = template.versions.get()
    assert [(q.code, q.type) for q in version.questions.all()] == [("Q1", "scale5"), ("Q2", "choice")]
    assert version.questions.get(code="Q2").options["choices"] == [
        {"value": "a", "label": "工期"},
        {"value": "质量", "label": "质量"},
    ]
    assert template.kind == SurveyTemplate.Kind.CUSTOM
    assert len(_texts(response, SUCCESS)) == 1


def test_template_create_shows_the_services_refusal_above_the_form(supervisor, client_for):
    data = _template_post(
        "重复",
        {"code": "Q1", "text": "一", "type": "scale5"},
        {"code": "Q1", "text": "二", "type": "text"},
    )

    response = client_for(supervisor).post(reverse("surveys:template_create"), data)

    assert response.status_code == 200
    assert gettext("Question code %(code)s is used twice.") % {"code": "Q1"} in response.content.decode()
    assert not SurveyTemplate.objects.filter(name="重复").exists()


def test_template_create_refused_to_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("surveys:template_create"))

    assert response.status_code == 403


def test_template_edit_of_the_built_in_3_pro_questions_says_they_are_locked(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    rows = _builtin_rows(template)
    rows[0]["text"] = "改过的"
    data = _template_post(template.name, *rows, initial=len(rows))

    response = client_for(supervisor).post(reverse("surveys:template_edit", kwargs={"template_id": template.pk}), data)

    assert response.status_code == 200
    assert _texts(response, ERROR) == [
        gettext("The questions of the built-in 3-PRO evaluation are fixed by the service doctrine.")
    ]
    assert template.versions.count() == 1


def test_template_edit_of_the_built_in_3_pro_name_keeps_the_version(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    rows = _builtin_rows(template)

    response = client_for(supervisor).post(
        reverse("surveys:template_edit", kwargs={"template_id": template.pk}),
        _template_post("服务评价", *rows, initial=len(rows)),
    )

    template.refresh_from_db()
    assert response.status_code == 302
    assert template.name == "服务评价"
    assert template.versions.count() == 1


def test_template_edit_with_changed_questions_makes_a_new_version(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.CSAT)
    rows = _builtin_rows(template)
    rows.append({"code": "WHY", "text": "还有什么建议？", "type": "text"})

    response = client_for(supervisor).post(
        reverse("surveys:template_edit", kwargs={"template_id": template.pk}),
        _template_post(template.name, *rows, initial=len(rows) - 1),
    )

    assert response.status_code == 302
    assert list(template.versions.values_list("number", flat=True)) == [2, 1]
    assert _texts(response, SUCCESS) == [
        gettext("The survey has been saved as version %(version)s. Invitations sent from now on use it.")
        % {"version": 2}
    ]


def test_template_edit_of_another_unit_is_404(supervisor, other_city, client_for):
    theirs = builtin(other_city, SurveyTemplate.Kind.CSAT)

    response = client_for(supervisor).get(reverse("surveys:template_edit", kwargs={"template_id": theirs.pk}))

    assert response.status_code == 404


def test_template_archive_stops_the_survey(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.NPS)

    response = client_for(supervisor).post(reverse("surveys:template_archive", kwargs={"template_id": template.pk}))

    template.refresh_from_db()
    assert response.status_code == 302
    assert template.is_active is False
    assert len(_texts(response, SUCCESS)) == 1


# Triggers and the fatigue limits


def test_trigger_create_saves_the_delay_in_hours(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    response = client_for(supervisor).post(
        reverse("surveys:trigger_create"),
        {"event": "household.signed", "template": template.pk, "delay_hours": "24", "is_active": "on"},
    )

    trigger = SurveyTrigger.objects.get()
    assert response.status_code == 302
    assert (trigger.organisation, trigger.event, trigger.delay, trigger.is_active) == (
        city,
        "household.signed",
        timedelta(hours=24),
        True,
    )
    assert len(_texts(response, SUCCESS)) == 1


def test_trigger_create_with_an_archived_survey_is_refused_on_the_form(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    template.is_active = False
    template.save()

    response = client_for(supervisor).post(
        reverse("surveys:trigger_create"),
        {"event": "household.signed", "template": template.pk, "delay_hours": "0", "is_active": "on"},
    )

    assert response.status_code == 200
    assert not SurveyTrigger.objects.exists()
    assert len(_texts(response, ERROR)) == 1


def test_trigger_list_shows_event_labels_and_the_policy(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    SurveyTrigger.objects.create(organisation=city, event="ticket.resolved", template=template)

    response = client_for(supervisor).get(reverse("surveys:trigger_list"))

    body = response.content.decode()
    assert str(SurveyTrigger.Event.TICKET_RESOLVED.label) in body
    assert response.context["fatigue_form"].initial == {"max_invitations": 2, "within_days": 30, "intervention_days": 2}


def test_trigger_list_refused_to_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("surveys:trigger_list"))

    assert response.status_code == 403


def test_trigger_edit_switches_it_off(supervisor, city, client_for):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    trigger = SurveyTrigger.objects.create(organisation=city, event="ticket.resolved", template=template)

    response = client_for(supervisor).post(
        reverse("surveys:trigger_edit", kwargs={"trigger_id": trigger.pk}), {"delay_hours": "3"}
    )

    trigger.refresh_from_db()
    assert response.status_code == 302
    assert (trigger.is_active, trigger.delay) == (False, timedelta(hours=3))


def test_trigger_edit_of_another_unit_is_404(supervisor, other_city, client_for):
    template = builtin(other_city, SurveyTemplate.Kind.THREE_PRO)
    theirs = SurveyTrigger.objects.create(organisation=other_city, event="ticket.resolved", template=template)

    response = client_for(supervisor).post(
        reverse("surveys:trigger_edit", kwargs={"trigger_id": theirs.pk}), {"delay_hours": "3"}
    )

    assert response.status_code == 404


def test_fatigue_save_sets_the_limits_of_the_viewers_unit(supervisor, city, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:fatigue_save"), {"max_invitations": "1", "within_days": "14", "intervention_days": "3"}
    )

    policy = FatiguePolicy.objects.get(organisation=city)
    assert response.status_code == 302
    assert (policy.max_invitations, policy.within_days, policy.intervention_days) == (1, 14, 3)
    assert len(_texts(response, SUCCESS)) == 1


def test_fatigue_save_rejects_a_period_over_a_year_on_the_field(supervisor, city, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:fatigue_save"), {"max_invitations": "1", "within_days": "400", "intervention_days": "3"}
    )

    assert response.status_code == 200
    assert response.context["fatigue_form"].errors["within_days"]
    assert not FatiguePolicy.objects.exists()


# Response rates


@pytest.fixture
def rates_world(city, supervisor, professional):
    """Three 3-PRO invitations sent: one answered in 2 hours, one in 30 hours, one not at all;
    and one NPS invitation answered in an hour."""
    quick = sent_invitation(city, evaluated=professional, now=SENT)
    slow = sent_invitation(city, evaluated=professional, now=SENT)
    sent_invitation(city, evaluated=professional, now=SENT)
    nps = sent_invitation(city, template=builtin(city, SurveyTemplate.Kind.NPS), now=SENT)
    answered(quick, all_scores(5), at=SENT + timedelta(hours=2))
    answered(slow, all_scores(4), at=SENT + timedelta(hours=30))
    answered(nps, {"NPS": {"score": 10}}, at=SENT + timedelta(hours=1))


def test_rates_show_the_24_hour_rate_per_survey_with_the_benchmark_line(rates_world, agent, client_for):
    response = client_for(agent).get(reverse("surveys:rates"), {"by": "template"})

    rows = {row.label: row for row in response.context["rows"]}
    assert (rows["3-PRO服务评价"].sent, rows["3-PRO服务评价"].answered, rows["3-PRO服务评价"].answered_within_24h) == (
        3,
        2,
        1,
    )
    assert str(rows["3-PRO服务评价"].answer_rate_24h) == "33.3"
    chart = response.context["chart"]
    assert chart["series"][0]["markLine"]["data"] == [{"yAxis": 10}]
    assert 'data-chart="chart-survey-rates"' in response.content.decode()


def test_rates_period_leaves_out_invitations_before_it(rates_world, agent, client_for):
    response = client_for(agent).get(reverse("surveys:rates"), {"since": "2026-12-01"})

    assert response.context["rows"] == []
    assert gettext("No invitations in this period") in response.content.decode()


def test_rates_empty_state_says_to_set_up_triggers(supervisor, client_for):
    body = client_for(supervisor).get(reverse("surveys:rates")).content.decode()

    assert gettext("No invitations yet") in body
    assert reverse("surveys:trigger_list") in body


def test_rates_query_count_does_not_grow_with_rows(rates_world, supervisor, client_for, django_assert_num_queries):
    client = client_for(supervisor)
    client.get(reverse("surveys:rates"))

    with django_assert_num_queries(5):
        response = client.get(reverse("surveys:rates"), {"by": "staff"})

    assert len(response.context["rows"]) == 2


def test_rates_refused_to_a_contractor(city, make_staff, client_for):
    response = client_for(make_staff(city, Role.CONTRACTOR)).get(reverse("surveys:rates"))

    assert response.status_code == 403


# Results of the 3-PRO evaluation


@pytest.fixture
def results_world(city, other_city, team, professional, make_staff):
    project = ProjectFactory(organisation=city, name="前海湾花园")
    second = make_staff(team, Role.ENGAGEMENT_MANAGER, name="周顾问")
    for evaluated, scores, comment in (
        (professional, all_scores(5, P2=3), "节奏有点慢"),
        (professional, all_scores(4), ""),
        (second, all_scores(5), "非常专业"),
    ):
        invitation = sent_invitation(city, evaluated=evaluated, project=project, now=SENT)
        if comment:
            scores["P2"]["text"] = comment
        answered(invitation, scores, at=SENT + timedelta(hours=3))
    outsider_staff = make_staff(other_city, Role.ENGAGEMENT_MANAGER, name="成都顾问")
    answered(sent_invitation(other_city, evaluated=outsider_staff, now=SENT), all_scores(1), at=SENT)
    return project


def test_results_show_the_nine_aspects_with_averages_below_good_in_red(results_world, agent, client_for):
    response = client_for(agent).get(reverse("surveys:results"), {"by": "staff"})

    rows = {row.group.label: row for row in response.context["rows"]}
    assert set(rows) == {"刘顾问", "周顾问"}
    liu = rows["刘顾问"]
    assert [code for code, _text in response.context["codes"]] == ["P1", "P2", "P3", "F1", "F2", "F3", "A1", "A2", "A3"]
    assert str(liu.cells[1].average) == "3.50"
    assert liu.distribution == [0, 0, 1, 9, 8]
    assert '<span class="text-danger fw-bold kefu-score-low">3.50</span>' in response.content.decode()


def test_results_chart_draws_the_monthly_trend_with_the_good_line(results_world, agent, client_for):
    response = client_for(agent).get(reverse("surveys:results"))

    chart = response.context["chart"]
    assert chart["xAxis"]["data"] == ["2026-11"]
    assert [s["name"] for s in chart["series"]] == ["P 进程掌控", "F 专业思维", "A 服务意识"]
    assert chart["series"][0]["markLine"]["data"] == [{"yAxis": 4}]


def test_results_list_the_latest_comments_with_aspect_and_score(results_world, agent, client_for):
    response = client_for(agent).get(reverse("surveys:results"))

    assert sorted((c.question.code, c.score, c.text) for c in response.context["comments"]) == [
        ("P2", 3, "节奏有点慢"),
        ("P2", 5, "非常专业"),
    ]


def test_results_filter_by_staff_member(results_world, professional, agent, client_for):
    response = client_for(agent).get(reverse("surveys:results"), {"evaluated": professional.pk, "by": "project"})

    assert [(row.group.label, row.group.responses) for row in response.context["rows"]] == [("前海湾花园", 2)]


def test_results_query_count_does_not_grow_with_rows(results_world, supervisor, client_for, django_assert_num_queries):
    client = client_for(supervisor)
    client.get(reverse("surveys:results"))

    # On SQLite an open range asks the data for its first and last month once; a closed one does not.
    with django_assert_num_queries(10 if connection.vendor == "sqlite" else 9):
        response = client.get(reverse("surveys:results"), {"by": "team"})
    assert len(response.context["rows"]) == 1

    with django_assert_num_queries(9):
        response = client.get(reverse("surveys:results"), {"by": "team", "since": "2020-01-01", "until": "2035-12-31"})
    assert len(response.context["rows"]) == 1


def test_results_empty_state(agent, client_for):
    body = client_for(agent).get(reverse("surveys:results")).content.decode()

    assert gettext("No evaluations yet") in body


# Interventions


@pytest.fixture
def low(city, professional, supervisor):
    with time_machine.travel(SENT, tick=False):
        return low_evaluation(city, evaluated=professional)


def test_intervention_list_shows_open_ones_first_with_the_overdue_badge(low, city, supervisor, client_for):
    with time_machine.travel(SENT, tick=False):
        closed = low_evaluation(city, A1=2)
        intervention_close(actor=supervisor, intervention=closed, outcome="已解决")

    with time_machine.travel(SENT + timedelta(days=10), tick=False):
        response = client_for(supervisor).get(reverse("surveys:intervention_list"))

    assert [i.pk for i in response.context["page_obj"]] == [low.pk, closed.pk]
    assert response.context["page_obj"][0].is_overdue is True
    assert gettext("Overdue") in response.content.decode()


def test_intervention_list_filters_by_status(low, city, supervisor, client_for):
    response = client_for(supervisor).get(reverse("surveys:intervention_list"), {"status": "closed"})

    assert list(response.context["page_obj"]) == []
    assert gettext("No interventions match") in response.content.decode()


def test_intervention_list_answers_htmx_with_the_rows_only(low, supervisor, client_for):
    body = client_for(supervisor).get(reverse("surveys:intervention_list"), HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in body
    assert reverse("surveys:intervention_detail", kwargs={"intervention_id": low.pk}) in body


def test_intervention_detail_shows_the_scores_customer_and_staff_member(low, supervisor, client_for):
    response = client_for(supervisor).get(reverse("surveys:intervention_detail", kwargs={"intervention_id": low.pk}))

    body = response.content.decode()
    assert "事中把控节奏" in body
    assert "3 一般" in body
    assert reverse("customers:customer_detail", kwargs={"customer_id": low.invitation.customer_id}) in body
    assert "刘顾问" in body
    assert response.context["can_act"] is True


def test_intervention_detail_of_another_unit_is_404(low, outsider, client_for):
    response = client_for(outsider).get(reverse("surveys:intervention_detail", kwargs={"intervention_id": low.pk}))

    assert response.status_code == 404


def test_intervention_contact_records_it_and_says_so(low, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:intervention_contact", kwargs={"intervention_id": low.pk}), {"contact_note": "已电话致歉"}
    )

    low.refresh_from_db()
    assert response.status_code == 302
    assert (low.status, low.contact_note) == (Intervention.Status.CONTACTED, "已电话致歉")
    assert len(_texts(response, SUCCESS)) == 1


def test_intervention_adjust_records_what_changed(low, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:intervention_adjust", kwargs={"intervention_id": low.pk}), {"adjustment": "改由王工跟进"}
    )

    low.refresh_from_db()
    assert response.status_code == 302
    assert (low.status, low.adjustment) == (Intervention.Status.ADJUSTING, "改由王工跟进")


def test_intervention_close_with_the_outcome(low, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:intervention_close", kwargs={"intervention_id": low.pk}), {"outcome": "客户满意"}
    )

    low.refresh_from_db()
    assert response.status_code == 302
    assert (low.status, low.outcome, low.closed_by) == (Intervention.Status.CLOSED, "客户满意", supervisor.user)
    assert _texts(response, SUCCESS) == [gettext("The intervention is closed with its outcome.")]


def test_intervention_close_without_an_outcome_stays_open(low, supervisor, client_for):
    response = client_for(supervisor).post(
        reverse("surveys:intervention_close", kwargs={"intervention_id": low.pk}), {"outcome": ""}
    )

    low.refresh_from_db()
    assert response.status_code == 200
    assert response.context["close_form"].errors["outcome"]
    assert low.status == Intervention.Status.OPEN


def test_intervention_action_on_a_closed_case_says_it_is_closed(low, supervisor, client_for):
    intervention_close(actor=supervisor, intervention=low, outcome="已解决")

    response = client_for(supervisor).post(
        reverse("surveys:intervention_contact", kwargs={"intervention_id": low.pk}), {"contact_note": "再次联系"}
    )

    low.refresh_from_db()
    assert response.status_code == 302
    assert _texts(response, ERROR) == [gettext("This intervention is closed.")]
    assert low.contact_note == ""


def test_intervention_action_refused_to_an_agent_who_is_not_the_assignee(low, agent, client_for):
    response = client_for(agent).post(
        reverse("surveys:intervention_contact", kwargs={"intervention_id": low.pk}), {"contact_note": "x"}
    )

    low.refresh_from_db()
    assert response.status_code == 403
    assert low.contact_note == ""


def test_intervention_action_on_another_units_case_is_404(low, outsider, client_for):
    response = client_for(outsider).post(
        reverse("surveys:intervention_close", kwargs={"intervention_id": low.pk}), {"outcome": "x"}
    )

    low.refresh_from_db()
    assert response.status_code == 404
    assert low.status == Intervention.Status.OPEN


def test_intervention_list_query_count_does_not_grow_with_rows(
    low, city, supervisor, client_for, django_assert_num_queries
):
    low_evaluation(city, A1=2)
    low_evaluation(city, F3=1)
    client = client_for(supervisor)
    client.get(reverse("surveys:intervention_list"))

    with django_assert_num_queries(7):
        response = client.get(reverse("surveys:intervention_list"), {"status": "open"})

    assert len(response.context["page_obj"]) == 3


# The workbench card


def test_workbench_shows_a_supervisor_their_open_interventions_oldest_first(low, city, supervisor, client_for):
    with time_machine.travel(SENT + timedelta(days=1), tick=False):
        newer = low_evaluation(city, evaluated=low.evaluated, A1=2)

    with time_machine.travel(SENT + timedelta(days=10), tick=False):
        response = client_for(supervisor).get(reverse("workbench:home"))

    assert [i.pk for i in response.context["my_interventions"]] == [low.pk, newer.pk]
    assert gettext("My open interventions") in response.content.decode()


def test_workbench_has_no_intervention_card_for_an_agent(agent, client_for):
    response = client_for(agent).get(reverse("workbench:home"))

    assert "my_interventions" not in response.context


def test_navigation_lists_the_survey_pages_a_supervisor_may_open(supervisor, client_for):
    body = client_for(supervisor).get(reverse("surveys:intervention_list")).content.decode()

    assert reverse("surveys:trigger_list") in body
    assert reverse("surveys:results") in body


def test_chart_options_are_json_for_charts_js(rates_world, agent, client_for):
    body = client_for(agent).get(reverse("surveys:rates")).content.decode()

    start = body.index('<script id="chart-survey-rates" type="application/json">') + len(
        '<script id="chart-survey-rates" type="application/json">'
    )
    options = json.loads(body[start : body.index("</script>", start)])
    assert options["yAxis"]["max"] == 100
