from kefu.core.access import Rule
from kefu.core.permissions import ACTIONS

ACCESS: dict[str, Rule] = {
    # Interventions: everyone who reads survey results sees them (scoped to their unit); recording
    # contact, adjustments and the outcome is for the assignee or a supervisor/administrator, as
    # the services decide (403 for anyone else).
    "surveys:intervention_list": ACTIONS["surveys.view"],
    "surveys:intervention_detail": ACTIONS["surveys.view"],
    "surveys:intervention_contact": ACTIONS["surveys.view"],
    "surveys:intervention_adjust": ACTIONS["surveys.view"],
    "surveys:intervention_close": ACTIONS["surveys.view"],
    # Response rates and the 3-PRO results.
    "surveys:results": ACTIONS["surveys.view"],
    "surveys:rates": ACTIONS["surveys.view"],
    # Templates: everyone reads them; supervisors and administrators change them.
    "surveys:template_list": ACTIONS["surveys.view"],
    "surveys:template_detail": ACTIONS["surveys.view"],
    "surveys:template_create": ACTIONS["surveys.manage"],
    "surveys:template_builtin_add": ACTIONS["surveys.manage"],
    "surveys:template_edit": ACTIONS["surveys.manage"],
    "surveys:template_archive": ACTIONS["surveys.manage"],
    # Triggers and the fatigue limits: supervisors and administrators.
    "surveys:trigger_list": ACTIONS["surveys.manage"],
    "surveys:trigger_create": ACTIONS["surveys.manage"],
    "surveys:trigger_edit": ACTIONS["surveys.manage"],
    "surveys:fatigue_save": ACTIONS["surveys.manage"],
}
