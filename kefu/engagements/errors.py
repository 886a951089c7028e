from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


class CommissionClosed(Conflict):
    code = "commission_closed"
    default_message = _("Commission %(number)s is closed; its nodes can no longer change.")


class NodeOutOfOrder(Conflict):
    code = "node_out_of_order"
    default_message = _("Complete “%(previous)s” first: this commission type runs its nodes in order.")


class NodeNotReached(Conflict):
    code = "node_not_reached"
    default_message = _("The node “%(name)s” is not done yet; the client can evaluate it once it is.")


class NodeAlreadyDone(Conflict):
    code = "node_done"
    default_message = _("The node “%(name)s” is already done.")


class DateBeforeStart(InvalidInput):
    code = "date_before_start"
    default_message = _("The date cannot be before the commission starts (%(starts_on)s).")


class DateInFuture(InvalidInput):
    code = "date_in_future"
    default_message = _("A node cannot be done on a day that has not come yet.")


class TypeInactive(Conflict):
    code = "commission_type_inactive"
    default_message = _("The commission type %(name)s is archived.")


class DuplicateClientKey(Conflict):
    code = "duplicate_client_key"
    default_message = _("This Idempotency-Key already opened another commission; use a new key for a new one.")
