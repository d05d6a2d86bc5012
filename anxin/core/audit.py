"""Audit history (django-simple-history) helpers: who changed what, when.

Services call ``audited(obj, actor, reason)`` before ``save()`` so each history row names the
acting user even outside a request (API tokens, background jobs, management commands).
"""

from __future__ import annotations


def audited(obj, actor, reason: str = ""):
    obj._history_user = actor if getattr(actor, "is_authenticated", False) else None
    obj._change_reason = reason or None
    return obj


def history_entries(*objects, limit: int = 200) -> list[dict]:
    """Flatten the history of several objects into timeline entries, newest first.

    One query per object: each record is diffed against the one before it in memory
    (``prev_record`` would cost a query per row).
    """
    entries = []
    for obj in objects:
        if obj is None:
            continue
        records = list(obj.history.select_related("history_user").order_by("history_date", "history_id")[:limit])
        previous = None
        for rec in records:
            changes = []
            if previous is not None:
                delta = rec.diff_against(previous)
                changes = [{"field": str(obj._meta.get_field(c.field).verbose_name), "old": c.old, "new": c.new} for c in delta.changes]
            previous = rec
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
    return sorted(entries, key=lambda e: e["when"], reverse=True)
