"""The outbox workers: claim due messages, hand them to their providers, record every attempt.

Nothing lost, nothing doubled:
- A worker claims a batch in one short transaction (`SELECT … FOR UPDATE SKIP LOCKED` on
  PostgreSQL; SQLite serialises writers), sets it to "sending" under a lease and opens one
  DeliveryAttempt per message, and commits before it calls any provider.
- It records each result in a second short transaction, guarded by its lease: a worker that lost
  its lease (it stalled past the lease) cannot overwrite what the new owner did.
- A worker that dies between the two leaves "sending" rows whose lease runs out; the next claim
  takes them over, closes the open attempt as "interrupted" and sends again with the same
  idempotency key. Providers that deduplicate by that key (WeChat's client_msg_id, our webhook's
  X-Kefu-Delivery for receivers that honour it, the SMTP Message-ID) drop the repeat; for the
  others the interrupted attempt in the log is the only place a duplicate can come from.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from kefu.notifications import classification, configuration, events, policy
from kefu.notifications.channels.base import ConfigurationError, Outgoing, ProviderError, Sent, TransportError
from kefu.notifications.classification import Outcome
from kefu.notifications.models import Channel, DeliveryAttempt, OutboxMessage, Status
from kefu.notifications.services import _timeline, html_body, plan_fallback

logger = logging.getLogger(__name__)

# How long a claimed message is a worker's before another may take it over: longer than any
# provider call (their timeouts are 10 s) with room to spare.
LEASE = timedelta(seconds=settings.KEFU_OUTBOX_LEASE_SECONDS)
MAX_ATTEMPTS = 8
BATCH = 50

Result = DeliveryAttempt.Outcome


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    dead: int = 0
    interrupted: int = 0

    def add(self, other: DeliveryStats) -> None:
        for name in ("claimed", "sent", "failed", "retrying", "deferred", "dead", "interrupted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _skip_locked(queryset):  # type: ignore[no-untyped-def]
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def claim(*, worker: str, batch: int = BATCH, now: datetime | None = None) -> tuple[list[OutboxMessage], int]:
    """Take up to `batch` due messages: first those whose worker died (expired leases), then the
    pending and held ones due by now. Returns the messages and how many were taken over."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            _skip_locked(OutboxMessage.objects.filter(status=Status.SENDING, lease_until__lt=now))
            .order_by("lease_until", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        due = list(
            _skip_locked(
                OutboxMessage.objects.filter(status__in=[Status.PENDING, Status.HELD], next_attempt_at__lte=now)
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: batch - len(expired)]
        )
        ids = expired + due
        if not ids:
            return [], 0
        interrupted = 0
        if expired:
            interrupted = DeliveryAttempt.objects.filter(message_id__in=expired, finished_at__isnull=True).update(
                finished_at=now,
                outcome=Result.INTERRUPTED,
                error=gettext_noop("The worker stopped before it recorded the result; sent again with the same key."),
            )
        # The status condition again: on SQLite, where there is no row lock, a row another worker
        # took in between is not taken twice.
        OutboxMessage.objects.filter(pk__in=ids).filter(
            Q(status=Status.SENDING, lease_until__lt=now)
            | Q(status__in=[Status.PENDING, Status.HELD], next_attempt_at__lte=now)
        ).update(status=Status.SENDING, lease_owner=worker, lease_until=now + LEASE, attempts=F("attempts") + 1)
        messages = list(
            OutboxMessage.objects.filter(pk__in=ids, status=Status.SENDING, lease_owner=worker, lease_until=now + LEASE)
            .select_related("organisation", "customer")
            .order_by("pk")
        )
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(message=m, number=m.attempts, started_at=now, worker=worker) for m in messages]
        )
    return messages, interrupted


def outgoing(message: OutboxMessage) -> Outgoing:
    return Outgoing(
        idempotency_key=message.idempotency_key,
        address=message.address,
        event=message.event,
        subject=message.subject,
        body=message.body,
        html=html_body(message.body) if message.channel == Channel.EMAIL else "",
        provider_template=message.provider_template,
        params=dict(message.params),
        url=message.url,
        data={
            "event": message.event,
            "event_label": str(events.get(message.event).label),
            "organisation": message.organisation.code,
            "variables": dict(message.context),
        },
    )


