"""The URL access table: for every named URL pattern, who may open it.

Each app declares its own rows in `<app>/access.py` as `ACCESS = {url_name: rule}`; this module
merges them. A pattern missing from the table is refused (and the access test fails), so a new
page cannot ship open by accident. Object-level scope (another unit's row is a 404) is the job
of kefu.core.scoping; this table only says which roles may use the pattern at all.
"""

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from kefu.core.roles import ALL_ROLES, Role

PUBLIC: Final = "public"
STAFF: Final = ALL_ROLES
Rule = str | frozenset[str]

CORE_ACCESS: dict[str, Rule] = {
    "core:healthz": PUBLIC,
    "set_language": PUBLIC,
    "api-schema": frozenset({Role.ADMIN}),
    "api-docs": frozenset({Role.ADMIN}),
}


def _load() -> dict[str, Rule]:
    from kefu.accounts.access import ACCESS as ACCOUNTS
    from kefu.audit.access import ACCESS as AUDIT
    from kefu.customers.access import ACCESS as CUSTOMERS
    from kefu.engagements.access import ACCESS as ENGAGEMENTS
    from kefu.notifications.access import ACCESS as NOTIFICATIONS
    from kefu.orgs.access import ACCESS as ORGS
    from kefu.portal.access import ACCESS as PORTAL
    from kefu.properties.access import ACCESS as PROPERTIES
    from kefu.standards.access import ACCESS as STANDARDS
    from kefu.surveys.access import ACCESS as SURVEYS
    from kefu.tickets.access import ACCESS as TICKETS
    from kefu.workbench.access import ACCESS as WORKBENCH

    table: dict[str, Rule] = {}
    for part in (
        CORE_ACCESS,
        ACCOUNTS,
        ORGS,
        PROPERTIES,
        CUSTOMERS,
        STANDARDS,
        TICKETS,
        NOTIFICATIONS,
        SURVEYS,
        ENGAGEMENTS,
        PORTAL,
        AUDIT,
        WORKBENCH,
    ):
        overlap = table.keys() & part.keys()
        if overlap:
            raise ValueError(f"URL names declared twice in the access table: {sorted(overlap)}")
        table.update(part)
    return table


_TABLE: dict[str, Rule] | None = None


def access_table() -> Mapping[str, Rule]:
    global _TABLE
    if _TABLE is None:
        _TABLE = _load()
    return _TABLE


def rule_for(view_name: str | None) -> Rule | None:
    if not view_name:
        return None
    return access_table().get(view_name)


def roles_allowed(rule: Rule, role_set: frozenset[str]) -> bool:
    return rule == PUBLIC or bool(role_set & frozenset(rule))


def _is_api_view(view_func: Callable[..., Any]) -> bool:
    from rest_framework.views import APIView

    cls = getattr(view_func, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


class AccessMiddleware:
    """Checks the access table for page views; API views check it in HasRouteAccess, after
    DRF has authenticated the token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        rule = rule_for(match.view_name if match else None)
        if rule == PUBLIC or _is_api_view(view_func):
            return None
        if rule is None:
            raise PermissionDenied("URL pattern missing from the access table")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = getattr(request, "membership", None)
        if membership is None or not roles_allowed(rule, membership.role_set):
            raise PermissionDenied
        return None
