"""Interventions: any score below 良好 is followed up by the evaluated member's supervisor."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.core.errors import Forbidden, InvalidInput
from kefu.core.roles import Role
from kefu.customers.models import TimelineEntry
from kefu.notifications.models import InAppNotification
from kefu.orgs.models import OrgUnit
from kefu.surveys.errors import InterventionClosed
from kefu.surveys.models import Intervention, SurveyTemplate
from kefu.surveys.services import (
    answer,
    intervention_adjust,
    intervention_close,
    intervention_contact,
    template_update,
)
from kefu.surveys.tests.factories import all_scores, builtin, sent_invitation

SH = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.usefixtures("sms")


def _submit(invitation, scores, at=FRIDAY):
    with time_machine.travel(at, tick=False):
        answer(invitation=invitation, answers=scores, submit=True)


@pytest.fixture
def evaluation(city, professional):
    return sent_invitation(city, evaluated=professional, now=FRIDAY - timedelta(hours=1))


def test_an_aspect_scored_3_opens_one_intervention_for_the_supervisor(
    group, city, other_city, supervisor, professional, make_staff, evaluation
):
    make_staff(group, Role.SUPERVISOR, name="集团主管")
    make_staff(other_city, Role.SUPERVISOR, name="成都主管")

    _submit(evaluation, all_scores(5, P2=3))

    intervention = Intervention.objects.get()
    assert (intervention.assignee, intervention.evaluated) == (supervisor, professional)
    assert intervention.reason == [
        {"code": "P2", "text": "事中把控节奏", "score": 3, "label": "一般", "rule": "three_pro"}
    ]
    assert intervention.status == Intervention.Status.OPEN


def test_the_intervention_is_due_two_working_days_later_on_the_business_calendar(supervisor, evaluation):
    _submit(evaluation, all_scores(4, A3=2))

    # Friday 10:00 plus two working days of 7.5 hours skips the weekend: Tuesday 10:00.
    assert Intervention.objects.get().due_at == datetime(2026, 11, 24, 10, 0, tzinfo=SH)


def test_the_supervisor_hears_of_the_intervention_in_the_app(supervisor, evaluation):
    _submit(evaluation, all_scores(5, F1=1))

    note = InAppNotification.objects.get(membership=supervisor)
    assert note.event == "survey.intervention" and note.is_urgent
    assert "F1 委托内涵" in note.body and "刘顾问" in note.body


def test_several_low_aspects_open_one_intervention(supervisor, evaluation):
    _submit(evaluation, all_scores(2))

    intervention = Intervention.objects.get()
    assert [r["code"] for r in intervention.reason] == ["P1", "P2", "P3", "F1", "F2", "F3", "A1", "A2", "A3"]


def test_scores_of_4_everywhere_open_none(supervisor, evaluation):
    _submit(evaluation, all_scores(4))

    assert not Intervention.objects.exists()


@pytest.mark.parametrize(("score", "opened"), [(6, 1), (7, 0)])
def test_an_nps_detractor_opens_an_intervention(city, supervisor, professional, score, opened):
    invitation = sent_invitation(city, template=builtin(city, SurveyTemplate.Kind.NPS), evaluated=professional)

    _submit(invitation, {"NPS": {"score": score, "text": "一般般"}})

    assert Intervention.objects.count() == opened


@pytest.mark.parametrize(("threshold", "opened"), [(3, 1), (2, 0)])
def test_csat_at_or_below_the_templates_threshold_opens_an_intervention(
    city, admin, supervisor, professional, threshold, opened
):
    template = builtin(city, SurveyTemplate.Kind.CSAT)
    template_update(actor=admin, template=template, csat_threshold=threshold)
    invitation = sent_invitation(city, template=template, evaluated=professional)

    _submit(invitation, {"CSAT": {"score": 3}})

    assert Intervention.objects.count() == opened


def test_without_a_supervisor_the_unit_head_follows_up(city, professional, make_staff, evaluation):
    head = make_staff(city, Role.EXECUTIVE, name="总经理")
    OrgUnit.objects.filter(pk=city.pk).update(head=head)

    _submit(evaluation, all_scores(5, A1=3))

    assert Intervention.objects.get().assignee == head


def test_an_evaluated_supervisor_is_followed_up_by_the_next_supervisor_up(group, city, supervisor, make_staff):
    boss = make_staff(group, Role.SUPERVISOR, name="集团主管")
    invitation = sent_invitation(city, evaluated=supervisor)

    _submit(invitation, all_scores(5, A1=3))

    assert Intervention.objects.get().assignee == boss


def test_submitting_twice_opens_one_intervention(supervisor, evaluation):
    _submit(evaluation, all_scores(5, P1=3))

    _submit(evaluation, all_scores(5, P1=3))

    assert Intervention.objects.count() == 1


@pytest.fixture
def case(supervisor, evaluation):
    _submit(evaluation, all_scores(5, P1=3))
    return Intervention.objects.get()


def test_intervention_lifecycle_contact_adjust_close(supervisor, case):
    intervention_contact(actor=supervisor, intervention=case, note="已电话联系王先生，了解到未提前告知上门时间。")
    intervention_adjust(actor=supervisor, intervention=case, adjustment="更换对接顾问，上门前一天电话确认。")

    closed = intervention_close(actor=supervisor, intervention=case, outcome="客户认可调整。")

    assert closed.status == Intervention.Status.CLOSED and closed.closed_by == supervisor.user
    assert closed.contacted_at is not None and closed.adjustment.startswith("更换对接顾问")
    kinds = set(TimelineEntry.objects.filter(kind__startswith="surveys.intervention").values_list("kind", flat=True))
    assert kinds == {
        "surveys.intervention_opened",
        "surveys.intervention_contact",
        "surveys.intervention_adjust",
        "surveys.intervention_close",
    }


def test_intervention_close_needs_an_outcome(supervisor, case):
    with pytest.raises(InvalidInput) as error:
        intervention_close(actor=supervisor, intervention=case, outcome="  ")

    assert error.value.field == "outcome"
    case.refresh_from_db()
    assert case.status == Intervention.Status.OPEN


def test_a_closed_intervention_cannot_be_changed(supervisor, case):
    intervention_close(actor=supervisor, intervention=case, outcome="已解决")

    with pytest.raises(InterventionClosed):
        intervention_contact(actor=supervisor, intervention=case, note="再次联系")


def test_another_units_supervisor_cannot_act_on_the_intervention(other_city, make_staff, case):
    stranger = make_staff(other_city, Role.SUPERVISOR, name="成都主管")

    with pytest.raises(Forbidden):
        intervention_contact(actor=stranger, intervention=case, note="x")

    case.refresh_from_db()
    assert case.status == Intervention.Status.OPEN and case.contact_note == ""


def test_an_agent_who_is_not_the_assignee_cannot_act_on_it(agent, case):
    with pytest.raises(Forbidden):
        intervention_close(actor=agent, intervention=case, outcome="x")


def test_the_assignee_may_act_without_the_supervisor_role(city, professional, make_staff):
    head = make_staff(city, Role.EXECUTIVE, name="总经理")
    OrgUnit.objects.filter(pk=city.pk).update(head=head)
    invitation = sent_invitation(city, evaluated=professional)
    _submit(invitation, all_scores(5, A1=3))

    done = intervention_contact(actor=head, intervention=Intervention.objects.get(), note="已联系")

    assert done.status == Intervention.Status.CONTACTED
