"""Sign-in with the WeChat Official Account (网页授权, scope snsapi_base: silent, openid only).

The browser goes to open.weixin.qq.com with a random `state` kept in its Django session; WeChat
sends it back to our callback with a one-time `code`, which we exchange server-to-server for the
openid (and the unionid when the account is bound to an open platform). The account's AppID and
AppSecret come from the notifications module's WeChat channel configuration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction

from kefu.core.scoping import subtree_units
from kefu.customers.errors import ContactTaken
from kefu.customers.models import ContactMethod, Customer
from kefu.customers.services import contact_add
from kefu.notifications import configuration
from kefu.notifications.channels.base import ChannelSettings, ConfigurationError, TransportError
from kefu.notifications.channels.wechat import CHANNEL, WechatOfficialAccountAdapter, call, errcode
from kefu.notifications.models import ChannelConfig
from kefu.orgs.models import OrgUnit
from kefu.portal.errors import WechatStateInvalid, WechatUnavailable

logger = logging.getLogger(__name__)

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"


@dataclass(frozen=True)
class WechatIdentity:
    openid: str
    unionid: str


def wechat_config(*, organisation_id: int | None = None) -> ChannelConfig:
    """The WeChat channel configuration to sign in with: the one nearest to `organisation_id`,
    else the enabled configuration highest in the tree (a group usually runs one account)."""
    if organisation_id is not None:
        unit = OrgUnit.objects.filter(pk=organisation_id).first()
        config = configuration.channel_config_for(unit, CHANNEL) if unit is not None else None
    else:
        config = (
            ChannelConfig.objects.select_related("organisation")
            .filter(channel=CHANNEL, is_enabled=True)
            .order_by("organisation__path")
            .first()
        )
    if config is None:
        raise WechatUnavailable
    return config


def wechat_config_by_pk(pk: int) -> ChannelConfig:
    """The configuration a sign-in started with (its id was kept in the session)."""
    config = (
        ChannelConfig.objects.select_related("organisation").filter(pk=pk, channel=CHANNEL, is_enabled=True).first()
    )
    if config is None:
        raise WechatUnavailable
    return config


def _adapter(config: ChannelConfig) -> WechatOfficialAccountAdapter:
    try:
        return WechatOfficialAccountAdapter(
            ChannelSettings(settings=dict(config.settings), secrets=configuration.read_secrets(config))
        )
    except ConfigurationError as exc:
        logger.warning("WeChat sign-in: channel configuration %s is incomplete", config.pk)
        raise WechatUnavailable from exc


def authorize_url(*, config: ChannelConfig, redirect_uri: str, state: str) -> str:
    adapter = _adapter(config)
    query = urlencode(
        {
            "appid": adapter.app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    # WeChat insists on these parameters in this order and on the fragment.
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"


def identity_for_code(*, config: ChannelConfig, code: str) -> WechatIdentity:
    """Exchange the callback's code for the user's openid (GET /sns/oauth2/access_token)."""
    adapter = _adapter(config)
    try:
        answer = call(
            CHANNEL,
            "GET",
            f"{adapter.api_base}/sns/oauth2/access_token",
            params={
                "appid": adapter.app_id,
                "secret": adapter.app_secret,
                "code": code,
                "grant_type": "authorization_code",
            },
            timeout=adapter.timeout,
        )
    except (TransportError, ConfigurationError) as exc:
        logger.warning("WeChat sign-in: code exchange failed: %s", exc)
        raise WechatUnavailable from exc
    code_error = errcode(answer)
    openid = str(answer.get("openid") or "")
    if code_error or not openid:
        # 40029 invalid code, 40163 code already used: a replayed or forged callback.
        logger.warning("WeChat sign-in: code refused with errcode %s", code_error)
        raise WechatStateInvalid
    return WechatIdentity(openid=openid, unionid=str(answer.get("unionid") or ""))


def customer_for_openid(*, config: ChannelConfig, openid: str) -> Customer | None:
    """The ledger customer this openid is bound to, within the account's part of the organisation
    (an openid is per account, so another account's customers never match)."""
    contact = (
        ContactMethod.objects.select_related("customer", "customer__organisation")
        .filter(
            kind=ContactMethod.Kind.WECHAT_OPENID,
            value=openid,
            customer__organisation__in=subtree_units(config.organisation),
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
        )
        .order_by("customer_id")
        .first()
    )
    return contact.customer if contact is not None else None


@transaction.atomic
def identity_bind(*, customer: Customer, identity: WechatIdentity) -> None:
    """Record the openid (and unionid) on the customer who just proved their mobile."""
    pairs = ((ContactMethod.Kind.WECHAT_OPENID, identity.openid), (ContactMethod.Kind.WECHAT_UNIONID, identity.unionid))
    for kind, value in pairs:
        if not value or customer.contacts.filter(kind=kind, value=value).exists():
            continue
        try:
            contact_add(actor=None, customer=customer, kind=kind, value=value)
        except ContactTaken:
            continue
