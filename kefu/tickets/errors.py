from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


class TicketClosed(Conflict):
    code = "ticket_closed"
    default_message = _("Ticket %(number)s is closed; reopen it first.")


class TicketWrongState(Conflict):
    code = "ticket_wrong_state"
    default_message = _("Ticket %(number)s is %(status)s; this cannot be done now.")


class AssigneeOutOfScope(InvalidInput):
    code = "assignee_out_of_scope"
    default_message = _("%(name)s does not work in a unit that can see this ticket.")


class AssigneeCannotHandle(InvalidInput):
    code = "assignee_cannot_handle"
    default_message = _("%(name)s has no role that handles customer voices.")


class InvalidAttachment(InvalidInput):
    code = "invalid_attachment"


class DuplicateClientKey(Conflict):
    code = "duplicate_client_key"
    default_message = _("A ticket with this key was already logged.")
