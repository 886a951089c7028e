"""Answering: saved as the customer goes, validated per question, submitted once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.customers.models import TimelineEntry
from kefu.surveys.errors import (
    InvalidAnswer,
    MissingAnswer,
    SurveyAlreadySubmitted,
    SurveyExpired,
    SurveyNotOpen,
    UnknownQuestion,
)
from kefu.surveys.models import Answer, Invitation, Response, SurveyTemplate
from kefu.surveys.selectors import survey_screens
from kefu.surveys.services import answer, invite, mark_opened
from kefu.surveys.tests.factories import all_scores, builtin, customer_who_agrees, sent_invitation

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)

pytestmark = pytest.mark.usefixtures("sms")


def _stored(invitation: Invitation) -> dict[str, tuple]:
    return {
        a.question.code: (a.score, a.text)
        for a in Answer.objects.filter(response__invitation=invitation).select_related("question")
    }


def test_answer_saves_as_the_customer_goes_and_keeps_a_half_answered_survey(city):
    invitation = sent_invitation(city, now=NOW)

    answer(invitation=invitation, answers={"P1": {"score": 5}, "P2": {"score": 4, "text": "节奏很好"}}, submit=False)
    answer(invitation=invitation, answers={"F1": {"score": 3}}, submit=False)

    invitation.refresh_from_db()
    assert _stored(invitation) == {"P1": (5, ""), "P2": (4, "节奏很好"), "F1": (3, "")}
    assert invitation.status == Invitation.Status.OPENED
    assert Response.objects.get(invitation=invitation).submitted_at is None


def test_answer_changes_a_saved_score(city):
    invitation = sent_invitation(city, now=NOW)
    answer(invitation=invitation, answers={"P1": {"score": 2, "text": "没沟通"}}, submit=False)

    answer(invitation=invitation, answers={"P1": {"score": 4}}, submit=False)

    assert _stored(invitation) == {"P1": (4, "没沟通")}


def test_answer_replayed_changes_nothing(city):
    invitation = sent_invitation(city, now=NOW)
    answer(invitation=invitation, answers={"P1": {"score": 5}}, submit=False, now=NOW)
    before = Answer.objects.get().updated_at

    answer(invitation=invitation, answers={"P1": {"score": 5}}, submit=False, now=NOW + timedelta(minutes=1))

    assert Answer.objects.get().updated_at == before


def test_double_submit_stores_the_answers_once(city):
    invitation = sent_invitation(city, now=NOW)
    payload = all_scores(5)
    answer(invitation=invitation, answers=payload, submit=True)

    again = answer(invitation=invitation, answers=payload, submit=True)

    assert Response.objects.count() == 1 and again.invitation_id == invitation.pk
    assert Answer.objects.count() == 9
    assert TimelineEntry.objects.filter(kind="surveys.answered").count() == 1


def test_answer_after_submitting_with_other_scores_is_refused(city):
    invitation = sent_invitation(city, now=NOW)
    answer(invitation=invitation, answers=all_scores(5), submit=True)

    with pytest.raises(SurveyAlreadySubmitted):
        answer(invitation=invitation, answers={"P1": {"score": 1}}, submit=False)

    assert _stored(invitation)["P1"] == (5, "")


def test_answer_rejects_a_score_outside_the_scale_naming_the_question(city):
    invitation = sent_invitation(city, now=NOW)

    with pytest.raises(InvalidAnswer) as error:
        answer(invitation=invitation, answers={"P1": {"score": 5}, "A2": {"score": 6}}, submit=False)

    assert error.value.field == "A2" and "A2 及时响应" in error.value.message
    assert not Answer.objects.exists()


def test_answer_rejects_an_unknown_question(city):
    invitation = sent_invitation(city, now=NOW)

    with pytest.raises(UnknownQuestion) as error:
        answer(invitation=invitation, answers={"Z9": {"score": 5}}, submit=False)

    assert error.value.field == "Z9"


def test_nps_accepts_zero_to_ten_only(city):
    invitation = sent_invitation(city, template=builtin(city, SurveyTemplate.Kind.NPS), now=NOW)
    answer(invitation=invitation, answers={"NPS": {"score": 0}}, submit=False)

    with pytest.raises(InvalidAnswer):
        answer(invitation=invitation, answers={"NPS": {"score": 11}}, submit=False)

    assert _stored(invitation) == {"NPS": (0, "")}


def test_submit_names_the_first_required_question_missing(city):
    invitation = sent_invitation(city, now=NOW)
    payload = all_scores(5)
    del payload["F2"]

    with pytest.raises(MissingAnswer) as error:
        answer(invitation=invitation, answers=payload, submit=True)

    assert error.value.field == "F2" and "方案实施" in error.value.message
    invitation.refresh_from_db()
    assert invitation.status != Invitation.Status.ANSWERED


def test_experience_point_needs_satisfaction_and_importance(city):
    template = builtin(city, SurveyTemplate.Kind.EXPERIENCE)
    invitation = sent_invitation(city, template=template, now=NOW)
    payload = {f"S{i}": {"score": 4, "importance": 5} for i in range(1, 7)}
    payload["S3"] = {"score": 2}

    with pytest.raises(MissingAnswer) as error:
        answer(invitation=invitation, answers=payload, submit=True)

    assert error.value.field == "S3"


def test_answer_to_an_expired_survey_is_refused(city):
    invitation = sent_invitation(city, now=NOW)

    with pytest.raises(SurveyExpired):
        answer(invitation=invitation, answers={"P1": {"score": 5}}, submit=False, now=NOW + timedelta(days=8))

    assert not Answer.objects.exists()


def test_answer_to_an_invitation_not_yet_sent_is_refused(city):
    customer = customer_who_agrees(city)
    invitation = invite(
        template=builtin(city, SurveyTemplate.Kind.CSAT),
        customer=customer,
        source_key="later",
        organisation=city,
        subject="x",
        delay=timedelta(days=1),
    )

    with pytest.raises(SurveyNotOpen):
        answer(invitation=invitation, answers={"CSAT": {"score": 5}}, submit=False)


def test_submit_marks_the_invitation_answered_and_records_it_on_the_timeline(city):
    invitation = sent_invitation(city, now=NOW)

    answer(invitation=invitation, answers=all_scores(5), submit=True, now=NOW + timedelta(hours=1))

    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_at) == (Invitation.Status.ANSWERED, NOW + timedelta(hours=1))
    entry = TimelineEntry.objects.get(kind="surveys.answered")
    assert entry.customer_id == invitation.customer_id and entry.data["scores"]["P1"] == 5


def test_mark_opened_records_the_first_opening_only(city):
    invitation = sent_invitation(city, now=NOW)

    mark_opened(invitation=invitation, now=NOW + timedelta(minutes=5))
    mark_opened(invitation=invitation, now=NOW + timedelta(minutes=9))

    invitation.refresh_from_db()
    assert (invitation.status, invitation.opened_at) == (Invitation.Status.OPENED, NOW + timedelta(minutes=5))


def test_invite_with_codes_asks_only_those_questions(city):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)
    invitation = invite(
        template=template,
        customer=customer_who_agrees(city),
        source_key="commission:1:node:1",
        organisation=city,
        subject="现场查勘",
        codes=["P1", "A2"],
        now=NOW,
    )
    asked = [q.code for screen in survey_screens(invitation) for q, _ in screen.questions]
    assert asked == ["P1", "A2"]
    with pytest.raises(UnknownQuestion):
        answer(invitation=invitation, answers={"F1": {"score": 5}}, submit=False, now=NOW)

    answer(invitation=invitation, answers={"P1": {"score": 5}, "A2": {"score": 4}}, submit=True, now=NOW)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_invite_rejects_a_code_the_survey_does_not_have(city):
    with pytest.raises(UnknownQuestion):
        invite(
            template=builtin(city, SurveyTemplate.Kind.THREE_PRO),
            customer=customer_who_agrees(city),
            source_key="commission:1:node:2",
            organisation=city,
            subject="现场查勘",
            codes=["Z9"],
            now=NOW,
        )
    assert not Invitation.objects.exists()
