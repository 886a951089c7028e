"""Template texts: {name} placeholders only, checked when a template is saved and when it is used.

str.format would let a template reach attributes ("{customer.__class__}"), so placeholders are
parsed here and only bare names are allowed; the values are always plain strings.
"""

from __future__ import annotations

import string
from typing import Any

from django.utils.translation import gettext as _

from kefu.notifications.models import Channel

# What each channel takes. SMS: Aliyun allows 35 characters per variable and 500 per long
# message; WeChat template data values beyond 200 are cut by WeChat, so we refuse them first.
MAX_TEXT = {"sms": 500, "wechat": 600, "wecom": 2000, "inapp": 2000, "email": 100_000, "webhook": 60_000}
MAX_PARAM = {"sms": 35, "wechat": 200}
MAX_SUBJECT = 200


class TemplateProblem(ValueError):
    """A template cannot be rendered: `code` for the log, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_formatter = string.Formatter()


def placeholders(text: str) -> list[str]:
    """The variable names in `text`, in order; a malformed or non-bare placeholder raises."""
    names: list[str] = []
    try:
        parsed = list(_formatter.parse(text))
    except ValueError as exc:
        raise TemplateProblem(
            "template.syntax", _("Unbalanced braces in the text: %(error)s") % {"error": exc}
        ) from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateProblem(
                "template.syntax",
                _("“{%(name)s}” is not a variable: write a bare name such as {customer_name}.") % {"name": name},
            )
        names.append(name)
    return names


def check_variables(text: str, allowed: set[str]) -> None:
    unknown = [name for name in placeholders(text) if name not in allowed]
    if unknown:
        raise TemplateProblem(
            "template.unknown_variable",
            _("Unknown variable {%(name)s}. This event has: %(allowed)s.")
            % {"name": unknown[0], "allowed": "、".join("{" + a + "}" for a in sorted(allowed))},
        )


def render(text: str, context: dict[str, Any]) -> str:
    """Fill the placeholders; a variable the context lacks raises TemplateProblem naming it."""
    out: list[str] = []
    for literal, name, _spec, _conversion in _formatter.parse(text):
        out.append(literal)
        if name is None:
            continue
        if not name.isidentifier():
            raise TemplateProblem("template.syntax", _("“{%(name)s}” is not a variable.") % {"name": name})
        if name not in context or context[name] is None:
            raise TemplateProblem(
                "template.missing_variable",
                _("The template uses {%(name)s}, but the event gave no value for it.") % {"name": name},
            )
        out.append(str(context[name]))
    return "".join(out)


def check_size(channel: str, *, subject: str, body: str, params: dict[str, str]) -> None:
    limit = MAX_TEXT.get(channel)
    if limit is not None and len(body) > limit:
        raise TemplateProblem(
            "message.too_long",
            _("The message is %(length)s characters; %(channel)s allows at most %(limit)s.")
            % {"length": len(body), "channel": Channel(channel).label, "limit": limit},
        )
    if len(subject) > MAX_SUBJECT:
        raise TemplateProblem(
            "message.too_long",
            _("The subject is %(length)s characters; at most %(limit)s are allowed.")
            % {"length": len(subject), "limit": MAX_SUBJECT},
        )
    param_limit = MAX_PARAM.get(channel)
    if param_limit is not None:
        for key, value in params.items():
            if len(value) > param_limit:
                raise TemplateProblem(
                    "message.param_too_long",
                    _("Template parameter %(name)s is %(length)s characters; %(channel)s allows at most %(limit)s.")
                    % {"name": key, "length": len(value), "channel": Channel(channel).label, "limit": param_limit},
                )
