from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


class UnitMoveIntoOwnSubtree(InvalidInput):
    code = "unit_move_into_subtree"
    default_message = _("A unit cannot be moved under itself or one of its own sub-units.")


class UnitHasActiveChildren(Conflict):
    code = "unit_has_children"
    default_message = _("Deactivate or move the sub-units of %(name)s first.")


class UnitHasStaff(Conflict):
    code = "unit_has_staff"
    default_message = _("%(name)s still has %(count)s active staff members.")


class UsernameTaken(Conflict):
    code = "username_taken"
    default_message = _("The username %(username)s is already in use.")


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"
    default_message = _("You cannot disable your own account.")


class NoRoles(InvalidInput):
    code = "no_roles"
    default_message = _("Choose at least one role.")
