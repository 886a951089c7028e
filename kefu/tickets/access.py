from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS  # noqa: F401

ACCESS: dict[str, Rule] = {}
