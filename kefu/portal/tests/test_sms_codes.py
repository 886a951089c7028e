"""Sign-in by SMS code against a local Aliyun SMS: success, brute force, flooding, expiry, and the
same answer for numbers that are not customers'."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from kefu.notifications.fakes.aliyun_sms import ACCESS_KEY_SECRET, FakeAliyunSms
from kefu.notifications.tests.helpers import approved_template, configure
from kefu.portal import services
from kefu.portal.auth import COOKIE_NAME
from kefu.portal.errors import CodeWrong, TooManyCodes
from kefu.portal.models import PortalCode, PortalSession
from kefu.portal.tests.helpers import resident

SH = ZoneInfo("Asia/Shanghai")
MOBILE = "13812345678"
STRANGER = "13700009999"
CODE_TEMPLATE = "SMS_PORTAL_CODE"


@pytest.fixture
def fake():
    # The clock is moved by days in these tests; the fake's signature timestamp check must not mind.
    with FakeAliyunSms(templates={CODE_TEMPLATE: ("code", "minutes")}, max_clock_skew=10**9) as server:
        yield server


@pytest.fixture
def sms(city, fake):
    config = configure(city, "sms", dict(fake.channel_settings().settings), access_key_secret=ACCESS_KEY_SECRET)
    approved_template(
        city,
        "portal.code",
        "sms",
        code=CODE_TEMPLATE,
        params={"code": "{code}", "minutes": "{minutes}"},
        body="您的登录验证码为{code}，{minutes}分钟内有效。",
    )
    return config


@pytest.fixture
def customer(city, sms):
    return resident(city, mobile=MOBILE)


def _sent_code(fake) -> str:
    return fake.accepted[-1].params["code"]


def _ask(client: Client, mobile: str = MOBILE, ip: str = "203.0.113.7"):
    return client.post("/m/signin/", {"mobile": mobile}, REMOTE_ADDR=ip)


def test_the_code_sent_by_sms_signs_the_customer_in(customer, fake):
    browser = Client()

    asked = _ask(browser)
    (sms,) = fake.accepted
    answered = browser.post("/m/signin/code/", {"code": sms.params["code"]})

    assert asked.status_code == 302 and asked["Location"].startswith("/m/signin/code/")
    assert sms.phone_numbers == (MOBILE,)
    assert sms.params["minutes"] == "5"
    assert answered.status_code == 302 and answered["Location"] == "/m/"
    assert PortalSession.objects.get().customer == customer
    assert browser.get("/m/").context["customer"] == customer
    assert PortalCode.objects.get().used_at is not None


def test_the_code_is_stored_hashed_and_the_number_too(customer, fake):
    services.code_request(mobile=MOBILE, ip=None)

    row = PortalCode.objects.get()
    assert _sent_code(fake) not in row.code_hash
    assert MOBILE not in row.mobile_hash


def test_a_code_works_once(customer, fake):
    services.code_request(mobile=MOBILE, ip=None)
    code = _sent_code(fake)
    services.code_verify(mobile=MOBILE, code=code)

    with pytest.raises(CodeWrong):
        services.code_verify(mobile=MOBILE, code=code)


def test_five_wrong_tries_void_the_code(customer, fake):
    services.code_request(mobile=MOBILE, ip=None)
    code = _sent_code(fake)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(5):
        with pytest.raises(CodeWrong):
            services.code_verify(mobile=MOBILE, code=wrong)

    with pytest.raises(CodeWrong):
        services.code_verify(mobile=MOBILE, code=code)
    row = PortalCode.objects.get()
    assert row.attempts == 5 and row.voided_at is not None and row.used_at is None


def test_four_wrong_tries_still_leave_the_code_usable(customer, fake):
    services.code_request(mobile=MOBILE, ip=None)
    code = _sent_code(fake)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(CodeWrong):
            services.code_verify(mobile=MOBILE, code=wrong)

    assert services.code_verify(mobile=MOBILE, code=code) == customer


def test_a_code_expires_after_five_minutes(customer, fake):
    start = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False):
        services.code_request(mobile=MOBILE, ip=None)
    code = _sent_code(fake)

    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False), pytest.raises(CodeWrong):
        services.code_verify(mobile=MOBILE, code=code)


def test_a_code_is_still_good_just_before_five_minutes(customer, fake):
    start = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False):
        services.code_request(mobile=MOBILE, ip=None)
    code = _sent_code(fake)

    with time_machine.travel(start + timedelta(minutes=4, seconds=59), tick=False):
        assert services.code_verify(mobile=MOBILE, code=code) == customer


def test_one_code_a_minute_per_number(customer, fake):
    start = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False):
        services.code_request(mobile=MOBILE, ip=None)
    with time_machine.travel(start + timedelta(seconds=59), tick=False), pytest.raises(TooManyCodes):
        services.code_request(mobile=MOBILE, ip=None)

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        services.code_request(mobile=MOBILE, ip=None)

    assert len(fake.accepted) == 2


def test_five_codes_an_hour_per_number(customer, fake):
    start = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    for n in range(5):
        with time_machine.travel(start + timedelta(minutes=2 * n), tick=False):
            services.code_request(mobile=MOBILE, ip=None)

    with time_machine.travel(start + timedelta(minutes=59), tick=False), pytest.raises(TooManyCodes):
        services.code_request(mobile=MOBILE, ip=None)
    with time_machine.travel(start + timedelta(minutes=60, seconds=1), tick=False):
        services.code_request(mobile=MOBILE, ip=None)
    assert len(fake.accepted) == 6


def test_ten_codes_a_day_per_number(customer, fake):
    start = datetime(2025, 3, 4, 0, 0, tzinfo=SH)
    for n in range(10):
        with time_machine.travel(start + timedelta(hours=2 * n), tick=False):
            services.code_request(mobile=MOBILE, ip=None)

    with time_machine.travel(start + timedelta(hours=23), tick=False), pytest.raises(TooManyCodes):
        services.code_request(mobile=MOBILE, ip=None)
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        services.code_request(mobile=MOBILE, ip=None)
    assert len(fake.accepted) == 11


def test_twenty_codes_an_hour_per_ip_across_numbers(customer, fake):
    start = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    with time_machine.travel(start, tick=False):
        for n in range(20):
            services.code_request(mobile=f"1370000{n:04d}", ip="198.51.100.9")

        with pytest.raises(TooManyCodes):
            services.code_request(mobile=MOBILE, ip="198.51.100.9")
        services.code_request(mobile=MOBILE, ip="198.51.100.10")

    assert len(fake.accepted) == 1


def test_the_page_answers_a_flood_with_429(customer, fake):
    browser = Client()
    assert _ask(browser).status_code == 302

    again = _ask(browser)

    assert again.status_code == 429
    assert len(fake.accepted) == 1


def test_an_unknown_number_gets_the_same_answer_and_no_sms(customer, fake):
    known, unknown = Client(), Client()

    known_answer = _ask(known)
    unknown_answer = _ask(unknown, mobile=STRANGER)

    assert unknown_answer.status_code == known_answer.status_code == 302
    assert unknown_answer["Location"] == known_answer["Location"]
    page_known = known.get(known_answer["Location"]).content.decode().replace(MOBILE, "N")
    page_unknown = unknown.get(unknown_answer["Location"]).content.decode().replace(STRANGER, "N")
    assert _without_tokens(page_known) == _without_tokens(page_unknown)
    assert [sms.phone_numbers for sms in fake.accepted] == [(MOBILE,)]


def test_an_unknown_number_is_limited_like_a_known_one(customer, fake):
    browser = Client()
    _ask(browser, mobile=STRANGER)

    assert _ask(browser, mobile=STRANGER).status_code == 429


def test_no_code_signs_in_an_unknown_number(customer, fake):
    browser = Client()
    _ask(browser, mobile=STRANGER)

    answers = {browser.post("/m/signin/code/", {"code": f"{n:06d}"}).status_code for n in range(3)}

    assert answers == {400}
    assert COOKIE_NAME not in browser.cookies or not browser.cookies[COOKIE_NAME].value
    assert not PortalSession.objects.exists()


def _without_tokens(html: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
