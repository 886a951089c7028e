"""Templates as versioned data: edits make new versions; answers stay with the version answered."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.errors import Forbidden, InvalidInput
from kefu.surveys.errors import BuiltinLocked
from kefu.surveys.models import Answer, SurveyTemplate
from kefu.surveys.services import answer, current_version, template_archive, template_create, template_update
from kefu.surveys.tests.factories import builtin, sent_invitation

QUESTIONS = [
    {
        "code": "Q1",
        "text": "维修师傅是否准时上门？",
        "type": "choice",
        "options": {"choices": [{"value": "y", "label": "是"}, {"value": "n", "label": "否"}]},
    },
    {"code": "Q2", "text": "您对维修结果满意吗？", "type": "scale5"},
]


def test_template_create_makes_version_one(city, admin):
    template = template_create(actor=admin, organisation=city, name="维修回访", questions=QUESTIONS)

    version = current_version(template)
    assert version.number == 1
    assert [(q.code, q.type, q.order) for q in version.questions.all()] == [("Q1", "choice", 0), ("Q2", "scale5", 1)]
    assert AuditEntry.objects.filter(note="surveys.template_create", object_id=str(template.pk)).exists()


def test_template_create_rejects_a_code_used_twice(city, admin):
    with pytest.raises(InvalidInput) as error:
        template_create(actor=admin, organisation=city, name="x", questions=[QUESTIONS[1], QUESTIONS[1]])

    assert "Q2" in error.value.message
    assert not SurveyTemplate.objects.exists()


def test_template_create_is_refused_to_an_agent(city, agent):
    with pytest.raises(Forbidden):
        template_create(actor=agent, organisation=city, name="x", questions=QUESTIONS)


@pytest.mark.usefixtures("sms")
def test_editing_questions_makes_a_new_version_and_old_answers_stay_on_the_old_one(city, admin):
    template = template_create(actor=admin, organisation=city, name="维修回访", questions=QUESTIONS)
    invitation = sent_invitation(city, template=template)
    answer(invitation=invitation, answers={"Q1": {"choice": "y"}, "Q2": {"score": 4}}, submit=True)

    template_update(
        actor=admin,
        template=template,
        questions=[*QUESTIONS, {"code": "Q3", "text": "建议", "type": "text", "required": False}],
    )

    new = current_version(template)
    assert new.number == 2 and new.questions.count() == 3
    answered = Answer.objects.select_related("question__version")
    assert {a.question.version.number for a in answered} == {1}
    assert invitation.version.number == 1 and invitation.version.questions.count() == 2


def test_template_update_without_question_changes_keeps_the_version(city, admin):
    template = template_create(actor=admin, organisation=city, name="维修回访", questions=QUESTIONS)

    template_update(actor=admin, template=template, name="维修回访（新）", questions=QUESTIONS)

    template.refresh_from_db()
    assert template.name == "维修回访（新）" and template.versions.count() == 1


def test_the_builtin_three_pro_questions_cannot_be_edited(city, admin):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    with pytest.raises(BuiltinLocked):
        template_update(actor=admin, template=template, questions=QUESTIONS)

    assert template.versions.count() == 1


def test_template_archive_stops_the_template(city, admin):
    template = template_create(actor=admin, organisation=city, name="维修回访", questions=QUESTIONS)

    template_archive(actor=admin, template=template)

    template.refresh_from_db()
    assert template.is_active is False


def test_another_units_admin_cannot_edit_our_template(city, admin, outsider):
    template = template_create(actor=admin, organisation=city, name="维修回访", questions=QUESTIONS)

    with pytest.raises(Forbidden):
        template_update(actor=outsider, template=template, name="改")

    template.refresh_from_db()
    assert template.name == "维修回访"
