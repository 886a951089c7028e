"""Answering a survey the customer was invited to: one screen per question group, each screen
saved when the customer moves on, the last one submits; then a thank-you screen."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from kefu.core.errors import KefuError
from kefu.portal import selectors
from kefu.portal.auth import PortalRequest, portal_login_required
from kefu.surveys import selectors as survey_selectors
from kefu.surveys import services as survey_services
from kefu.surveys.models import Invitation, Question

ANSWER_FIELDS = ("score", "importance", "choice", "text")


def _posted_answers(request: HttpRequest, questions: list[Question]) -> dict[str, dict[str, Any]]:
    """The fields of this screen's questions that the form sent; an untouched radio group is
    absent, so it changes nothing already saved."""
    answers: dict[str, dict[str, Any]] = {}
    for question in questions:
        values = {
            name: request.POST[f"{question.code}.{name}"]
            for name in ANSWER_FIELDS
            if f"{question.code}.{name}" in request.POST
        }
        if values:
            answers[question.code] = values
    return answers


def _screen_url(invitation: Invitation, index: int) -> str:
    return f"{reverse('portal:survey', kwargs={'invitation_id': invitation.pk})}?{urlencode({'screen': index})}"


def _first_unanswered(screens: list[survey_selectors.Screen]) -> int:
    for index, screen in enumerate(screens):
        if any(question.required and answer is None for question, answer in screen.questions):
            return index
    return max(len(screens) - 1, 0)


@portal_login_required
def survey(request: PortalRequest, invitation_id: int) -> HttpResponseBase:
    customer = request.customer
    invitation = survey_selectors.invitation_for_customer(customer_id=customer.pk, invitation_id=invitation_id)
    if selectors.survey_is_submitted(invitation=invitation):
        return TemplateResponse(request, "portal/survey_thanks.html", {"invitation": invitation})
    survey_services.mark_opened(invitation=invitation)
    screens = survey_selectors.survey_screens(invitation)
    if not screens:
        return TemplateResponse(request, "portal/survey_thanks.html", {"invitation": invitation})
    raw_index = request.POST.get("screen") or request.GET.get("screen") or ""
    index = int(raw_index) if raw_index.isdigit() else _first_unanswered(screens)
    index = min(index, len(screens) - 1)
    screen = screens[index]
    is_last = index == len(screens) - 1
    error = ""
    status = 200
    if request.method == "POST":
        questions = [question for question, _answer in screen.questions]
        submit = is_last and request.POST.get("action") != "back"
        try:
            # Saved first, submitted second: a refused submit (a required question left open)
            # still keeps what this screen answered.
            survey_services.answer(invitation=invitation, answers=_posted_answers(request, questions), submit=False)
            if submit:
                survey_services.answer(invitation=invitation, answers={}, submit=True)
        except KefuError as exc:
            error, status = exc.message, exc.status
            screens = survey_selectors.survey_screens(invitation)
            screen = screens[index]
        else:
            if request.POST.get("action") == "back":
                return HttpResponseRedirect(_screen_url(invitation, max(index - 1, 0)))
            if submit:
                return HttpResponseRedirect(reverse("portal:survey", kwargs={"invitation_id": invitation.pk}))
            return HttpResponseRedirect(_screen_url(invitation, index + 1))
    context = {
        "invitation": invitation,
        "screen": screen,
        "index": index,
        "count": len(screens),
        "is_last": is_last,
        "error": error,
    }
    return TemplateResponse(request, "portal/survey_screen.html", context, status=status)
