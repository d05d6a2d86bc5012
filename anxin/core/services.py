"""Shared writes: the activity log for events that change no model row."""

from __future__ import annotations

from django.db import models

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
