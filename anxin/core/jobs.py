"""Periodic jobs of the core app, found by ``anxin.core.periodic.load_jobs`` (decision 0016)."""

from __future__ import annotations

from datetime import timedelta

from anxin.core.periodic import periodic


@periodic(every=timedelta(hours=1), name="core.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Drop the Idempotency-Key records past their keeping time (ANXIN_IDEMPOTENCY_KEEP_HOURS)."""
    from anxin.core.services import idempotency_records_purge

    return idempotency_records_purge()


@periodic(every=timedelta(hours=6), name="core.purge_outbox_events")
def purge_outbox_events() -> int:
    """Drop the outbox events whose every handler ran, past ANXIN_OUTBOX_KEEP_DAYS (decision 0040)."""
    from anxin.core.outbox import events_purge

    return events_purge()
