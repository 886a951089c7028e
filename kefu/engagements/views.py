"""Staff pages of client commissions (being built)."""

from django.http import HttpRequest, HttpResponse


def commission_detail(request: HttpRequest, commission_id: int) -> HttpResponse:
    raise NotImplementedError
