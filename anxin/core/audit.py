"""Audit history (django-simple-history) helpers: who changed what, when.

Services call ``audited(obj, actor, reason)`` before ``save()`` so each history row names the
acting user even outside a request (API tokens, background jobs, management commands).
"""

from __future__ import annotations

from itertools import chain


def audited(obj, actor, reason: str = ""):
    obj._history_user = actor if getattr(actor, "is_authenticated", False) else None
    obj._change_reason = reason or None
    return obj


def history_entries(*objects, limit: int = 200) -> list[dict]:
    """Flatten the history of several objects into timeline entries, newest first."""
    entries = []
    for obj in objects:
        if obj is None:
            continue
        records = list(obj.history.select_related("history_user").order_by("-history_date")[:limit])
        for rec in records:
            changes = []
            prev = rec.prev_record
            if prev is not None:
                delta = rec.diff_against(prev)
                changes = [
                    {"field": str(rec.instance._meta.get_field(c.field).verbose_name), "old": c.old, "new": c.new} for c in delta.changes
                ]
            entries.append(
                {
                    "when": rec.history_date,
                    "who": rec.history_user,
                    "type": rec.history_type,
                    "object": str(obj._meta.verbose_name),
                    "reason": rec.history_change_reason or "",
                    "changes": changes,
                }
            )
    return sorted(chain(entries), key=lambda e: e["when"], reverse=True)
