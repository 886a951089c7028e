from kefu.core.access import PUBLIC, STAFF, Rule
from kefu.core.permissions import ACTIONS

ACCESS: dict[str, Rule] = {
    # Providers' delivery reports: no login; the configuration's random key is in the URL.
    "notifications:callback": PUBLIC,
    # The delivery log: supervisors, executives and administrators read it; retrying and
    # cancelling follow the action table.
    "notifications:message_list": ACTIONS["notifications.view_log"],
    "notifications:message_detail": ACTIONS["notifications.view_log"],
    "notifications:message_retry": ACTIONS["notifications.manage"],
    "notifications:message_retry_many": ACTIONS["notifications.manage"],
    "notifications:message_cancel": ACTIONS["notifications.manage"],
    # The bell and the inbox: every staff member, their own messages only.
    "notifications:inbox": STAFF,
    "notifications:bell": STAFF,
    "notifications:inbox_read": STAFF,
    "notifications:inbox_read_all": STAFF,
    "notifications:inbox_open": STAFF,
    # Channel settings, templates, the delivery policy and event routes: administrators.
    "notifications:channel_list": ACTIONS["notifications.manage"],
    "notifications:channel_edit": ACTIONS["notifications.manage"],
    "notifications:channel_delete": ACTIONS["notifications.manage"],
    "notifications:channel_test": ACTIONS["notifications.manage"],
    "notifications:template_list": ACTIONS["notifications.manage"],
    "notifications:template_edit": ACTIONS["notifications.manage"],
    "notifications:template_preview": ACTIONS["notifications.manage"],
    "notifications:template_delete": ACTIONS["notifications.manage"],
    "notifications:policy": ACTIONS["notifications.manage"],
    "notifications:policy_save": ACTIONS["notifications.manage"],
    "notifications:route_save": ACTIONS["notifications.manage"],
}