class _Adapters:
    """Adapters built once per (configuration, its last change) and reused: they keep their
    HTTP connections and access tokens warm across a worker's batches."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], Any] = {}
        self._configs: dict[tuple[int, str], Any] = {}

    def reset_configs(self) -> None:
        self._configs.clear()

    def get(self, message: OutboxMessage):  # type: ignore[no-untyped-def]
        key = (message.organisation_id, message.channel)
        if key not in self._configs:
            self._configs[key] = configuration.channel_config_for(message.organisation, message.channel)
        config = self._configs[key]
        if config is None:
            raise ConfigurationError(f"{message.channel} is not set up for this unit")
        cache_key = (config.pk, config.updated_at.isoformat())
        if cache_key not in self._cache:
            self._cache[cache_key] = configuration.build_adapter(config)
        return self._cache[cache_key]


_adapters = _Adapters()


@dataclass
class _Verdict:
    result: str
    code: str = ""
    error: str = ""
    sent: Sent | None = None
    retry_at: datetime | None = None
    rule: classification.Rule | None = None


def _send(message: OutboxMessage, now_fn: Callable[[], datetime]) -> _Verdict:
    try:
        adapter = _adapters.get(message)
        sent = adapter.send(outgoing(message))
    except ProviderError as exc:
        rule = classification.classify(message.channel, exc.code)
        retry_at = exc.retry_at
        if rule.outcome == Outcome.DEFERRED and retry_at is None:
            retry_at = classification.defer_until(rule, now_fn())
        return _Verdict(
            rule.outcome.value, exc.code, f"{rule.meaning} ({exc.message})"[:500], retry_at=retry_at, rule=rule
        )
    except TransportError as exc:
        return _Verdict(Result.TEMPORARY, "transport", exc.message[:500])
    except ConfigurationError as exc:
        return _Verdict(Result.CONFIGURATION, "configuration", str(exc)[:500])
    except Exception as exc:  # an adapter bug must not stop the worker; the message is retried
        logger.exception("adapter failed", extra={"message_id": message.pk, "channel": message.channel})
        return _Verdict(Result.TEMPORARY, "internal", f"{type(exc).__name__}: {exc}"[:500])
    return _Verdict(Result.SENT, sent=sent)


def _quiet_until(message: OutboxMessage, now: datetime) -> datetime | None:
    if message.customer_id is None or message.is_urgent or message.channel not in policy.QUIET_CHANNELS:
        return None
    return policy.quiet_until(now, configuration.policy_for(message.organisation), message.organisation.timezone)


def _record(message: OutboxMessage, verdict: _Verdict, *, worker: str, started: float, now: datetime) -> str:
    """Write the attempt's result and move the message on; returns the DeliveryStats field."""
    duration = int((time.monotonic() - started) * 1000)
    provider_id = verdict.sent.provider_message_id[:100] if verdict.sent else ""
    with transaction.atomic():
        DeliveryAttempt.objects.filter(message=message, number=message.attempts, finished_at__isnull=True).update(
            finished_at=now,
            outcome=verdict.result,
            error_code=verdict.code[:60],
            error=verdict.error,
            provider_message_id=provider_id,
            duration_ms=duration,
        )
        mine = OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, lease_owner=worker)
        common: dict[str, Any] = {"lease_owner": "", "lease_until": None}
        if verdict.result == Result.SENT:
            changed = mine.update(
                status=Status.SENT,
                provider_message_id=provider_id,
                sent_at=now,
                finished_at=now,
                next_attempt_at=None,
                error_code="",
                error="",
                **common,
            )
            stat, text = "sent", gettext_noop("%(channel)s · %(event)s: sent")
            params: dict[str, Any] = {}
        elif verdict.result == Result.PERMANENT:
            changed = mine.update(
                status=Status.FAILED,
                error_code=verdict.code,
                error=verdict.error,
                finished_at=now,
                next_attempt_at=None,
                **common,
            )
            stat, text = "failed", gettext_noop("%(channel)s · %(event)s: failed: %(reason)s")
            params = {"reason": verdict.error}
        elif verdict.result == Result.CONFIGURATION or (
            verdict.result == Result.TEMPORARY and message.attempts >= MAX_ATTEMPTS
        ):
            changed = mine.update(
                status=Status.DEAD,
                error_code=verdict.code,
                error=verdict.error,
                finished_at=now,
                next_attempt_at=None,
                **common,
            )
            stat, text = (
                "dead",
                gettext_noop("%(channel)s · %(event)s: not sent, waiting for an administrator: %(reason)s"),
            )
            params = {"reason": verdict.error}
        elif verdict.result == Result.DEFERRED:
            # A provider's quota or rate limit is not the message's fault: it does not spend an attempt.
            changed = mine.update(
                status=Status.PENDING,
                error_code=verdict.code,
                error=verdict.error,
                next_attempt_at=verdict.retry_at,
                attempts=F("attempts") - 1,
                **common,
            )
            stat, text = "deferred", ""
            params = {}
        else:
            changed = mine.update(
                status=Status.PENDING,
                error_code=verdict.code,
                error=verdict.error,
                next_attempt_at=verdict.retry_at or classification.backoff(message.attempts, now),
                **common,
            )
            stat, text = "retrying", ""
            params = {}
        if not changed:
            # Our lease ran out and another worker owns the message now: the attempt is logged, the
            # message is theirs.
            logger.warning("lease lost", extra={"message_id": message.pk, "worker": worker})
            return "interrupted"
        message.status = {"sent": Status.SENT, "failed": Status.FAILED, "dead": Status.DEAD}.get(stat, Status.PENDING)
        message.error, message.provider_message_id = verdict.error, provider_id
        if text:
            _timeline(message, text, **params)
        if stat == "failed" or (stat == "dead" and message.fallback):
            plan_fallback(message, now=now)
    return stat


