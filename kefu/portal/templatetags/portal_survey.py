"""Formatting of survey questions on the portal: the values and labels of their scales."""

from __future__ import annotations

from django import template

from kefu.surveys.models import Question

register = template.Library()


def _labelled(low: int, high: int, labels: dict[str, str]) -> list[tuple[int, str]]:
    return [
        (value, f"{value} {labels[str(value)]}" if str(value) in labels else str(value))
        for value in range(low, high + 1)
    ]


@register.filter
def scale_choices(question: Question) -> list[tuple[int, str]]:
    labels = question.options.get("labels", {}) if isinstance(question.options, dict) else {}
    if question.type == Question.Type.NPS:
        return [(value, str(value)) for value in range(0, 11)]
    return list(reversed(_labelled(1, 5, labels)))


@register.filter
def importance_choices(question: Question) -> list[tuple[int, str]]:
    labels = question.options.get("importance_labels", {}) if isinstance(question.options, dict) else {}
    return list(reversed(_labelled(1, 5, labels)))
