"""Action permissions: which roles may do what. Services call `ensure_can` before they write.

The URL access table (kefu.core.access) decides who may open a page; this table decides who
may perform an action, whichever adapter (page, API, task) asks for it.
"""

from typing import Any, Protocol

from kefu.core.errors import Forbidden
from kefu.core.roles import ALL_ROLES, Role

ACTIONS: dict[str, frozenset[str]] = {
    "orgs.manage_units": frozenset({Role.ADMIN}),
    "orgs.manage_staff": frozenset({Role.ADMIN}),
    "properties.manage": frozenset({Role.ADMIN}),
    "properties.import": frozenset({Role.ADMIN}),
    "properties.view": ALL_ROLES - {Role.CONTRACTOR},
    "customers.view": ALL_ROLES - {Role.CONTRACTOR},
    "customers.manage": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "customers.import": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "customers.export": frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN}),
    "customers.reveal": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "customers.merge": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "customers.erase": frozenset({Role.ADMIN}),
    "customers.manage_grades": frozenset({Role.ADMIN}),
    "customers.manage_tags": frozenset({Role.ADMIN}),
    "standards.view": ALL_ROLES - {Role.CONTRACTOR},
    "standards.manage": frozenset({Role.ADMIN}),
    "tickets.view": ALL_ROLES - {Role.CONTRACTOR},
    "tickets.create": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.handle": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.receive": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ENGAGEMENT_MANAGER, Role.INSPECTOR}),
    "tickets.reopen": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.merge": frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.import": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "tickets.report": frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN}),
    "tickets.supervise": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "tickets.manage_settings": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    "accounts.view_security_log": frozenset({Role.ADMIN}),
    "accounts.manage_policy": frozenset({Role.ADMIN}),
    "notifications.view_log": frozenset({Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN}),
    "notifications.manage": frozenset({Role.ADMIN}),
    "surveys.view": ALL_ROLES - {Role.CONTRACTOR},
    "surveys.manage": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "surveys.intervene": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "engagements.view": frozenset({Role.ENGAGEMENT_MANAGER, Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN}),
    # Create commissions and run their nodes (a manager or member of the commission, or a
    # supervisor/administrator of its unit, as the services decide).
    "engagements.work": frozenset({Role.ENGAGEMENT_MANAGER, Role.SUPERVISOR, Role.ADMIN}),
    "engagements.supervise": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "engagements.manage_types": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "engagements.report": frozenset({Role.ENGAGEMENT_MANAGER, Role.SUPERVISOR, Role.EXECUTIVE, Role.ADMIN}),
    # The scorecard's weights for appraisal.
    "engagements.appraise": frozenset({Role.ADMIN}),
}


class Actor(Protocol):
    @property
    def role_set(self) -> frozenset[str]: ...

    @property
    def unit(self) -> Any: ...


def can(actor: Actor | None, action: str) -> bool:
    if actor is None:
        return False
    try:
        allowed = ACTIONS[action]
    except KeyError as exc:
        raise KeyError(f"unknown action {action!r}: add it to kefu.core.permissions.ACTIONS") from exc
    return bool(actor.role_set & allowed)


def in_scope(actor: Actor, unit: Any) -> bool:
    """Is `unit` the actor's unit or below it?"""
    return bool(unit.path.startswith(actor.unit.path))


def ensure_can(actor: Actor | None, action: str, unit: Any | None = None) -> None:
    """Raise Forbidden unless the actor's roles allow `action` (on something owned by `unit`)."""
    if not can(actor, action) or (unit is not None and actor is not None and not in_scope(actor, unit)):
        raise Forbidden()
