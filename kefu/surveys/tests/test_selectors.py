"""Reports on a small known data set: response rates, the nine aspects, trends, comments and
the supervisor's open interventions; each in a pinned number of queries and scoped to the viewer."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404

from kefu.core.roles import Role
from kefu.customers.tests.factories import CustomerFactory
from kefu.properties.tests.factories import ProjectFactory
from kefu.surveys.models import Intervention, SurveyTemplate
from kefu.surveys.selectors import (
    aspect_results,
    comments,
    intervention_get,
    monthly_trend,
    open_interventions,
    response_rates,
    survey_screens,
)
from kefu.surveys.services import answer, invite, mark_opened
from kefu.surveys.tests.factories import all_scores, builtin, sent_invitation

SH = ZoneInfo("Asia/Shanghai")
SENT = datetime(2026, 11, 20, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.usefixtures("sms")


def _submit(invitation, scores, at):
    with time_machine.travel(at, tick=False):
        answer(invitation=invitation, answers=scores, submit=True)


@pytest.fixture
def world(city, other_city, team, supervisor, professional, make_staff):
    """Three staff members evaluated on 3-PRO, one NPS survey, one customer without consent,
    and another city's survey the viewer must not see."""
    second = make_staff(team, Role.ENGAGEMENT_MANAGER, name="周顾问")
    third = make_staff(city, Role.AGENT, name="吴专员")
    project = ProjectFactory(organisation=city, name="前海湾花园")
    three_pro = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    a = sent_invitation(city, evaluated=professional, project=project, now=SENT)
    b = sent_invitation(city, evaluated=professional, project=project, now=SENT + timedelta(days=11))
    c = sent_invitation(city, evaluated=second, project=project, now=SENT)
    d = sent_invitation(city, evaluated=third, now=SENT)
    sent_invitation(city, template=builtin(city, SurveyTemplate.Kind.NPS), evaluated=third, now=SENT)
    invite(
        template=three_pro,
        customer=CustomerFactory(organisation=city),
        source_key="no-consent",
        organisation=city,
        subject="x",
        evaluated=professional,
        now=SENT,
    )
    _submit(a, {**all_scores(5), "P1": {"score": 5, "text": "沟通充分"}}, SENT + timedelta(hours=2))
    _submit(b, {**all_scores(4), "P1": {"score": 2, "text": "事前没说清楚"}}, SENT + timedelta(days=11, hours=1))
    _submit(c, all_scores(3), SENT + timedelta(hours=30))
    mark_opened(invitation=d, now=SENT + timedelta(hours=1))

    elsewhere = sent_invitation(other_city, evaluated=make_staff(other_city, name="外人"), now=SENT)
    _submit(elsewhere, all_scores(1), SENT + timedelta(hours=1))
    return {"professional": professional, "second": second, "third": third, "project": project}


def test_response_rates_per_template(admin, world, django_assert_num_queries):
    admin.unit  # noqa: B018 - the viewer's unit is loaded with the viewer, not by the report

    with django_assert_num_queries(1):
        rows = {row.label: row for row in response_rates(admin, by="template")}

    three_pro, nps = rows["3-PRO服务评价"], rows["推荐意愿"]
    assert (three_pro.invited, three_pro.skipped, three_pro.sent) == (5, 1, 4)
    assert (three_pro.opened, three_pro.answered, three_pro.answered_within_24h) == (4, 3, 2)
    assert (three_pro.open_rate, three_pro.answer_rate, three_pro.answer_rate_24h) == (
        Decimal("100.0"),
        Decimal("75.0"),
        Decimal("50.0"),
    )
    assert (nps.sent, nps.opened, nps.answered, nps.answer_rate) == (1, 0, 0, Decimal("0.0"))
    assert set(rows) == {"3-PRO服务评价", "推荐意愿"}


def test_response_rates_per_staff_member(admin, world):
    rows = {row.label: row for row in response_rates(admin, by="staff")}

    assert {name: (r.sent, r.answered) for name, r in rows.items()} == {
        "刘顾问": (2, 2),
        "周顾问": (1, 1),
        "吴专员": (2, 0),
    }


def test_response_rates_within_a_period(admin, world):
    rows = response_rates(admin, by="template", since=SENT + timedelta(days=1))

    assert [(r.label, r.sent, r.answered_within_24h) for r in rows] == [("3-PRO服务评价", 1, 1)]


