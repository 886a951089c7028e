from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

ACCESS: dict[str, Rule] = {
    "engagements:commission_detail": ACTIONS["engagements.view"],
}
