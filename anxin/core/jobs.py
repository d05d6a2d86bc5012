"""Periodic jobs of the core app, found by ``anxin.core.periodic.load_jobs`` (decision 0016)."""

from __future__ import annotations

from datetime import timedelta

from anxin.core.periodic import periodic


@periodic(every=timedelta(hours=1), name="core.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Drop the Idempotency-Key records past their keeping time (ANXIN_IDEMPOTENCY_KEEP_HOURS)."""
    from anxin.core.services import idempotency_records_purge

    return idempotency_records_purge()
