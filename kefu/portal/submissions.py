"""Requests a customer submits from the portal, and their answer to the resolution.

Every submit carries an Idempotency-Key (a hidden field generated when the form is drawn). The
key is stored unique per customer in the same transaction as the ticket, so a double tap, a
resent form or a hundred simultaneous copies make one ticket, and each gets that ticket back.
The tickets themselves are written by the tickets module's customer-facing services.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import InvalidInput
from kefu.customers.models import Customer
from kefu.portal.errors import SubmissionKeyReused
from kefu.portal.models import PortalSubmission
from kefu.properties.models import Unit
from kefu.standards.models import RequestKind
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket

MAX_PHOTOS = 6
TITLE_LENGTH = 40
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    is_new: bool


def _photo_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _body_hash(*, unit: Unit, kind: str, description: str, photos: list[UploadedFile]) -> str:
    body = {
        "unit": unit.pk,
        "kind": kind,
        "description": description.strip(),
        "photos": [_photo_digest(photo) for photo in photos],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:TITLE_LENGTH]


def _answer(submission: PortalSubmission, body_hash: str) -> Submitted:
    if submission.body_hash != body_hash or submission.ticket is None:
        raise SubmissionKeyReused
    return Submitted(ticket=submission.ticket, is_new=False)


def request_submit(
    *,
    customer: Customer,
    unit: Unit,
    kind: str,
    description: str,
    photos: list[UploadedFile],
    key: str,
) -> Submitted:
    """Log the customer's request once per Idempotency-Key; the same key with another body is a
    conflict (SubmissionKeyReused)."""
    if not KEY_PATTERN.match(key or ""):
        raise InvalidInput(_("The form has expired. Reload the page and send it again."), field="key")
    if kind not in RequestKind.values:
        raise InvalidInput(_("Choose what kind of request this is."), field="kind")
    if not description.strip():
        raise InvalidInput(_("Tell us what happened."), field="description")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_("Add at most %(count)s photos.") % {"count": MAX_PHOTOS}, field="photos")
    if not unit.households.filter(customer=customer).exists():
        raise InvalidInput(_("Choose one of your homes."), field="unit")
    body_hash = _body_hash(unit=unit, kind=kind, description=description, photos=photos)

    existing = PortalSubmission.objects.select_related("ticket").filter(customer=customer, key=key).first()
    if existing is not None:
        return _answer(existing, body_hash)
    try:
        with transaction.atomic():
            # The key's row first: a simultaneous copy waits on its unique index until this
            # transaction ends, then fails and reads the ticket made here.
            submission = PortalSubmission.objects.create(
                customer=customer, key=key, body_hash=body_hash, created_at=timezone.now()
            )
            ticket = ticket_services.ticket_submit_by_customer(
                customer=customer,
                unit=unit,
                kind=kind,
                title=_title(description),
                description=description,
                attachments=photos,
                client_key=hashlib.sha256(f"portal:{customer.pk}:{key}".encode()).hexdigest(),
            )
            submission.ticket = ticket
            submission.save(update_fields=["ticket"])
    except IntegrityError:
        existing = PortalSubmission.objects.select_related("ticket").filter(customer=customer, key=key).first()
        if existing is None:
            raise
        return _answer(existing, body_hash)
    return Submitted(ticket=ticket, is_new=True)


def request_feedback(
    *, customer: Customer, ticket: Ticket, resolved: bool, satisfaction: int | None, comment: str
) -> Ticket:
    """The customer confirms the resolution (the revisit is answered: satisfied, closed) or rejects
    it (not satisfied: the ticket is reopened with their comment)."""
    if ticket.customer_id != customer.pk:
        raise InvalidInput(_("This request is not yours."))
    if ticket.status != Ticket.Status.RESOLVED:
        raise InvalidInput(_("This request is not waiting for your answer."))
    if satisfaction not in Ticket.Satisfaction.values:
        raise InvalidInput(_("Choose a score from 1 to 5."), field="satisfaction")
    if resolved and satisfaction is not None and satisfaction < 3:
        raise InvalidInput(
            _("A score below 3 means the problem is not solved; choose “not solved” and tell us why."),
            field="satisfaction",
        )
    if not resolved and not comment.strip():
        raise InvalidInput(_("Tell us what is still wrong."), field="comment")
    return ticket_services.ticket_revisit_by_customer(
        customer=customer,
        ticket=ticket,
        outcome=ticket_services.RevisitOutcome.SATISFIED if resolved else ticket_services.RevisitOutcome.DISSATISFIED,
        satisfaction=satisfaction,
        note=comment.strip(),
    )
