"""Every portal page is public in the staff access table: customers are not staff users.
`kefu.portal.auth.portal_login_required` is what checks the customer's session."""

from kefu.core.access import PUBLIC, Rule

ACCESS: dict[str, Rule] = {
    "portal:home": PUBLIC,
    "portal:signin": PUBLIC,
    "portal:signin_code": PUBLIC,
    "portal:signout": PUBLIC,
    "portal:link": PUBLIC,
    "portal:wechat_start": PUBLIC,
    "portal:wechat_callback": PUBLIC,
    "portal:request_list": PUBLIC,
    "portal:request_new": PUBLIC,
    "portal:request_detail": PUBLIC,
    "portal:request_feedback": PUBLIC,
    "portal:survey": PUBLIC,
    "portal:commission_list": PUBLIC,
    "portal:commission_detail": PUBLIC,
    "portal:commission_file": PUBLIC,
}
