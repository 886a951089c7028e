"""Staff pages of notifications: the bell and the inbox (every staff member, their own rows only)
and the delivery log (supervisors, executives, administrators). The settings pages live in
kefu.notifications.settings_views. Selectors read, kefu.notifications.settings_services writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from kefu.core.errors import Forbidden, KefuError
from kefu.core.pages import int_param, valid_filters
from kefu.core.permissions import can
from kefu.notifications import classification, selectors, settings_services
from kefu.notifications.forms import MessageFilterForm
from kefu.notifications.models import DeliveryAttempt, OutboxMessage, Status
from kefu.orgs.models import Membership

PAGE_SIZE = 50
INBOX_PAGE_SIZE = 30
MANAGE = settings_services.MANAGE


class PageRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# The delivery log


def _log_filters(form: MessageFilterForm) -> dict[str, Any]:
    filters = valid_filters(form)
    created_from: date | None = filters.get("created_from")
    created_to: date | None = filters.get("created_to")
    return {
        "event": filters.get("event"),
        "channel": filters.get("channel"),
        "status": filters.get("status"),
        "q": filters.get("q"),
        "created_from": _day_start(created_from) if created_from else None,
        "created_to": _day_start(created_to + timedelta(days=1)) if created_to else None,
    }


def message_list(request: PageRequest) -> HttpResponse:
    viewer = request.membership
    form = MessageFilterForm(request.GET or None)
    filters = _log_filters(form)
    page_obj = Paginator(selectors.message_list(viewer=viewer, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    status = filters["status"]
    context = {
        "form": form,
        "page_obj": page_obj,
        "is_filtered": any(value for value in filters.values()),
        "status": status,
        "can_retry_shown": can(viewer, MANAGE) and status in settings_services.RETRYABLE and page_obj.paginator.count,
        "retry_limit": settings_services.RETRY_MANY_LIMIT,
        "can_manage": can(viewer, MANAGE),
        "dead_letters_url": f"{reverse('notifications:message_list')}?status={Status.DEAD}",
    }
    template = "notifications/message_list.html"
    return TemplateResponse(request, f"{template}#rows" if request.htmx else template, context)


@dataclass(frozen=True)
class AttemptRow:
    attempt: DeliveryAttempt
    # What the provider's error code means (the classification table), in the reader's language.
    meaning: str

    @property
    def detail(self) -> str:
        """The error as recorded, when it says more than the meaning."""
        return "" if self.attempt.error == self.meaning else self.attempt.error


def _attempt_rows(message: OutboxMessage) -> list[AttemptRow]:
    rows = []
    for attempt in message.delivery_attempts.all():
        rule = classification.TABLE.get((message.channel, attempt.error_code)) if attempt.error_code else None
        rows.append(AttemptRow(attempt, str(rule.meaning) if rule is not None else ""))
    return rows


def message_detail(request: PageRequest, message_id: int) -> HttpResponse:
    viewer = request.membership
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    chain = selectors.message_chain(viewer=viewer, message=message)
    manage = can(viewer, MANAGE)
    context = {
        "message": message,
        "chain": chain if len(chain) > 1 else [],
        "attempts": _attempt_rows(message),
        "can_retry": manage and message.status in settings_services.RETRYABLE,
        "can_cancel": manage and message.status in settings_services.CANCELLABLE,
    }
    return TemplateResponse(request, "notifications/message_detail.html", context)


@require_POST
def message_retry(request: PageRequest, message_id: int) -> HttpResponse:
    viewer = request.membership
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    try:
        settings_services.message_retry(actor=viewer, message=message)
    except Forbidden as exc:
        raise PermissionDenied from exc
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message is back in the queue and will be sent shortly."))
    return redirect("notifications:message_detail", message_id=message.pk)


@require_POST
def message_cancel(request: PageRequest, message_id: int) -> HttpResponse:
    viewer = request.membership
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    try:
        settings_services.message_cancel(actor=viewer, message=message)
    except Forbidden as exc:
        raise PermissionDenied from exc
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message has been cancelled; it will not be sent."))
    return redirect("notifications:message_detail", message_id=message.pk)


@require_POST
def message_retry_many(request: PageRequest) -> HttpResponse:
    """ "Retry all shown": every failed message or dead letter the log's filters select."""
    viewer = request.membership
    form = MessageFilterForm(request.POST)
    filters = _log_filters(form)
    if filters["status"] not in settings_services.RETRYABLE:
        filters["status"] = Status.DEAD
    ids = list(
        selectors.message_list(viewer=viewer, **filters).values_list("pk", flat=True)[
            : settings_services.RETRY_MANY_LIMIT
        ]
    )
    try:
        count = settings_services.message_retry_many(actor=viewer, message_ids=ids)
    except Forbidden as exc:
        raise PermissionDenied from exc
    if count:
        messages.success(
            request,
            ngettext("%(count)s message is back in the queue.", "%(count)s messages are back in the queue.", count)
            % {"count": count},
        )
    skipped = len(ids) - count
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)s message could not be retried; open it to see why.",
                "%(count)s messages could not be retried; open them to see why.",
                skipped,
            )
            % {"count": skipped},
        )
    if not ids:
        messages.info(request, _("No messages to retry."))
    query = {key: value for key, value in request.POST.items() if key in form.fields and value}
    query["status"] = filters["status"]
    return redirect(f"{reverse('notifications:message_list')}?{urlencode(query)}")


# The bell and the inbox


def bell(request: PageRequest) -> HttpResponse:
    """Polled by the top bar every 30 seconds: the unread count and the newest rows."""
    membership = request.membership
    context = {
        "unread": selectors.unread_count(membership=membership),
        "latest": selectors.inbox_latest(membership=membership),
    }
    return TemplateResponse(request, "notifications/_bell.html#items", context)


def inbox(request: PageRequest) -> HttpResponse:
    membership = request.membership
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.inbox_list(membership=membership, unread_only=unread_only)
    page_obj = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "unread_only": unread_only,
        "unread": selectors.unread_count(membership=membership),
    }
    return TemplateResponse(request, "notifications/inbox.html", context)


def inbox_open(request: PageRequest) -> HttpResponse:
    """Open a bell item (?id=): it is read now, and its link is where the reader goes.
    The id is in the query, not the path: the row is the reader's own, never an object to share."""
    membership = request.membership
    notification_id = int_param(request, "id")
    if notification_id is None:
        return redirect("notifications:inbox")
    note = selectors.inbox_get(membership=membership, notification_id=notification_id)
    settings_services.inbox_mark_read(membership=membership, ids=[note.pk])
    target = note.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
def inbox_read(request: PageRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    settings_services.inbox_mark_read(membership=request.membership, ids=ids)
    return redirect(_back_to_inbox(request))


@require_POST
def inbox_read_all(request: PageRequest) -> HttpResponse:
    count = settings_services.inbox_mark_all_read(membership=request.membership)
    if count:
        messages.success(
            request,
            ngettext("%(count)s message marked as read.", "%(count)s messages marked as read.", count)
            % {"count": count},
        )
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request: PageRequest) -> str:
    url = reverse("notifications:inbox")
    return f"{url}?show=unread" if request.POST.get("show") == "unread" else url
