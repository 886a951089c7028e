"""WeChat Official Account sign-in (snsapi_base) against the local WeChat fake."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from kefu.customers.models import ContactMethod
from kefu.customers.services import contact_add
from kefu.notifications.fakes.aliyun_sms import ACCESS_KEY_SECRET, FakeAliyunSms
from kefu.notifications.fakes.wechat import FakeWechat
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.portal.models import PortalSession
from kefu.portal.tests.helpers import resident

MOBILE = "13812345678"


@pytest.fixture
def fake():
    with FakeWechat(app_id="wx5f0c1d2e3a4b5c6d", app_secret="oa-secret") as server:
        yield server


@pytest.fixture
def account(city, fake):
    return configure(city, "wechat", {"api_base": fake.url, "app_id": fake.app_id}, app_secret=fake.app_secret)


@pytest.fixture
def customer(city):
    return resident(city, mobile=MOBILE)


def _start(browser: Client) -> dict[str, str]:
    response = browser.get("/m/wechat/start/")
    assert response.status_code == 302
    split = urlsplit(response["Location"])
    assert f"{split.scheme}://{split.netloc}{split.path}" == "https://open.weixin.qq.com/connect/oauth2/authorize"
    assert split.fragment == "wechat_redirect"
    return {name: values[0] for name, values in parse_qs(split.query).items()}


def test_start_sends_the_browser_to_wechat_with_a_random_state(account, fake):
    first, second = _start(Client()), _start(Client())

    assert first["appid"] == fake.app_id
    assert first["scope"] == "snsapi_base" and first["response_type"] == "code"
    assert first["redirect_uri"] == "http://testserver/m/wechat/callback/"
    assert len(first["state"]) >= 32 and first["state"] != second["state"]


def test_a_bound_openid_signs_in(customer, account, fake):
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value="o-bound-1")
    fake.add_oauth_code("CODE1", "o-bound-1")
    browser = Client()
    state = _start(browser)["state"]

    response = browser.get("/m/wechat/callback/", {"code": "CODE1", "state": state})

    assert response.status_code == 302 and response["Location"] == "/m/"
    assert response["Referrer-Policy"] == "no-referrer"
    session = PortalSession.objects.get()
    assert session.customer == customer and session.method == "wechat"
    (exchange,) = [r for r in fake.received if r.path == "/sns/oauth2/access_token"]
    assert exchange.query["grant_type"] == "authorization_code" and exchange.query["secret"] == "oa-secret"


def test_an_unknown_openid_verifies_the_mobile_once_and_is_bound(city, customer, account, fake):
    with FakeAliyunSms(templates={"SMS_CODE": ("code",)}) as sms:
        configure(city, "sms", dict(sms.channel_settings().settings), access_key_secret=ACCESS_KEY_SECRET)
        approved_template(city, "portal.code", "sms", code="SMS_CODE", params={"code": "{code}"}, body="{code}")
        fake.add_oauth_code("CODE2", "o-new-2", unionid="u-new-2")
        browser = Client()
        state = _start(browser)["state"]

        callback = browser.get("/m/wechat/callback/", {"code": "CODE2", "state": state})
        page = browser.get(callback["Location"])
        browser.post("/m/signin/", {"mobile": MOBILE})
        signed = browser.post("/m/signin/code/", {"code": sms.accepted[0].params["code"]})

    assert callback.status_code == 302 and callback["Location"].startswith("/m/signin/")
    assert page.context["binding_wechat"] is True
    assert signed.status_code == 302
    assert PortalSession.objects.get().method == "wechat"
    bound = set(customer.contacts.filter(kind__startswith="wechat").values_list("kind", "value"))
    assert bound == {("wechat_openid", "o-new-2"), ("wechat_unionid", "u-new-2")}
    # Next time the same openid signs in at once.
    fake.add_oauth_code("CODE3", "o-new-2")
    again = Client()
    state = _start(again)["state"]
    assert again.get("/m/wechat/callback/", {"code": "CODE3", "state": state})["Location"] == "/m/"


def test_a_forged_state_is_refused(customer, account, fake):
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value="o-bound-1")
    fake.add_oauth_code("CODE1", "o-bound-1")
    browser = Client()
    _start(browser)

    response = browser.get("/m/wechat/callback/", {"code": "CODE1", "state": "forged-state-value"})

    assert response.status_code == 400
    assert response.context["code"] == "wechat_state"
    assert not PortalSession.objects.exists()
    assert not [r for r in fake.received if r.path == "/sns/oauth2/access_token"]


def test_a_callback_without_a_started_sign_in_is_refused(customer, account, fake):
    fake.add_oauth_code("CODE1", "o-bound-1")

    response = Client().get("/m/wechat/callback/", {"code": "CODE1", "state": "anything"})

    assert response.status_code == 400
    assert not PortalSession.objects.exists()


def test_a_reused_state_is_refused(customer, account, fake):
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value="o-bound-1")
    fake.add_oauth_code("CODE1", "o-bound-1")
    fake.add_oauth_code("CODE1b", "o-bound-1")
    browser = Client()
    state = _start(browser)["state"]
    assert browser.get("/m/wechat/callback/", {"code": "CODE1", "state": state}).status_code == 302

    replay = browser.get("/m/wechat/callback/", {"code": "CODE1b", "state": state})

    assert replay.status_code == 400
    assert PortalSession.objects.count() == 1


def test_another_browsers_state_is_refused(customer, account, fake):
    contact_add(actor=None, customer=customer, kind=ContactMethod.Kind.WECHAT_OPENID, value="o-bound-1")
    fake.add_oauth_code("CODE1", "o-bound-1")
    victim, attacker = Client(), Client()
    _start(victim)
    attacker_state = _start(attacker)["state"]

    response = victim.get("/m/wechat/callback/", {"code": "CODE1", "state": attacker_state})

    assert response.status_code == 400
    assert not PortalSession.objects.exists()


def test_a_code_wechat_refuses_is_refused(customer, account, fake):
    browser = Client()
    state = _start(browser)["state"]

    response = browser.get("/m/wechat/callback/", {"code": "never-issued", "state": state})

    assert response.status_code == 400
    assert not PortalSession.objects.exists()
