from kefu.core.access import PUBLIC, STAFF, Rule
from kefu.core.roles import Role

ACCESS: dict[str, Rule] = {
    "accounts:login": PUBLIC,
    "accounts:logout": PUBLIC,
    "accounts:password_change": STAFF,
    "accounts:security_events": frozenset({Role.ADMIN}),
    "accounts:security_policy": frozenset({Role.ADMIN}),
    "api:token": PUBLIC,
    "api:me": STAFF,
}
