"""Provider errors, classified in one table.

Every error an adapter can meet is a row here: the channel, the provider's own code, what it
means, and what the outbox does about it. Codes not in the table are retried with exponential
backoff and jitter, then dead-lettered. `tests/test_classification.py` has a test per row.

- permanent: this message cannot go out this way (a refused user, an invalid number); no retry,
  the next channel in the event's fallback order is tried.
- temporary: try again later with backoff; dead-lettered after the attempt budget.
- deferred: the provider asked us to wait (a quota, a rate limit); retried at `defer_to`
  ("reset" = the provider's daily quota reset at midnight Beijing time, else a number of seconds),
  without spending the attempt budget.
- configuration: our side is wrong (a key, a signature, an IP allow list, an unapproved
  template); dead-lettered at once so that an administrator can fix it and retry.

Token errors (WeChat 40001/42001/40014, WeCom 42001/40014) never reach this table when the adapter
refreshed the token and retried once successfully; when the retry fails too, they are temporary.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

BEIJING = ZoneInfo("Asia/Shanghai")


class Outcome(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    DEFERRED = "deferred"
    CONFIGURATION = "configuration"


@dataclass(frozen=True)
class Rule:
    outcome: Outcome
    meaning: object  # a lazy translation: shown on the delivery log
    defer_to: str | int | None = None  # "reset" or seconds, for DEFERRED


P, T, D, C = Outcome.PERMANENT, Outcome.TEMPORARY, Outcome.DEFERRED, Outcome.CONFIGURATION

# (channel, code) -> rule. Channels: email, sms, wechat, wecom, webhook.
TABLE: dict[tuple[str, str], Rule] = {
    # --- WeChat Official Account (template and subscription messages) ---
    ("wechat", "43101"): Rule(P, _("The user refused messages from this account")),
    ("wechat", "43004"): Rule(P, _("The user does not follow the account")),
    ("wechat", "40003"): Rule(P, _("Invalid openid")),
    ("wechat", "45009"): Rule(D, _("Daily API quota reached; retried after the quota resets"), "reset"),
    ("wechat", "45011"): Rule(D, _("API called too often; retried in a minute"), 60),
    ("wechat", "45047"): Rule(D, _("Too many messages to this user; retried in an hour"), 3600),
    ("wechat", "40001"): Rule(T, _("Access token invalid after a refresh")),
    ("wechat", "42001"): Rule(T, _("Access token expired after a refresh")),
    ("wechat", "40014"): Rule(T, _("Access token invalid after a refresh")),
    ("wechat", "-1"): Rule(T, _("WeChat system busy")),
    ("wechat", "40037"): Rule(C, _("Invalid template id")),
    ("wechat", "47003"): Rule(C, _("Template data does not match the template")),
    ("wechat", "40013"): Rule(C, _("Invalid AppID")),
    ("wechat", "40125"): Rule(C, _("Invalid AppSecret")),
    ("wechat", "40164"): Rule(C, _("Server IP not on the account's allow list")),
    ("wechat", "48001"): Rule(C, _("The account has no permission for this API")),
    # --- WeCom (企业微信) application messages ---
    ("wecom", "81013"): Rule(P, _("No valid recipient: the user is not in the company or left")),
    ("wecom", "82001"): Rule(P, _("The recipient is outside the application's visible range")),
    ("wecom", "45009"): Rule(D, _("Daily API quota reached; retried after the quota resets"), "reset"),
    ("wecom", "45033"): Rule(D, _("Too many calls at once; retried in a minute"), 60),
    ("wecom", "42001"): Rule(T, _("Access token expired after a refresh")),
    ("wecom", "40014"): Rule(T, _("Access token invalid after a refresh")),
    ("wecom", "-1"): Rule(T, _("WeCom system busy")),
    ("wecom", "40013"): Rule(C, _("Invalid CorpID")),
    ("wecom", "40001"): Rule(C, _("Invalid application secret")),
    ("wecom", "40056"): Rule(C, _("Invalid AgentID")),
    ("wecom", "60020"): Rule(C, _("Server IP not on the application's allow list")),
    # --- SMS: Aliyun SMS (dysmsapi SendSms) ---
    ("sms", "isv.MOBILE_NUMBER_ILLEGAL"): Rule(P, _("Invalid mobile number")),
    ("sms", "isv.BLACK_KEY_CONTROL_LIMIT"): Rule(P, _("The text contains blocked words")),
    ("sms", "isv.PARAM_LENGTH_LIMIT"): Rule(P, _("A template parameter is too long")),
    ("sms", "isv.TEMPLATE_MISSING_PARAMETERS"): Rule(P, _("A template parameter is missing")),
    ("sms", "isv.INVALID_JSON_PARAM"): Rule(P, _("Template parameters are not valid JSON")),
    ("sms", "isv.BUSINESS_LIMIT_CONTROL"): Rule(
        D, _("The provider's per-number rate limit (1 a minute, 5 an hour); retried in an hour"), 3600
    ),
    ("sms", "isv.DAY_LIMIT_CONTROL"): Rule(
        D, _("The provider's daily limit reached; retried after the reset"), "reset"
    ),
    ("sms", "Throttling.User"): Rule(D, _("Too many requests; retried in a minute"), 60),
    ("sms", "isv.AMOUNT_NOT_ENOUGH"): Rule(D, _("The SMS account's balance is too low; retried in an hour"), 3600),
    ("sms", "isv.OUT_OF_SERVICE"): Rule(D, _("The SMS account is suspended; retried in an hour"), 3600),
    ("sms", "isp.SYSTEM_ERROR"): Rule(T, _("Provider system error")),
    ("sms", "SignatureNonceUsed"): Rule(T, _("Request nonce reused; retried with a new one")),
    ("sms", "isv.SMS_TEMPLATE_ILLEGAL"): Rule(C, _("The SMS template is not approved or does not exist")),
    ("sms", "isv.SMS_SIGNATURE_ILLEGAL"): Rule(C, _("The SMS sign name is not approved")),
    ("sms", "isv.SMS_SIGN_ILLEGAL"): Rule(C, _("The SMS sign name is not approved")),
    ("sms", "SignatureDoesNotMatch"): Rule(C, _("Request signature rejected: check the AccessKey secret")),
    ("sms", "InvalidAccessKeyId.NotFound"): Rule(C, _("Unknown AccessKey ID")),
    ("sms", "isp.RAM_PERMISSION_DENY"): Rule(C, _("The AccessKey has no permission to send SMS")),
    ("sms", "isv.DENY_IP_RANGE"): Rule(C, _("Server IP not allowed for this AccessKey")),
    # --- Email over SMTP: reply codes ---
    ("email", "421"): Rule(T, _("Mail server not available; retried")),
    ("email", "450"): Rule(T, _("Mailbox temporarily unavailable")),
    ("email", "451"): Rule(T, _("Mail server local error")),
    ("email", "452"): Rule(D, _("Mail server storage full; retried in an hour"), 3600),
    ("email", "550"): Rule(P, _("Mailbox does not exist or refused the message")),
    ("email", "551"): Rule(P, _("User not local")),
    ("email", "552"): Rule(P, _("Message too large for the mailbox")),
    ("email", "553"): Rule(P, _("Mailbox name not allowed")),
    ("email", "554"): Rule(P, _("Message refused by the mail server")),
    ("email", "530"): Rule(C, _("The mail server requires authentication")),
    ("email", "535"): Rule(C, _("Mail server login failed: check user name and password")),
    # RFC 7504 (521, 556), RFC 4954 (454, 534, 538), RFC 5321 (501).
    ("email", "454"): Rule(T, _("Mail server could not log in or start TLS for now")),
    ("email", "501"): Rule(P, _("The mail server rejected the address syntax")),
    ("email", "521"): Rule(P, _("The recipient's mail server does not accept mail")),
    ("email", "556"): Rule(P, _("The recipient's domain does not accept mail")),
    ("email", "534"): Rule(C, _("The mail server requires a stronger login method")),
    ("email", "538"): Rule(C, _("The mail server requires encryption to log in: check the connection security")),
    # --- Webhook: HTTP status of the receiver ---
    ("webhook", "400"): Rule(P, _("The receiver rejected the payload")),
    ("webhook", "404"): Rule(C, _("The webhook URL does not exist")),
    ("webhook", "401"): Rule(C, _("The receiver rejected the signature")),
    ("webhook", "403"): Rule(C, _("The receiver refused the request")),
    ("webhook", "408"): Rule(T, _("The receiver timed out")),
    ("webhook", "410"): Rule(C, _("The webhook URL is gone")),
    ("webhook", "413"): Rule(P, _("The payload is too large for the receiver")),
    ("webhook", "422"): Rule(P, _("The receiver could not process the payload")),
    ("webhook", "429"): Rule(D, _("The receiver asked us to slow down; retried in a minute"), 60),
    # Redirects are not followed: a redirected POST is a URL to update, not something to retry.
    ("webhook", "301"): Rule(C, _("The webhook URL redirects to another address: update it")),
    ("webhook", "302"): Rule(C, _("The webhook URL redirects to another address: update it")),
    ("webhook", "303"): Rule(C, _("The webhook URL redirects to another address: update it")),
    ("webhook", "307"): Rule(C, _("The webhook URL redirects to another address: update it")),
    ("webhook", "308"): Rule(C, _("The webhook URL redirects to another address: update it")),
    ("webhook", "405"): Rule(C, _("The webhook URL does not accept POST requests")),
}

UNKNOWN = Rule(T, _("Unknown provider error; retried with backoff"))

# Backoff for temporary errors: 30 s, 1 min, 2 min, … capped at 1 hour, ±20 % jitter.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


def classify(channel: str, code: str) -> Rule:
    return TABLE.get((channel, str(code)), UNKNOWN)


def next_quota_reset(now: datetime) -> datetime:
    """Midnight Beijing time after `now`, plus a minute for the provider's clock."""
    local = now.astimezone(BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=1, second=0, microsecond=0)
    return midnight


def defer_until(rule: Rule, now: datetime) -> datetime:
    if rule.defer_to == "reset":
        return next_quota_reset(now)
    return now + timedelta(seconds=int(rule.defer_to or 60))


def backoff(attempt: int, now: datetime, *, rng: random.Random | None = None) -> datetime:
    """When to try again after the `attempt`-th temporary failure (1-based)."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    jitter = (rng or random).uniform(-0.2, 0.2) * seconds
    return now + timedelta(seconds=seconds + jitter)
