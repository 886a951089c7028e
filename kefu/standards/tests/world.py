"""Sample objects of this app for the cross-cutting tests (the access table walk and schemathesis)."""

from typing import Any

from kefu.orgs.models import OrgUnit


def access_objects(city: OrgUnit, **context: Any) -> dict[str, int]:
    """URL kwarg → id of an object owned by `city`, for every kwarg this app's URLs take."""
    return {}


def api_seed(city: OrgUnit, **context: Any) -> None:
    """Objects that make this app's API answer with real rows under schemathesis."""
