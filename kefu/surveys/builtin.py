"""The surveys every organisation gets: the 3-PRO evaluation, CSAT, NPS and experience points.

Like the built-in message texts (kefu.notifications.events), these are data in the
organisation's language, Chinese: the 3-PRO codes and names are the service doctrine's own
words, and they are stored on each version so that later edits never rewrite what a customer saw.
"""

from dataclasses import dataclass, field
from typing import Any

SCALE5_LABELS = {"1": "很差", "2": "差", "3": "一般", "4": "良好", "5": "优秀"}
NPS_LABELS = {"0": "完全不可能", "10": "非常愿意"}
# Below this 3-PRO score (良好) the doctrine asks for an intervention.
THREE_PRO_GOOD = 4
# NPS: 0–6 detractors, 7–8 passives, 9–10 promoters.
NPS_DETRACTOR_MAX = 6
NPS_PROMOTER_MIN = 9


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    text: str
    type: str
    group: str = ""
    group_title: str = ""
    help: str = ""
    required: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "type": self.type,
            "group": self.group,
            "group_title": self.group_title,
            "help": self.help,
            "required": self.required,
            "options": dict(self.options),
        }


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    name: str
    description: str
    questions: tuple[QuestionSpec, ...]


THREE_PRO_DIMENSIONS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "P",
        "进程掌控",
        (
            ("P1", "事前充分沟通", "开始服务前，是否与您充分沟通了需求、安排和预期"),
            ("P2", "事中把控节奏", "服务过程中，节奏是否可控，进展是否及时告知"),
            ("P3", "事后跟踪反馈", "服务完成后，是否主动跟踪并听取您的反馈"),
        ),
    ),
    (
        "F",
        "专业思维",
        (
            ("F1", "委托内涵", "是否准确理解了您的核心需求"),
            ("F2", "方案实施", "方案是否落实到位，进度是否及时汇报"),
            ("F3", "服务延伸", "是否在约定内容之外给出有益的建议"),
        ),
    ),
    (
        "A",
        "服务意识",
        (
            ("A1", "换位思考", "是否站在您的角度考虑问题"),
            ("A2", "及时响应", "您的问题是否得到及时响应"),
            ("A3", "首问负责", "第一位接待您的人员是否负责到底"),
        ),
    ),
)

THREE_PRO_CODES: tuple[str, ...] = tuple(code for _g, _t, aspects in THREE_PRO_DIMENSIONS for code, _n, _h in aspects)

_SCALE = {"labels": SCALE5_LABELS}

THREE_PRO = TemplateSpec(
    kind="three_pro",
    name="3-PRO服务评价",
    description="从进程掌控、专业思维、服务意识三个维度九个方面评价我们的服务。",
    questions=tuple(
        QuestionSpec(
            code=code,
            text=name,
            help=help_text,
            type="scale5",
            group=group,
            group_title=title,
            options={**_SCALE, "comment": True},
        )
        for group, title, aspects in THREE_PRO_DIMENSIONS
        for code, name, help_text in aspects
    ),
)

CSAT = TemplateSpec(
    kind="csat",
    name="满意度评价",
    description="您对本次服务的满意程度。",
    questions=(
        QuestionSpec(
            code="CSAT",
            text="您对本次服务满意吗？",
            type="scale5",
            group="CSAT",
            group_title="满意度",
            options={**_SCALE, "comment": True},
        ),
    ),
)

NPS = TemplateSpec(
    kind="nps",
    name="推荐意愿",
    description="您向亲友推荐我们的可能性。",
    questions=(
        QuestionSpec(
            code="NPS",
            text="您有多大可能向亲友推荐我们？",
            help="0 表示完全不可能，10 表示非常愿意",
            type="nps",
            group="NPS",
            group_title="推荐意愿",
            options={"labels": NPS_LABELS, "comment": True, "comment_label": "请告诉我们您打这个分数的原因"},
        ),
    ),
)

# The Vanke 6+2 journey's six stages, as a starting set of experience points to edit.
_EXPERIENCE_POINTS = (
    "温馨牵手（看房）",
    "喜结连理（签约）",
    "亲密接触（等待交付）",
    "恭迎乔迁（交付）",
    "嘘寒问暖（入住）",
    "承担责任（一年回访）",
)

EXPERIENCE = TemplateSpec(
    kind="experience",
    name="体验点评价",
    description="请为每个体验点的满意度和重要程度打分。",
    questions=tuple(
        QuestionSpec(
            code=f"S{index}",
            text=point,
            type="importance_satisfaction",
            group="S",
            group_title="体验点",
            options={"labels": SCALE5_LABELS, "importance_labels": {"1": "不重要", "5": "非常重要"}},
        )
        for index, point in enumerate(_EXPERIENCE_POINTS, start=1)
    ),
)

BUILTIN: tuple[TemplateSpec, ...] = (THREE_PRO, CSAT, NPS, EXPERIENCE)
