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


class UnitCodeTaken(Conflict):
    code = "unit_code_taken"
    default_message = _("The code %(code)s is already used by another unit.")


class UnitNameTaken(Conflict):
    code = "unit_name_taken"
    default_message = _("%(parent)s already has a sub-unit named %(name)s.")


class UnitParentInactive(InvalidInput):
    code = "unit_parent_inactive"
    default_message = _("%(name)s is inactive. Choose an active parent unit.")


class UnitInactive(InvalidInput):
    code = "unit_inactive"
    default_message = _("%(name)s is inactive. Choose an active unit.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    default_message = _("The password is too weak.")


class CannotRemoveOwnAdminRole(Conflict):
    code = "cannot_remove_own_admin_role"
    default_message = _("You cannot remove the administrator role from your own account.")
