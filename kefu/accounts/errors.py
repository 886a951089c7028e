from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Forbidden, InvalidInput


class AccountLocked(Forbidden):
    code = "account_locked"
    default_message = _("Too many failed sign-in attempts. The account is locked; try again after %(minutes)s minutes.")


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"
    default_message = _("The username or password is not correct.")
