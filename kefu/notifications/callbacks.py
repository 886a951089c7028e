"""Providers' delivery reports: Aliyun SMS's HTTP push (SmsReport) and WeChat's
TEMPLATESENDJOBFINISH event. Public URLs, so each carries the configuration's random callback key
(Aliyun's push has no signature), and WeChat's pushes are checked against its signature too."""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kefu.notifications import configuration
from kefu.notifications.channels import sms, wechat
from kefu.notifications.models import ChannelConfig
from kefu.notifications.services import report_delivery

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, channel: str, key: str) -> HttpResponse:
    config = get_object_or_404(ChannelConfig.objects.select_related("organisation"), callback_key=key, channel=channel)
    if len(request.body) > MAX_BODY:
        return HttpResponseBadRequest("too large")
    if channel == "sms":
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            items = sms.parse_status_report(request.body)
        except ValueError as exc:
            return JsonResponse({"code": 1, "msg": str(exc)}, status=400)
        report_delivery(config=config, reports=items)
        return JsonResponse(sms.REPORT_ACK)
    if channel == "wechat":
        token = configuration.read_secrets(config).get("callback_token", "")
        params = request.GET
        if not token or not wechat.verify_signature(
            token, params.get("timestamp", ""), params.get("nonce", ""), params.get("signature", "")
        ):
            return HttpResponseForbidden("bad signature")
        if request.method == "GET":
            # WeChat's server check when the URL is saved in its console: echo back echostr.
            return HttpResponse(params.get("echostr", ""), content_type="text/plain")
        try:
            item = wechat.parse_event(request.body)
        except ValueError:
            return HttpResponseBadRequest("malformed")
        if item is not None:
            report_delivery(config=config, reports=[item])
        return HttpResponse("success", content_type="text/plain")
    return HttpResponseBadRequest("no reports on this channel")
