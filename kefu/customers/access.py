from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

# The ledger pages follow the action table, so a page and its service never disagree.
_READERS = ACTIONS["customers.view"]
_MANAGERS = ACTIONS["customers.manage"]

ACCESS: dict[str, Rule] = {
    # The ledger pages: every role but contractors reads; agents, supervisors and admins change.
    "customers:customer_list": _READERS,
    "customers:customer_detail": _READERS,
    "customers:customer_create": _MANAGERS,
    "customers:customer_edit": _MANAGERS,
    "customers:household_add": _MANAGERS,
    "customers:household_edit": _MANAGERS,
    "customers:contact_add": _MANAGERS,
    "customers:contact_remove": _MANAGERS,
    "customers:contactperson_add": _MANAGERS,
    "customers:contactperson_remove": _MANAGERS,
    "customers:consent_add": _MANAGERS,
    "customers:consent_withdraw": _MANAGERS,
    "customers:id_number_set": _MANAGERS,
    "customers:grade_override": _MANAGERS,
    "customers:scores_set": _MANAGERS,
    # Personal-data rights: full values for revealing roles, a copy for exporting roles, erasure for admins.
    "customers:reveal_id": ACTIONS["customers.reveal"],
    "customers:reveal_contact": ACTIONS["customers.reveal"],
    "customers:privacy_export": ACTIONS["customers.export"],
    "customers:privacy_erase": ACTIONS["customers.erase"],
    # The API: readers list and read; the services refuse writes to roles that may not make them.
    "api:customer_list": _READERS,
    "api:customer_detail": _READERS,
    "api:customer_households": _READERS,
    "api:customer_contacts": _READERS,
    "api:customer_consents": _READERS,
    "api:consent_withdraw": _MANAGERS,
    "api:customer_timeline": _READERS,
    "api:customer_merge": ACTIONS["customers.merge"],
    "api:duplicate_list": ACTIONS["customers.merge"],
    "api:customer_grade": _MANAGERS,
    "api:customer_scores": _MANAGERS,
    "api:customer_tags": _MANAGERS,
    # Readers see the rules and tags (and a customer's tag); the services refuse the writes.
    "api:customer_tag_detail": _READERS,
    "api:graderule_list": _READERS,
    "api:tag_list": _READERS,
    # Duplicates and merge: supervisors and administrators.
    "customers:duplicate_list": ACTIONS["customers.merge"],
    "customers:merge_compare": ACTIONS["customers.merge"],
    "customers:merge": ACTIONS["customers.merge"],
    # Grade rules and tags are administrators' data; tagging a customer is everyday work.
    "customers:graderule_list": ACTIONS["customers.manage_grades"],
    "customers:graderule_create": ACTIONS["customers.manage_grades"],
    "customers:graderule_edit": ACTIONS["customers.manage_grades"],
    "customers:graderule_delete": ACTIONS["customers.manage_grades"],
    "customers:graderule_apply": ACTIONS["customers.manage_grades"],
    "customers:tag_list": ACTIONS["customers.manage_tags"],
    "customers:tag_create": ACTIONS["customers.manage_tags"],
    "customers:tag_rename": ACTIONS["customers.manage_tags"],
    "customers:tag_delete": ACTIONS["customers.manage_tags"],
    "customers:customer_tag_add": _MANAGERS,
    "customers:customer_tag_remove": _MANAGERS,
    # The ledger in Excel: import for supervisors and administrators, export also for executives.
    "customers:import": ACTIONS["customers.import"],
    "customers:import_template": ACTIONS["customers.import"],
    "customers:import_preview": ACTIONS["customers.import"],
    "customers:import_commit": ACTIONS["customers.import"],
    "customers:import_cancel": ACTIONS["customers.import"],
    "customers:import_detail": ACTIONS["customers.import"],
    "customers:import_errors": ACTIONS["customers.import"],
    "customers:export": ACTIONS["customers.export"],
}
