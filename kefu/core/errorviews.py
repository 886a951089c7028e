"""Error pages in the staff layout for people, JSON for the API."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"code": "forbidden", "message": _("You do not have permission to do this."), "fields": {}}, status=403
        )
    return TemplateResponse(request, "errors/403.html", status=403).render()


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "message": _("Not found."), "fields": {}}, status=404)
    return TemplateResponse(request, "errors/404.html", status=404).render()


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "message": _("Something went wrong on our side."), "fields": {}}, status=500
        )
    # The 500 page renders without context processors: the database may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
