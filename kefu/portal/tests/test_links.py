"""Signed links: scoped, expiring, single use where asked, and never left in the address bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from kefu.portal.auth import COOKIE_NAME
from kefu.portal.links import make_link
from kefu.portal.models import PortalLink, PortalSession
from kefu.portal.services import secret_hash
from kefu.portal.tests.helpers import resident, signed_in


@pytest.fixture
def customer(city):
    return resident(city)


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


@override_settings(KEFU_BASE_URL="http://testserver")
def test_make_link_stores_only_the_tokens_hash(customer):
    url = make_link(customer_id=customer.pk, action="request", object_id=7, ttl=timedelta(days=3))

    token = url.rstrip("/").rsplit("/", 1)[1]
    assert url == f"http://testserver/m/l/{token}/"
    assert len(token) == 32  # 192 random bits; fits one SMS template variable
    link = PortalLink.objects.get()
    assert link.token_hash == secret_hash(token)
    assert token not in link.token_hash


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_link_is_exchanged_for_a_cookie_and_a_url_without_the_token(customer):
    url = make_link(customer_id=customer.pk, action="request", object_id=42, ttl=timedelta(days=3))
    token = url.rstrip("/").rsplit("/", 1)[1]
    client = Client()

    response = client.get(_path(url))

    assert response.status_code == 302
    assert response["Location"] == "/m/requests/42/"
    assert token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    session = PortalSession.objects.get()
    assert session.customer == customer and session.method == "link"
    assert session.id_hash == secret_hash(cookie.value)


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_survey_link_leads_to_the_survey_and_home_link_home(customer):
    survey = make_link(customer_id=customer.pk, action="survey", object_id=5, ttl=timedelta(days=3))
    home = make_link(customer_id=customer.pk, action="home", object_id=0, ttl=timedelta(days=3))

    assert Client().get(_path(survey))["Location"] == "/m/surveys/5/"
    assert Client().get(_path(home))["Location"] == "/m/"


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_tampered_link_is_refused_with_the_sign_in_options(customer):
    url = make_link(customer_id=customer.pk, action="home", object_id=0, ttl=timedelta(days=3))
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = Client().get(f"/m/l/{tampered}/")

    assert response.status_code == 404
    assert COOKIE_NAME not in response.cookies
    assert response["Referrer-Policy"] == "no-referrer"
    assert 'href="/m/signin/"' in response.content.decode()
    assert not PortalSession.objects.exists()


@override_settings(KEFU_BASE_URL="http://testserver")
def test_an_expired_link_is_gone(customer):
    url = make_link(customer_id=customer.pk, action="home", object_id=0, ttl=timedelta(hours=1))

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        response = Client().get(_path(url))

    assert response.status_code == 410
    assert response.context["code"] == "link_expired"
    assert not PortalSession.objects.exists()


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_single_use_link_refuses_a_second_use(customer):
    url = make_link(customer_id=customer.pk, action="home", object_id=0, ttl=timedelta(days=1), single_use=True)
    assert Client().get(_path(url)).status_code == 302

    again = Client().get(_path(url))

    assert again.status_code == 410
    assert again.context["code"] == "link_used"
    assert PortalSession.objects.count() == 1


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_reusable_link_can_be_opened_twice(customer):
    url = make_link(customer_id=customer.pk, action="home", object_id=0, ttl=timedelta(days=1))

    assert Client().get(_path(url)).status_code == 302
    assert Client().get(_path(url)).status_code == 302

    assert PortalLink.objects.get().use_count == 2


@override_settings(KEFU_BASE_URL="http://testserver")
def test_a_link_of_a_opened_in_a_session_of_b_switches_to_a_and_ends_bs_session(city):
    a = resident(city, name="王先生", mobile="13812345678", number="101")
    b = resident(city, name="李女士", mobile="13900001111", number="102")
    browser = signed_in(b)
    b_cookie = browser.cookies[COOKIE_NAME].value
    url = make_link(customer_id=a.pk, action="home", object_id=0, ttl=timedelta(days=1))

    browser.get(_path(url))
    home = browser.get("/m/")

    assert home.status_code == 200
    assert home.context["customer"] == a
    assert PortalSession.objects.get(id_hash=secret_hash(b_cookie)).revoked_at is not None
    # B's old cookie, replayed, opens nothing.
    replay = Client()
    replay.cookies[COOKIE_NAME] = b_cookie
    assert replay.get("/m/").status_code == 302


def test_the_portal_without_a_session_sends_the_browser_to_sign_in():
    response = Client().get("/m/requests/")

    assert response.status_code == 302
    assert response["Location"] == "/m/signin/?next=%2Fm%2Frequests%2F"


def test_an_idle_session_expires_after_seven_days(customer):
    browser = signed_in(customer)

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = browser.get("/m/")

    assert response.status_code == 302


def test_signing_out_ends_the_session(customer):
    browser = signed_in(customer)
    cookie = browser.cookies[COOKIE_NAME].value

    browser.post("/m/signout/")

    assert PortalSession.objects.get(id_hash=secret_hash(cookie)).revoked_at is not None
    replay = Client()
    replay.cookies[COOKIE_NAME] = cookie
    assert replay.get("/m/").status_code == 302
