"""Periodic jobs of the complaints app, found by ``anxin.core.periodic.load_jobs`` (decision 0016)."""

from __future__ import annotations

from datetime import timedelta

from anxin.core.periodic import periodic


@periodic(every=timedelta(minutes=5), name="complaints.escalate_overdue")
def escalate_overdue() -> int:
    """Escalate every active complaint past its deadline by one level (once per level)."""
    from anxin.complaints.services import escalate_overdue_complaints

    return escalate_overdue_complaints()
