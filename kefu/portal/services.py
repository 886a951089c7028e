"""The customer's ways into the portal: sessions, signed links and SMS sign-in codes.

Every secret (session id, link token, code) leaves here once, raw, and is stored as a hash.
Limits are counted in the database under a lock per number and per IP, so they hold across
web processes and machines.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from kefu.core.crypto import keyed_hash
from kefu.core.errors import InvalidInput
from kefu.customers.identity import mask_mobile, normalise_mobile
from kefu.customers.models import ContactMethod, Customer
from kefu.notifications import delivery
from kefu.notifications.models import OutboxMessage, Status
from kefu.notifications.services import notify
from kefu.portal.errors import CodeWrong, LinkExpired, LinkUnknown, LinkUsed, TooManyCodes
from kefu.portal.models import PortalCode, PortalLink, PortalSession

logger = logging.getLogger(__name__)

SESSION_MAX_AGE = timedelta(days=30)
SESSION_IDLE = timedelta(days=7)
# last_seen is written at most this often: a page view should not always be a write.
SESSION_TOUCH_EVERY = timedelta(minutes=5)

CODE_TTL = timedelta(minutes=5)
CODE_MAX_WRONG = 5
CODE_LIMITS_PER_NUMBER = ((timedelta(minutes=1), 1), (timedelta(hours=1), 5), (timedelta(days=1), 10))
CODE_LIMIT_PER_IP = (timedelta(hours=1), 20)

# Namespaces of the PostgreSQL advisory locks taken while counting codes.
_LOCK_NUMBER = 7301
_LOCK_IP = 7302


def secret_hash(raw: str) -> str:
    """Session ids and link tokens are 256-bit random values: a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(raw.encode()).hexdigest()


# --- sessions ---


@dataclass(frozen=True)
class StartedSession:
    session: PortalSession
    raw_id: str


@transaction.atomic
def session_start(
    *, customer: Customer, method: str, ip: str | None, user_agent: str, replacing: str = ""
) -> StartedSession:
    """Sign `customer` in on this browser. The browser's previous session, whoever it was for, ends
    here: one browser never carries two identities."""
    now = timezone.now()
    if replacing:
        PortalSession.objects.filter(id_hash=secret_hash(replacing), revoked_at__isnull=True).update(revoked_at=now)
    raw_id = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        id_hash=secret_hash(raw_id),
        customer=customer,
        method=method,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_MAX_AGE,
        ip=ip,
        user_agent=user_agent[:300],
    )
    return StartedSession(session=session, raw_id=raw_id)