def deliver_batch(
    *, worker: str | None = None, batch: int = BATCH, now_fn: Callable[[], datetime] = timezone.now
) -> DeliveryStats:
    worker = worker or worker_name()
    stats = DeliveryStats()
    messages, stats.interrupted = claim(worker=worker, batch=batch, now=now_fn())
    stats.claimed = len(messages)
    _adapters.reset_configs()
    for message in messages:
        now = now_fn()
        started = time.monotonic()
        until = _quiet_until(message, now)
        if until is not None:
            with transaction.atomic():
                OutboxMessage.objects.filter(pk=message.pk, lease_owner=worker).update(
                    status=Status.HELD,
                    next_attempt_at=until,
                    attempts=F("attempts") - 1,
                    lease_owner="",
                    lease_until=None,
                )
                DeliveryAttempt.objects.filter(message=message, number=message.attempts).delete()
            stats.deferred += 1
            continue
        verdict = _send(message, now_fn)
        stat = _record(message, verdict, worker=worker, started=started, now=now_fn())
        setattr(stats, stat, getattr(stats, stat) + 1)
    return stats


def deliver_due(*, worker: str | None = None, batch: int = BATCH, max_batches: int | None = None) -> DeliveryStats:
    """Deliver until nothing is due (or `max_batches`); for tests, the scheduler and one-shot runs."""
    total = DeliveryStats()
    count = 0
    while max_batches is None or count < max_batches:
        stats = deliver_batch(worker=worker, batch=batch)
        total.add(stats)
        count += 1
        if not stats.claimed:
            break
    return total


def deliver_now(message: OutboxMessage, *, worker: str | None = None) -> OutboxMessage:
    """Deliver one message in the caller's process (an administrator's test send); the same
    claim and record as the workers, so a worker cannot send it too."""
    worker = worker or worker_name()
    now = timezone.now()
    # A web process lives long: read the channel's settings afresh, an administrator may just have changed them.
    _adapters.reset_configs()
    with transaction.atomic():
        taken = OutboxMessage.objects.filter(pk=message.pk, status__in=[Status.PENDING, Status.HELD]).update(
            status=Status.SENDING, lease_owner=worker, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
        if not taken:
            return OutboxMessage.objects.get(pk=message.pk)
        claimed = OutboxMessage.objects.select_related("organisation", "customer").get(pk=message.pk)
        DeliveryAttempt.objects.create(message=claimed, number=claimed.attempts, started_at=now, worker=worker)
    started = time.monotonic()
    _record(claimed, _send(claimed, timezone.now), worker=worker, started=started, now=timezone.now())
    return OutboxMessage.objects.get(pk=message.pk)
