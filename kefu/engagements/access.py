from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

ACCESS: dict[str, Rule] = {
    # Staff pages. Everyone who follows commissions reads them; the team (or a supervisor)
    # changes one, as the services decide (403 for anyone else). POST-only actions answer a GET
    # with 405.
    "engagements:commission_list": ACTIONS["engagements.view"],
    "engagements:commission_create": ACTIONS["engagements.work"],
    "engagements:commission_detail": ACTIONS["engagements.view"],
    "engagements:commission_edit": ACTIONS["engagements.work"],
    "engagements:commission_close": ACTIONS["engagements.work"],
    "engagements:commission_cancel": ACTIONS["engagements.supervise"],
    "engagements:node_start": ACTIONS["engagements.work"],
    "engagements:node_complete": ACTIONS["engagements.work"],
    "engagements:node_skip": ACTIONS["engagements.work"],
    "engagements:node_evaluate": ACTIONS["engagements.work"],
    "engagements:plan_change": ACTIONS["engagements.work"],
    "engagements:deliverable_add": ACTIONS["engagements.work"],
    "engagements:deliverable_download": ACTIONS["engagements.view"],
    "engagements:risk_add": ACTIONS["engagements.work"],
    "engagements:risk_close": ACTIONS["engagements.work"],
    "engagements:task_list": ACTIONS["engagements.view"],
    "engagements:task_complete": ACTIONS["engagements.work"],
    "engagements:type_list": ACTIONS["engagements.view"],
    "engagements:type_create": ACTIONS["engagements.manage_types"],
    "engagements:type_edit": ACTIONS["engagements.manage_types"],
    "engagements:statistics": ACTIONS["engagements.report"],
    "engagements:scorecard": ACTIONS["engagements.report"],
    "engagements:weights_save": ACTIONS["engagements.appraise"],
    # The API: readers list and read; the services refuse writes to roles or people that may not
    # make them (a type created by a manager, a node of someone else's commission).
    "api:commission_type_list": ACTIONS["engagements.view"],
    "api:commission_type_detail": ACTIONS["engagements.view"],
    "api:commission_type_update": ACTIONS["engagements.manage_types"],
    "api:commission_list": ACTIONS["engagements.view"],
    "api:commission_detail": ACTIONS["engagements.view"],
    "api:commission_update": ACTIONS["engagements.work"],
    "api:commission_node_start": ACTIONS["engagements.work"],
    "api:commission_node_complete": ACTIONS["engagements.work"],
    "api:commission_node_skip": ACTIONS["engagements.work"],
    "api:commission_node_evaluate": ACTIONS["engagements.work"],
    "api:commission_plan_change": ACTIONS["engagements.work"],
    "api:commission_risk_create": ACTIONS["engagements.work"],
    "api:commission_risk_close": ACTIONS["engagements.work"],
    "api:commission_deliverable_upload": ACTIONS["engagements.work"],
    "api:commission_task_list": ACTIONS["engagements.view"],
    "api:commission_task_complete": ACTIONS["engagements.work"],
    "api:commission_statistics": ACTIONS["engagements.report"],
    "api:commission_scorecard": ACTIONS["engagements.report"],
    # Reading the weights is for report readers; setting them, for administrators (the service).
    "api:commission_weights": ACTIONS["engagements.report"],
    "api:commission_close": ACTIONS["engagements.work"],
    "api:commission_cancel": ACTIONS["engagements.supervise"],
}
