"""WeCom (企业微信) application messages, for staff.

A self-built application's corp ID and secret buy an access token (GET /cgi-bin/gettoken), cached
for every worker in `tokens`; the message goes out with POST /cgi-bin/message/send as a text card
when it links somewhere and as plain text otherwise. Like WeChat, WeCom answers HTTP 200 with
`errcode` for everything it understood.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, ClassVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.notifications.channels import tokens
from kefu.notifications.channels.base import (
    ChannelSettings,
    ConfigurationError,
    Outgoing,
    ProviderError,
    Sent,
    SettingField,
)
from kefu.notifications.channels.wechat import (
    DEFAULT_TIMEOUT_SECONDS,
    call,
    errcode,
    missing_settings,
    read_api_base,
    read_timeout,
)

logger = logging.getLogger(__name__)

CHANNEL = "wecom"
DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
# 42001 expired, 40014 invalid. (WeCom's 40001 means a bad secret, not a stale token.)
TOKEN_ERRORS = frozenset({42001, 40014})
# WeCom's code for "every recipient is invalid or outside the application's visible range".
NO_VALID_RECIPIENT = "81013"
# WeCom's duplicate check compares the whole request body within this many seconds, not our
# idempotency key: a retry of the same message inside the window is dropped, but so would be a
# second, genuinely new message with the same text to the same person. Half an hour is WeCom's
# default and long enough to cover the outbox's early retries.
DUPLICATE_CHECK_SECONDS = 1800


class WecomAdapter:
    channel: ClassVar[str] = CHANNEL
    fields: ClassVar[tuple[SettingField, ...]] = (
        SettingField(
            "api_base",
            _("API base URL"),
            required=False,
            default=DEFAULT_API_BASE,
            kind="url",
            help_text=_("Leave the default unless your network reaches WeCom through a proxy."),
        ),
        SettingField("corp_id", _("Corp ID"), help_text=_("From the WeCom admin console (我的企业 › 企业信息).")),
        SettingField(
            "corp_secret",
            _("Application secret"),
            secret=True,
            help_text=_("The Secret of the self-built application that sends the messages."),
        ),
        SettingField("agent_id", _("AgentId"), kind="int", help_text=_("The application's AgentId.")),
        SettingField("timeout", _("Timeout (seconds)"), required=False, default=DEFAULT_TIMEOUT_SECONDS, kind="int"),
    )

    def __init__(self, config: ChannelSettings) -> None:
        channel_name = gettext("WeCom")
        missing_settings(config, ("corp_id", "corp_secret", "agent_id"), channel_name)
        self.api_base = read_api_base(config, DEFAULT_API_BASE)
        self.corp_id = str(config.get("corp_id") or config.secret("corp_id"))
        self.corp_secret = config.secret("corp_secret")
        try:
            self.agent_id = int(config.get("agent_id"))
        except (TypeError, ValueError) as error:
            raise ConfigurationError(gettext("The WeCom AgentId must be a number.")) from error
        self.timeout = read_timeout(config, channel_name)
        # Each application of a company has its own secret and its own token.
        secret_digest = hashlib.sha256(self.corp_secret.encode()).hexdigest()
        self.token_key = tokens.token_key(CHANNEL, self.api_base, self.corp_id, str(self.agent_id), secret_digest)

    def fetch_token(self) -> tuple[str, int]:
        answer = call(
            CHANNEL,
            "GET",
            f"{self.api_base}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.corp_secret},
            timeout=self.timeout,
        )
        code = errcode(answer)
        if code != 0 or not answer.get("access_token"):
            # 40013 bad corp ID, 40001 bad secret, 60020 our IP is not on the allow list.
            logger.warning("WeCom refused an access token for %s/%s: %s", self.corp_id, self.agent_id, code)
            raise ProviderError(CHANNEL, str(code), str(answer.get("errmsg", "")))
        return str(answer["access_token"]), int(answer.get("expires_in") or 7200)

    def payload(self, message: Outgoing) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "touser": message.address,
            "agentid": self.agent_id,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
        }
        if message.url:
            payload["msgtype"] = "textcard"
            payload["textcard"] = {
                "title": message.subject,
                "description": message.body,
                "url": message.url,
                "btntxt": gettext("Details"),
            }
        else:
            payload["msgtype"] = "text"
            content = f"{message.subject}\n{message.body}" if message.subject else message.body
            payload["text"] = {"content": content}
        return payload

    def send(self, message: Outgoing) -> Sent:
        payload = self.payload(message)
        token = tokens.get(self.token_key, self.fetch_token)
        answer = self._post(token, payload)
        code = errcode(answer)
        if code in TOKEN_ERRORS:
            logger.info("WeCom refused access token %s (%s); refreshing", self.token_key, code)
            token = tokens.get(self.token_key, self.fetch_token, stale=token)
            answer = self._post(token, payload)
            code = errcode(answer)
        if code != 0:
            raise ProviderError(CHANNEL, str(code), str(answer.get("errmsg", "")))
        # With one recipient, a listed invalid user means nobody got it, whatever errcode said.
        if answer.get("invaliduser"):
            raise ProviderError(CHANNEL, NO_VALID_RECIPIENT, f"invalid user: {answer['invaliduser']}")
        return Sent(provider_message_id=str(answer.get("msgid", "")))

    def _post(self, token: str, payload: dict[str, Any]) -> dict[str, Any]:
        return call(
            CHANNEL,
            "POST",
            f"{self.api_base}/cgi-bin/message/send",
            params={"access_token": token},
            json=payload,
            timeout=self.timeout,
        )
