"""The surveys every organisation gets."""

from kefu.surveys.models import Question, SurveyTemplate
from kefu.surveys.services import current_version, ensure_builtin_templates
from kefu.surveys.tests.factories import builtin


def test_builtin_three_pro_has_the_nine_aspects_in_three_dimensions(city):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    questions = list(current_version(template).questions.all())

    assert [(q.group, q.group_title, q.code, q.text) for q in questions] == [
        ("P", "进程掌控", "P1", "事前充分沟通"),
        ("P", "进程掌控", "P2", "事中把控节奏"),
        ("P", "进程掌控", "P3", "事后跟踪反馈"),
        ("F", "专业思维", "F1", "委托内涵"),
        ("F", "专业思维", "F2", "方案实施"),
        ("F", "专业思维", "F3", "服务延伸"),
        ("A", "服务意识", "A1", "换位思考"),
        ("A", "服务意识", "A2", "及时响应"),
        ("A", "服务意识", "A3", "首问负责"),
    ]


def test_builtin_three_pro_aspects_use_the_five_step_scale_with_a_comment(city):
    template = builtin(city, SurveyTemplate.Kind.THREE_PRO)

    questions = list(current_version(template).questions.all())

    assert {q.type for q in questions} == {Question.Type.SCALE5}
    assert questions[0].options == {
        "labels": {"1": "很差", "2": "差", "3": "一般", "4": "良好", "5": "优秀"},
        "comment": True,
    }


def test_builtin_csat_nps_and_experience_points(city):
    templates = {t.kind: current_version(t) for t in ensure_builtin_templates(unit=city)}

    shapes = {kind: [(q.code, q.type) for q in v.questions.all()] for kind, v in templates.items()}

    assert shapes["csat"] == [("CSAT", "scale5")]
    assert shapes["nps"] == [("NPS", "nps")]
    assert shapes["experience"] == [(f"S{i}", "importance_satisfaction") for i in range(1, 7)]


def test_ensure_builtin_templates_twice_creates_them_once(city):
    ensure_builtin_templates(unit=city)

    ensure_builtin_templates(unit=city)

    assert SurveyTemplate.objects.filter(organisation=city, is_builtin=True).count() == 4
    assert all(t.versions.count() == 1 for t in SurveyTemplate.objects.filter(organisation=city))
