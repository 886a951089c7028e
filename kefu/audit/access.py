from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

ACCESS: dict[str, Rule] = {
    # The audit log follows the action table: administrators read it and check its chain.
    "audit:entry_list": ACTIONS["audit.view"],
    "audit:verify": ACTIONS["audit.view"],
    "api:auditentry_list": ACTIONS["audit.view"],
}
