from kefu.core.access import Rule
from kefu.core.roles import Role

# Executives read the tree and the staff directory; administrators also change them.
READ = frozenset({Role.ADMIN, Role.EXECUTIVE})
MANAGE = frozenset({Role.ADMIN})

ACCESS: dict[str, Rule] = {
    "orgs:unit_list": READ,
    "orgs:unit_detail": READ,
    "orgs:unit_create": MANAGE,
    "orgs:unit_edit": MANAGE,
    "orgs:unit_deactivate": MANAGE,
    "orgs:unit_activate": MANAGE,
    "orgs:staff_list": READ,
    "orgs:staff_detail": READ,
    "orgs:staff_create": MANAGE,
    "orgs:staff_edit": MANAGE,
    "orgs:staff_disable": MANAGE,
    "orgs:staff_enable": MANAGE,
    "orgs:staff_reset_password": MANAGE,
    "api:orgunit_list": READ,
    "api:orgunit_detail": READ,
    "api:staff_list": READ,
    "api:staff_detail": READ,
}
