from typing import Any

from django.http import HttpRequest

from kefu.core.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """The staff shell: navigation for the viewer's roles."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"navigation": []}
    return {"navigation": navigation_for(role_set=membership.role_set, current_path=request.path)}
