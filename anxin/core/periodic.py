"""Periodic jobs (定时任务): one registry, two runners.

A job is a plain function registered with ``@periodic(every=timedelta(minutes=5), name=...)`` in its
app's ``jobs`` module (e.g. ``orders/jobs.py`` imports ``orders.sla.escalation.escalate_due_job``), found
by autodiscovery: core names no app above it (decision 0043). ``run_due(now)`` runs each job whose period has
passed, once: the job's ``PeriodicRun`` row is claimed with one conditional UPDATE, so of two runners
(two ``run_periodic`` loops, or the loop and Celery beat) only one wins the period. Embedded mode:
``manage.py run_periodic`` (started by ``make run``); production: Celery beat calls the task
``anxin.periodic.run_job`` per job (anxin/celery.py), which goes through the same claim.
See docs/decisions/0016-periodic-jobs.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from anxin.core.models import PeriodicRun

logger = logging.getLogger("anxin.periodic")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    fn: Callable[[], object]

    @property
    def stale_after(self) -> timedelta:
        """A run that started this long ago and never finished is taken to have died."""
        return max(self.every * 3, timedelta(minutes=30))


_jobs: dict[str, Job] = {}


def periodic(*, every: timedelta, name: str | None = None):
    """Register the decorated zero-argument function as a job run every ``every``."""
    if every <= timedelta(0):
        raise ValueError("every must be positive")

    def register(fn: Callable[[], object]) -> Callable[[], object]:
        job_name = name or f"{fn.__module__}.{fn.__qualname__}"
        _jobs[job_name] = Job(name=job_name, every=every, fn=fn)
        return fn

    return register


def unregister(name: str) -> None:
    _jobs.pop(name, None)


def load_jobs() -> list[Job]:
    """Import every installed app's ``jobs`` module (they register the jobs); return every job, by name."""
    autodiscover_modules("jobs")
    return jobs()


def jobs() -> list[Job]:
    return [_jobs[k] for k in sorted(_jobs)]


def get_job(name: str) -> Job | None:
    return _jobs.get(name)


def claim(job: Job, now: datetime) -> bool:
    """Take this period of ``job`` for the caller: True for exactly one of several runners."""
    try:
        with transaction.atomic():
            PeriodicRun.objects.get_or_create(name=job.name)
    except IntegrityError:
        pass  # another runner created the row first
    due = Q(last_started__isnull=True) | Q(last_started__lte=now - job.every)
    # Not while a run of it is still going, unless that run is so old it must have died.
    idle = Q(last_finished__isnull=False, last_finished__gte=F("last_started")) | Q(last_started__lte=now - job.stale_after)
    idle |= Q(last_started__isnull=True)
    with transaction.atomic():
        return PeriodicRun.objects.filter(due & idle, name=job.name).update(last_started=now) == 1


def run_job(job: Job, now: datetime | None = None, *, force: bool = False) -> bool:
    """Run one job if its period is due (or ``force``); True when this call ran it."""
    now = now or timezone.now()
    if force:
        PeriodicRun.objects.update_or_create(name=job.name, defaults={"last_started": now})
    elif not claim(job, now):
        return False
    try:
        result = job.fn()
        logger.info("periodic job %s done: %s", job.name, result)
    except Exception:
        logger.exception("periodic job %s failed", job.name)
    finally:
        # Never before its own start (a caller's ``now`` may be ahead of the clock, e.g. in tests).
        PeriodicRun.objects.filter(name=job.name).update(last_finished=max(timezone.now(), now))
    return True


def run_due(now: datetime | None = None) -> list[str]:
    """Run every registered job whose period has passed; return the names of those run."""
    now = now or timezone.now()
    ran = []
    for job in jobs():
        if run_job(job, now):
            ran.append(job.name)
    return ran


def run_by_name(name: str) -> bool:
    """The Celery task's body: load the registry, run the named job if due."""
    load_jobs()
    job = get_job(name)
    if job is None:
        logger.warning("unknown periodic job %s", name)
        return False
    return run_job(job)
