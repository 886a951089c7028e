from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

# The pages follow the action table, so a page and its service never disagree. Readers also see
# the standards of the units above theirs; changing them is for that unit's administrators.
_READERS = ACTIONS["standards.view"]
_MANAGERS = ACTIONS["standards.manage"]

ACCESS: dict[str, Rule] = {
    "standards:calendar_list": _READERS,
    "standards:calendar_detail": _READERS,
    "standards:calendar_try": _READERS,
    "standards:calendar_create": _MANAGERS,
    "standards:calendar_edit": _MANAGERS,
    "standards:calendar_hours": _MANAGERS,
    "standards:calendar_load_year": _MANAGERS,
    "standards:calendar_day_set": _MANAGERS,
    "standards:calendar_day_clear": _MANAGERS,
    "standards:category_list": _READERS,
    "standards:category_create": _MANAGERS,
    "standards:category_edit": _MANAGERS,
    "standards:policy_list": _READERS,
    "standards:policy_detail": _READERS,
    "standards:policy_match": _READERS,
    "standards:policy_create": _MANAGERS,
    "standards:policy_edit": _MANAGERS,
    # The API: readers list, read and calculate; the services refuse writes to roles that may not make them.
    "api:calendar_list": _READERS,
    "api:calendar_detail": _READERS,
    "api:calendar_days": _READERS,
    "api:calendar_day_clear": _MANAGERS,
    "api:calendar_load_year": _MANAGERS,
    "api:calendar_due_at": _READERS,
    "api:category_list": _READERS,
    "api:policy_list": _READERS,
    "api:policy_detail": _READERS,
    "api:policy_match": _READERS,
}
