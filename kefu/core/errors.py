"""Domain errors. Services raise these; the API handler and htmx views render them."""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class KefuError(Exception):
    status = 400
    code = "invalid"
    default_message: str | Promise = _("The request is not valid.")

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        self.message = str(message if message is not None else self.default_message % params)
        super().__init__(self.message)


class InvalidInput(KefuError):
    status, code = 400, "invalid"


class Forbidden(KefuError):
    status, code = 403, "forbidden"
    default_message = _("You do not have permission to do this.")


class NotFound(KefuError):
    status, code = 404, "not_found"
    default_message = _("Not found.")


class Conflict(KefuError):
    status, code = 409, "conflict"
    default_message = _("This conflicts with the current state.")
