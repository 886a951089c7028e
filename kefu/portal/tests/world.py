"""Sample objects of the portal for the cross-cutting tests (the access table walk and schemathesis)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications import configuration
from kefu.notifications.models import ChannelConfig
from kefu.orgs.models import OrgUnit
from kefu.portal.services import link_create


def access_objects(city: OrgUnit, **context: Any) -> dict[str, Any]:
    """URL kwarg → value for the portal's URLs. The link is reusable and long-lived, because the
    walk opens it once per role. A WeChat account is configured so that /m/wechat/start/ has
    somewhere to send the browser (it is never called: the start only builds a URL)."""
    customer = CustomerFactory(organisation=city, name="门户客户", mobile="13800000077")
    if not ChannelConfig.objects.filter(organisation=city, channel="wechat").exists():
        config = ChannelConfig(
            organisation=city,
            channel="wechat",
            settings={"app_id": "wx-world-portal"},
            callback_key=secrets.token_urlsafe(16),
        )
        configuration.write_secrets(config, {"app_secret": "world-secret"})
        config.save()
    return {
        "token": link_create(customer_id=customer.pk, action="home", object_id=None, ttl=timedelta(days=1)),
        # The survey page sends a visitor without a session to sign in before it looks anything up.
        "invitation_id": 1,
        # The commission pages likewise (their commission_id comes from the engagements world).
        "deliverable_id": 1,
    }


def api_seed(city: OrgUnit, **context: Any) -> None:
    """The portal has no API of its own."""
