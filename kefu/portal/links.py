"""Signed links into the portal: the interface the other modules call.

`make_link` returns an absolute URL (settings.KEFU_BASE_URL + "/m/l/<token>/") carrying a token
that is scoped to one customer, one action ("home", "survey", "request") and one object, expires
after `ttl`, and on first use is exchanged for a session cookie and redirected to a URL without
the token. Only the token's hash is stored. Call it inside the transaction that sends the message:
the link's row commits or rolls back with it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from kefu.portal.services import link_create


def make_link(*, customer_id: int, action: str, object_id: int, ttl: timedelta, single_use: bool = False) -> str:
    token = link_create(customer_id=customer_id, action=action, object_id=object_id, ttl=ttl, single_use=single_use)
    return settings.KEFU_BASE_URL + reverse("portal:link", kwargs={"token": token})