def test_aspect_results_per_staff_member(admin, world, django_assert_num_queries):
    admin.unit  # noqa: B018

    with django_assert_num_queries(1):
        groups = {g.label: g for g in aspect_results(admin, by="staff")}

    professional = groups["刘顾问"]
    p1 = professional.aspects[0]
    assert [a.code for a in professional.aspects] == ["P1", "P2", "P3", "F1", "F2", "F3", "A1", "A2", "A3"]
    assert (p1.text, p1.count, p1.average) == ("事前充分沟通", 2, Decimal("3.50"))
    assert p1.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert professional.aspects[1].average == Decimal("4.50")
    assert professional.responses == 2
    assert groups["周顾问"].average == Decimal("3.00")
    assert set(groups) == {"刘顾问", "周顾问"}


def test_aspect_results_per_team_and_project(admin, world):
    teams = {g.label: g for g in aspect_results(admin, by="team")}
    projects = {g.label: g for g in aspect_results(admin, by="project")}

    assert teams["前海湾项目组"].aspects[0].distribution == {1: 0, 2: 1, 3: 1, 4: 0, 5: 1}
    assert projects["前海湾花园"].responses == 3


def test_monthly_trend_per_dimension(admin, world):
    points = monthly_trend(admin)

    by_key = {(p.month, p.group): p for p in points}
    assert sorted(by_key) == [
        (date(2026, 11, 1), "A"),
        (date(2026, 11, 1), "F"),
        (date(2026, 11, 1), "P"),
        (date(2026, 12, 1), "A"),
        (date(2026, 12, 1), "F"),
        (date(2026, 12, 1), "P"),
    ]
    # November: one response of 5s and one of 3s; December: 4s with P1 at 2.
    assert by_key[(date(2026, 11, 1), "P")].average == Decimal("4.00")
    assert by_key[(date(2026, 12, 1), "P")].average == Decimal("3.33")


def test_comments_newest_first(admin, world, django_assert_num_queries):
    admin.unit  # noqa: B018

    with django_assert_num_queries(1):
        rows = [(c.question.code, c.text, c.response.invitation.evaluated.name) for c in comments(admin)]

    assert rows == [("P1", "事前没说清楚", "刘顾问"), ("P1", "沟通充分", "刘顾问")]


def test_open_interventions_with_their_age(admin, world, django_assert_num_queries):
    admin.unit  # noqa: B018
    now = SENT + timedelta(days=13)

    with django_assert_num_queries(1):
        rows = [
            (i.evaluated.name, i.assignee.name, i.invitation.customer.name, i.age, i.is_overdue)
            for i in open_interventions(admin, now=now)
        ]

    assert [(r[0], r[1]) for r in rows] == [("周顾问", "陈主管"), ("刘顾问", "陈主管")]
    assert rows[0][3] == now - (SENT + timedelta(hours=30))
    assert [r[4] for r in rows] == [True, False]


def test_open_interventions_of_one_assignee(admin, supervisor, world):
    assert open_interventions(admin, assignee_id=supervisor.pk).count() == 2
    assert open_interventions(admin, assignee_id=admin.pk).count() == 0


def test_another_citys_intervention_is_not_found(admin, world):
    theirs = Intervention.objects.exclude(organisation=admin.unit).get()

    with pytest.raises(Http404):
        intervention_get(admin, pk=theirs.pk)


def test_another_citys_data_is_in_no_report(outsider, world):
    assert {r.label for r in response_rates(outsider, by="staff")} == {"外人"}
    assert {g.label for g in aspect_results(outsider, by="staff")} == {"外人"}


def test_survey_screens_group_the_questions_with_the_saved_answers(city, django_assert_num_queries):
    invitation = sent_invitation(city)
    answer(invitation=invitation, answers={"F2": {"score": 4, "text": "进度及时"}}, submit=False)

    with django_assert_num_queries(2):
        screens = survey_screens(invitation)

    assert [(s.group, s.title, len(s.questions)) for s in screens] == [
        ("P", "进程掌控", 3),
        ("F", "专业思维", 3),
        ("A", "服务意识", 3),
    ]
    assert screens[1].questions[1][1].text == "进度及时"
    assert screens[0].questions[0][1] is None
