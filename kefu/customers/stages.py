"""Lifecycle stages move with the calendar: a signed customer becomes "delivered" on the
delivery date without anyone touching the record. A daily scan catches those up."""

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kefu.customers.models import Customer
from kefu.customers.services import stage_for


def customer_stages_refresh(*, today: date | None = None, batch_size: int = 500) -> int:
    """Recompute the stage of every customer a household date may have moved; returns how many
    changed. Idempotent: a second run the same day changes nothing, so any worker may run it."""
    today = today or timezone.localdate()
    candidates = (
        Customer.objects.filter(merged_into__isnull=True, households__isnull=False)
        .exclude(stage=Customer.Stage.LIVING)
        .filter(
            Q(households__subscribed_on__lte=today)
            | Q(households__signed_on__lte=today)
            | Q(households__delivered_on__lte=today)
            | Q(households__moved_in_on__lte=today)
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    changed = 0
    ids = list(candidates)
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            customers = Customer.objects.filter(pk__in=ids[start : start + batch_size]).prefetch_related("households")
            for customer in customers:
                stage = stage_for(customer.households.all(), today=today)
                if stage != customer.stage:
                    Customer.objects.filter(pk=customer.pk).update(stage=stage, updated_at=timezone.now())
                    changed += 1
    return changed
