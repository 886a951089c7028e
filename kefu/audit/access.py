from kefu.core.access import Rule

ACCESS: dict[str, Rule] = {}