def session_get(raw_id: str) -> PortalSession | None:
    """The live session this cookie value names, or None (unknown, signed out, expired or idle)."""
    if not raw_id:
        return None
    session = (
        PortalSession.objects.select_related("customer", "customer__organisation")
        .filter(id_hash=secret_hash(raw_id), revoked_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    now = timezone.now()
    customer = session.customer
    if session.expires_at <= now or session.last_seen_at + SESSION_IDLE <= now:
        return None
    if customer.merged_into_id or customer.is_anonymised:
        return None
    if session.last_seen_at + SESSION_TOUCH_EVERY <= now:
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now
    return session


def session_end(raw_id: str) -> None:
    if raw_id:
        PortalSession.objects.filter(id_hash=secret_hash(raw_id), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


# --- signed links ---


def link_create(
    *, customer_id: int, action: str, object_id: int | None, ttl: timedelta, single_use: bool = False
) -> str:
    """Store a link's hash and return its raw token (192 random bits, URL-safe): 32 characters,
    so that it fits one SMS template variable (Aliyun allows 35)."""
    if action not in PortalLink.Action.values:
        raise ValueError(f"unknown portal link action {action!r}")
    if ttl <= timedelta(0):
        raise ValueError("a portal link needs a positive lifetime")
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    PortalLink.objects.create(
        token_hash=secret_hash(token),
        customer_id=customer_id,
        action=action,
        object_id=object_id,
        created_at=now,
        expires_at=now + ttl,
        is_single_use=single_use,
    )
    return token


@transaction.atomic
def link_use(*, token: str) -> PortalLink:
    """Spend one use of a link. A single-use link is spent by one conditional update, so two
    simultaneous clicks cannot both get through."""
    link = PortalLink.objects.select_related("customer").filter(token_hash=secret_hash(token)).first()
    if link is None or link.customer.merged_into_id or link.customer.is_anonymised:
        raise LinkUnknown
    now = timezone.now()
    if link.expires_at <= now:
        raise LinkExpired
    if link.is_single_use:
        spent = PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now, use_count=1)
        if not spent:
            raise LinkUsed
    else:
        # One statement, so that clicks at the same moment are all counted.
        PortalLink.objects.filter(pk=link.pk).update(
            used_at=Coalesce("used_at", Value(now)), use_count=F("use_count") + 1
        )
    return link


def link_destination(link: PortalLink) -> str:
    """Where a link leads, without its token."""
    if link.action == PortalLink.Action.SURVEY:
        return reverse("portal:survey", kwargs={"invitation_id": link.object_id})
    if link.action == PortalLink.Action.REQUEST:
        return reverse("portal:request_detail", kwargs={"ticket_id": link.object_id})
    if link.action == PortalLink.Action.COMMISSION:
        return reverse("portal:commission_detail", kwargs={"commission_id": link.object_id})
    return reverse("portal:home")


# --- SMS sign-in codes ---


def mobile_hash(number: str) -> str:
    return keyed_hash(f"portal-mobile:{number}")


def _code_hash(code_row_mobile_hash: str, code: str) -> str:
    # Keyed: a six-digit code hashed without a key is found by trying a million values.
    return keyed_hash(f"portal-code:{code_row_mobile_hash}:{code}")


def customer_for_mobile(number: str) -> Customer | None:
    """The ledger customer with this mobile; the oldest record when several share it."""
    contact = (
        ContactMethod.objects.select_related("customer", "customer__organisation")
        .filter(
            kind=ContactMethod.Kind.MOBILE,
            value=number,
            customer__merged_into__isnull=True,
            customer__is_anonymised=False,
        )
        .order_by("customer_id")
        .first()
    )
    return contact.customer if contact is not None else None


def _lock_limits(number_hash: str, ip: str | None) -> None:
    """Serialise the count-then-insert per number and per IP. PostgreSQL: transaction-scoped
    advisory locks, always number first, so two requests never wait on each other in a cycle.
    SQLite: BEGIN IMMEDIATE already holds the database's one write lock."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NUMBER, _lock_key(number_hash)])
        if ip:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_IP, _lock_key(ip)])


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)


def _check_limits(*, number_hash: str, ip: str | None, now: datetime) -> None:
    for window, most in CODE_LIMITS_PER_NUMBER:
        if PortalCode.objects.filter(mobile_hash=number_hash, created_at__gt=now - window).count() >= most:
            raise TooManyCodes
    window, most = CODE_LIMIT_PER_IP
    if ip and PortalCode.objects.filter(ip=ip, created_at__gt=now - window).count() >= most:
        logger.warning("portal sign-in codes: IP %s reached its hourly limit", ip)
        raise TooManyCodes


@transaction.atomic
def _code_create(*, number: str, ip: str | None) -> tuple[PortalCode, OutboxMessage | None]:
    number_hash = mobile_hash(number)
    _lock_limits(number_hash, ip)
    now = timezone.now()
    _check_limits(number_hash=number_hash, ip=ip, now=now)
    customer = customer_for_mobile(number)
    # A new code replaces the ones before it.
    PortalCode.objects.filter(mobile_hash=number_hash, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )
    code = f"{secrets.randbelow(10**6):06d}"
    row = PortalCode.objects.create(
        mobile_hash=number_hash,
        customer=customer,
        code_hash=_code_hash(number_hash, code),
        created_at=now,
        expires_at=now + CODE_TTL,
        ip=ip,
    )
    if customer is None:
        logger.info("portal sign-in code asked for %s: not a customer's number, nothing sent", mask_mobile(number))
        return row, None
    result = notify(
        event="portal.code",
        customer=customer,
        organisation=customer.organisation,
        source_key=f"portal-code:{row.pk}",
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        now=now,
    )
    message = next((m for m in result.messages if m.status == Status.PENDING), None)
    return row, message


def code_request(*, mobile: str, ip: str | None) -> PortalCode:
    """Ask for a sign-in code for `mobile`. The answer is the same whether or not the number is a
    customer's: a row is written (and counts toward the limits) either way, the SMS only goes to
    a customer's number. Raises InvalidInput for a malformed number, TooManyCodes over a limit."""
    number = normalise_mobile(mobile)
    row, message = _code_create(number=number, ip=ip)
    if message is not None:
        # Outside the transaction: the limit locks are not held while the provider answers.
        delivery.deliver_now(message)
    return row


def code_verify(*, mobile: str, code: str) -> Customer:
    """The customer whose number received this code; CodeWrong otherwise. The fifth wrong try
    voids the code, so guessing a six-digit code takes more codes than the limits allow."""
    try:
        number = normalise_mobile(mobile)
    except InvalidInput as exc:  # a malformed number is simply a wrong code here
        raise CodeWrong from exc
    number_hash = mobile_hash(number)
    customer = _code_check(number_hash=number_hash, code=code.strip())
    if customer is None:
        raise CodeWrong
    return customer


@transaction.atomic
def _code_check(*, number_hash: str, code: str) -> Customer | None:
    # Returns instead of raising so that the counted wrong try is committed, not rolled back.
    now = timezone.now()
    row = (
        PortalCode.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(mobile_hash=number_hash, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return None
    if not hmac.compare_digest(row.code_hash, _code_hash(number_hash, code)) or row.customer is None:
        row.attempts += 1
        if row.attempts >= CODE_MAX_WRONG:
            row.voided_at = now
        row.save(update_fields=["attempts", "voided_at"])
        return None
    row.used_at = now
    row.save(update_fields=["used_at"])
    return row.customer
