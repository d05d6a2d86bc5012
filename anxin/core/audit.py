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
    """Flatten the history of several objects into timeline entries, newest first: the newest
    ``limit`` records of each object (a long history drops its oldest, never its newest).

    One query per object: each record is diffed against the one before it in memory
    (``prev_record`` would cost a query per row); the record before the oldest kept is read too, so
    that one shows its changes as well. Each change names the field (``name``, stable) and its
    translated label (``field``, for display).
    """
    entries = []
    for obj in objects:
        if obj is None:
            continue
        newest = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
        records = newest[::-1]  # oldest first, for the diffs
        previous = records.pop(0) if len(records) > limit else None
        for rec in records:
            changes = []
            if previous is not None:
                delta = rec.diff_against(previous)
                changes = [
                    {"name": c.field, "field": str(obj._meta.get_field(c.field).verbose_name), "old": c.old, "new": c.new}
                    for c in delta.changes
                ]
            previous = rec
            entries.append(
                {
                    "when": rec.history_date,
                    "who": rec.history_user,
                    "type": rec.history_type,
                    "object": str(obj._meta.verbose_name),
                    "model": obj._meta.model,
                    "reason": rec.history_change_reason or "",
                    "changes": changes,
                }
            )
    return sorted(entries, key=lambda e: e["when"], reverse=True)
