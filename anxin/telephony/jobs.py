"""Periodic jobs of the hotline, found by ``anxin.core.periodic.load_jobs`` (decisions 0016, 0026)."""

from __future__ import annotations

from datetime import timedelta

from anxin.core.periodic import periodic


@periodic(every=timedelta(minutes=1), name="telephony.mark_missed_calls")
def mark_missed_calls() -> int:
    """Calls still ringing after ANXIN_CALL_MISSED_AFTER_MINUTES are marked missed."""
    from anxin.telephony.services import calls_mark_missed

    return calls_mark_missed()
