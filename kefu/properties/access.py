from kefu.core.access import Rule
from kefu.core.roles import ALL_ROLES, Role

# Reading the property register: every role but contractors. Writing it: administrators; the
# API's list/detail paths also accept POST/PUT, which the services refuse to non-administrators.
_READERS = ALL_ROLES - {Role.CONTRACTOR}
_MANAGERS = frozenset({Role.ADMIN})

ACCESS: dict[str, Rule] = {
    "api:project_list": _READERS,
    "api:project_detail": _READERS,
    "api:building_list": _READERS,
    "api:building_detail": _READERS,
    "api:unit_list": _READERS,
    "api:unit_detail": _READERS,
    "api:commonpart_list": _READERS,
    "api:commonpart_detail": _READERS,
    # Staff pages: lists and details for readers, create/edit for administrators.
    "properties:project_list": _READERS,
    "properties:project_detail": _READERS,
    "properties:project_create": _MANAGERS,
    "properties:project_edit": _MANAGERS,
    "properties:building_detail": _READERS,
    "properties:building_create": _MANAGERS,
    "properties:building_edit": _MANAGERS,
    "properties:unit_list": _READERS,
    "properties:unit_detail": _READERS,
    "properties:unit_create": _MANAGERS,
    "properties:unit_edit": _MANAGERS,
    "properties:commonpart_list": _READERS,
    "properties:commonpart_create": _MANAGERS,
    "properties:commonpart_edit": _MANAGERS,
    # Excel import of units: administrators only.
    "properties:import": frozenset({Role.ADMIN}),
    "properties:import_template": frozenset({Role.ADMIN}),
    "properties:import_detail": frozenset({Role.ADMIN}),
    "properties:import_errors": frozenset({Role.ADMIN}),
}
