"""Human numbers per day (KS202611230007, WT202611230001): the day's counter row is locked while a
number is taken, so two writers at once never get the same one. Call inside a transaction."""

from datetime import datetime

from django.db import models
from django.utils import timezone


def next_daily_number(sequence: type[models.Model], *, prefix: str, moment: datetime) -> str:
    """The next number of `moment`'s day from `sequence`, a model with a unique `day` and a `last` counter."""
    day = timezone.localdate(moment)
    manager = sequence._default_manager
    manager.bulk_create([sequence(day=day, last=0)], ignore_conflicts=True)
    row = manager.select_for_update().get(day=day)
    row.last += 1  # type: ignore[attr-defined]
    row.save(update_fields=["last"])
    return f"{prefix}{day:%Y%m%d}{row.last:04d}"  # type: ignore[attr-defined]
