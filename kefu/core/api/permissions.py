from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from kefu.core.access import PUBLIC, roles_allowed, rule_for


class HasRouteAccess(BasePermission):
    """The URL access table, applied after DRF authenticated the session or token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        match = request.resolver_match
        rule = rule_for(match.view_name if match else None)
        if rule is None:
            return False
        if rule == PUBLIC:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            return False
        membership = getattr(user, "active_membership", None)
        return membership is not None and roles_allowed(rule, membership.role_set)
