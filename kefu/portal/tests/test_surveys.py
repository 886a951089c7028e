"""Answering a survey on the portal: one screen per group, saved as the customer goes, submitted
once, and only by the invited customer."""

from __future__ import annotations

import pytest

from kefu.customers.models import Consent
from kefu.customers.services import consent_grant
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.portal.tests.helpers import resident, signed_in
from kefu.surveys.builtin import THREE_PRO_CODES
from kefu.surveys.models import Answer, Invitation, Response
from kefu.surveys.tests.factories import sent_invitation


@pytest.fixture
def sms(city):
    configure(city, "sms", {"sign_name": "华景物业"}, access_key_secret="s")
    approved_template(
        city,
        "survey.invitation",
        "sms",
        code="SMS_SURVEY",
        params={"name": "{customer_name}", "subject": "{subject}"},
        body="{customer_name}您好，请为{subject}评价：{link}",
    )


@pytest.fixture
def customer(city, sms):
    customer = resident(city)
    consent_grant(actor=None, customer=customer, purpose=Consent.Purpose.SURVEY, method=Consent.Method.PAPER)
    return customer


@pytest.fixture
def invitation(city, customer):
    return sent_invitation(city, customer=customer)


def _url(invitation: Invitation, screen: int | None = None) -> str:
    return f"/m/surveys/{invitation.pk}/" + (f"?screen={screen}" if screen is not None else "")


def _screen_codes(response) -> list[str]:
    return [question.code for question, _answer in response.context["screen"].questions]


def test_the_first_screen_shows_the_first_group_and_marks_the_invitation_opened(invitation, customer):
    response = signed_in(customer).get(_url(invitation))

    invitation.refresh_from_db()
    assert response.status_code == 200
    assert _screen_codes(response) == ["P1", "P2", "P3"]
    assert response.context["count"] == 3
    assert invitation.status == Invitation.Status.OPENED


def test_each_screen_is_saved_as_the_customer_moves_on(invitation, customer):
    browser = signed_in(customer)

    moved = browser.post(_url(invitation), {"screen": "0", "P1.score": "5", "P2.score": "4", "P3.score": "3"})

    assert moved.status_code == 302 and moved["Location"] == _url(invitation, 1)
    response = Response.objects.get(invitation=invitation)
    assert response.submitted_at is None
    assert dict(Answer.objects.filter(response=response).values_list("question__code", "score")) == {
        "P1": 5,
        "P2": 4,
        "P3": 3,
    }
    # Coming back later starts at the first screen still to answer.
    assert _screen_codes(browser.get(_url(invitation))) == ["F1", "F2", "F3"]


def test_answering_every_screen_submits_once_and_thanks(invitation, customer):
    browser = signed_in(customer)
    groups = [THREE_PRO_CODES[i : i + 3] for i in range(0, 9, 3)]
    for index, codes in enumerate(groups):
        browser.post(_url(invitation), {"screen": str(index), **{f"{c}.score": "5" for c in codes}})

    replay = browser.post(_url(invitation), {"screen": "2", **{f"{c}.score": "5" for c in groups[2]}})
    thanks = browser.get(_url(invitation))

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Answer.objects.filter(response__invitation=invitation).count() == 9
    assert replay.status_code == 200
    assert thanks.templates[0].name == "portal/survey_thanks.html"


def test_submitting_with_a_question_unanswered_stays_on_the_screen(invitation, customer):
    browser = signed_in(customer)

    response = browser.post(_url(invitation), {"screen": "2", "A1.score": "5", "A2.score": "5"})

    assert response.status_code == 400
    assert response.context["error"]
    assert Response.objects.get(invitation=invitation).submitted_at is None


def test_another_customers_invitation_is_a_404(city, invitation, sms):
    stranger = resident(city, name="李女士", mobile="13900001111", number="102")

    response = signed_in(stranger).get(_url(invitation))

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.opened_at is None
