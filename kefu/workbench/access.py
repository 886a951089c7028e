from kefu.core.access import STAFF, Rule

ACCESS: dict[str, Rule] = {
    "workbench:home": STAFF,
}
