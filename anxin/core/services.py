"""Shared writes: the activity log for events that change no model row; the Idempotency-Key purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from anxin.core.models import ActivityLog


def _target_label(target) -> str:
    if isinstance(target, models.Model):
        return f"{target._meta.label_lower}:{target.pk}"
    return str(target or "")[:200]


def activity_record(*, actor, action: str, target: str | models.Model = "", detail: dict | None = None) -> ActivityLog:
    """Record who did ``action`` (``"customers.export"``, ``"customers.contact_reveal"``) on what, now.

    ``target`` is a short label or a model instance (stored as ``app.model:pk``); ``detail`` must be
    JSON-serialisable (filters, row counts — never the exported data itself).
    """
    authenticated = getattr(actor, "is_authenticated", False)
    return ActivityLog.objects.create(
        actor=actor if authenticated else None,
        org_unit_id=getattr(actor, "org_unit_id", None) if authenticated else None,
        action=action,
        target=_target_label(target),
        detail=detail or {},
    )


def idempotency_records_purge(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete the Idempotency-Key records past their keeping time; how many went.

    Answered records are kept ``ANXIN_IDEMPOTENCY_KEEP_HOURS`` (a retry within that time replays the
    answer); a claim never answered is dropped once its request must have died. Deleted in batches,
    each its own short transaction, so the purge never holds a long lock over the API's writes."""
    from anxin.core.middleware import ABANDONED_AFTER
    from anxin.core.models import IdempotencyRecord

    now = now or timezone.now()
    expired = Q(created_at__lt=now - timedelta(hours=int(settings.ANXIN_IDEMPOTENCY_KEEP_HOURS)))
    expired |= Q(status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER)
    total = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(expired).order_by("created_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            total += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
