"""The provider error table: a test per row, written from the providers' documentation, and the
backoff for codes the table does not know."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from kefu.notifications.classification import TABLE, Outcome, backoff, classify, defer_until, next_quota_reset

P, T, D, C = Outcome.PERMANENT, Outcome.TEMPORARY, Outcome.DEFERRED, Outcome.CONFIGURATION

# What each provider's documentation says the code means for a retry, independent of the table.
EXPECTED = {
    ("wechat", "43101"): P, ("wechat", "43004"): P, ("wechat", "40003"): P,
    ("wechat", "45009"): D, ("wechat", "45011"): D, ("wechat", "45047"): D,
    ("wechat", "40001"): T, ("wechat", "42001"): T, ("wechat", "40014"): T, ("wechat", "-1"): T,
    ("wechat", "40037"): C, ("wechat", "47003"): C, ("wechat", "40013"): C, ("wechat", "40125"): C,
    ("wechat", "40164"): C, ("wechat", "48001"): C,
    ("wecom", "81013"): P, ("wecom", "82001"): P, ("wecom", "45009"): D, ("wecom", "45033"): D,
    ("wecom", "42001"): T, ("wecom", "40014"): T, ("wecom", "-1"): T,
    ("wecom", "40013"): C, ("wecom", "40001"): C, ("wecom", "40056"): C, ("wecom", "60020"): C,
    ("sms", "isv.MOBILE_NUMBER_ILLEGAL"): P, ("sms", "isv.BLACK_KEY_CONTROL_LIMIT"): P,
    ("sms", "isv.PARAM_LENGTH_LIMIT"): P, ("sms", "isv.TEMPLATE_MISSING_PARAMETERS"): P,
    ("sms", "isv.INVALID_JSON_PARAM"): P, ("sms", "isv.BUSINESS_LIMIT_CONTROL"): D,
    ("sms", "isv.DAY_LIMIT_CONTROL"): D, ("sms", "Throttling.User"): D, ("sms", "isv.AMOUNT_NOT_ENOUGH"): D,
    ("sms", "isv.OUT_OF_SERVICE"): D, ("sms", "isp.SYSTEM_ERROR"): T, ("sms", "SignatureNonceUsed"): T,
    ("sms", "isv.SMS_TEMPLATE_ILLEGAL"): C, ("sms", "isv.SMS_SIGNATURE_ILLEGAL"): C, ("sms", "isv.SMS_SIGN_ILLEGAL"): C,
    ("sms", "SignatureDoesNotMatch"): C, ("sms", "InvalidAccessKeyId.NotFound"): C,
    ("sms", "isp.RAM_PERMISSION_DENY"): C, ("sms", "isv.DENY_IP_RANGE"): C,
    ("email", "421"): T, ("email", "450"): T, ("email", "451"): T, ("email", "452"): D, ("email", "454"): T,
    ("email", "501"): P, ("email", "521"): P, ("email", "550"): P, ("email", "551"): P, ("email", "552"): P,
    ("email", "553"): P, ("email", "554"): P, ("email", "556"): P,
    ("email", "530"): C, ("email", "534"): C, ("email", "535"): C, ("email", "538"): C,
    ("webhook", "400"): P, ("webhook", "413"): P, ("webhook", "422"): P, ("webhook", "408"): T, ("webhook", "429"): D,
    ("webhook", "401"): C, ("webhook", "403"): C, ("webhook", "404"): C, ("webhook", "410"): C, ("webhook", "405"): C,
    ("webhook", "301"): C, ("webhook", "302"): C, ("webhook", "303"): C, ("webhook", "307"): C, ("webhook", "308"): C,
}  # fmt: skip


@pytest.mark.parametrize(("channel", "code"), sorted(TABLE))
def test_every_row_is_what_the_provider_documents(channel, code):
    rule = classify(channel, code)
    assert rule.outcome == EXPECTED[(channel, code)], (channel, code)
    assert str(rule.meaning)
    if rule.outcome == D:
        assert rule.defer_to == "reset" or int(rule.defer_to) >= 60


def test_every_expected_code_is_in_the_table():
    assert set(EXPECTED) == set(TABLE)


def test_daily_quota_waits_for_midnight_beijing():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 17:00 Beijing
    assert defer_until(classify("wechat", "45009"), now) == next_quota_reset(now)
    assert next_quota_reset(now) == datetime(2026, 11, 23, 16, 1, tzinfo=UTC)  # 00:01 Beijing


def test_rate_limits_wait_their_stated_time():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert defer_until(classify("sms", "isv.BUSINESS_LIMIT_CONTROL"), now) == now + timedelta(hours=1)
    assert defer_until(classify("webhook", "429"), now) == now + timedelta(minutes=1)


def test_unknown_codes_are_retried_with_exponential_backoff_and_jitter():
    assert classify("wechat", "99999").outcome == T
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    rng = random.Random(1)
    waits = [(backoff(n, now, rng=rng) - now).total_seconds() for n in range(1, 10)]
    for n, wait in enumerate(waits, start=1):
        nominal = min(30 * 2 ** (n - 1), 3600)
        assert 0.8 * nominal <= wait <= 1.2 * nominal
    spread = {round((backoff(3, now) - now).total_seconds()) for _ in range(20)}
    assert len(spread) > 1  # jitter: workers that failed together do not retry together
