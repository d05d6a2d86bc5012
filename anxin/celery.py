"""Celery app. Production: REDIS_URL → Redis broker and a worker + beat. Embedded default (no
REDIS_URL): tasks run eagerly in the calling process, so nothing but the web server is needed.

Periodic jobs (``anxin.core.periodic``): beat sends ``anxin.periodic.run_job`` with each registered
job's name on the job's own period; the task claims the period through the same ``PeriodicRun`` row
as the embedded ``manage.py run_periodic`` loop, so running both never runs a job twice.

The outbox (``anxin.core.outbox``, decision 0040): beat sends ``anxin.outbox.drain`` every
``ANXIN_OUTBOX_POLL_SECONDS``, and a commit that wrote events kicks it at once
(``ANXIN_OUTBOX_KICK``); drains may overlap, each delivery is claimed by one of them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")

app = Celery("anxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="anxin.periodic.run_job")
def run_periodic_job(name: str) -> bool:
    """Thin wrapper: run the named periodic job if its period is due."""
    from anxin.core.periodic import run_by_name

    return run_by_name(name)


@app.task(name="anxin.outbox.drain", ignore_result=True)
def drain_outbox() -> int:
    """Thin wrapper: run the due deliveries of the outbox; how many were handled."""
    from anxin.core.outbox import drain

    return len(drain().done)


def beat_schedule() -> dict:
    """One beat entry per registered periodic job (its own period), and the outbox drain."""
    from django.conf import settings

    from anxin.core.periodic import load_jobs

    schedule = {
        f"periodic:{job.name}": {"task": "anxin.periodic.run_job", "schedule": job.every.total_seconds(), "args": (job.name,)}
        for job in load_jobs()
    }
    schedule["outbox:drain"] = {"task": "anxin.outbox.drain", "schedule": float(settings.ANXIN_OUTBOX_POLL_SECONDS), "args": ()}
    return schedule


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    # Django is set up by the worker/beat before the app finalizes; outside it (e.g. a bare import)
    # there is nothing to schedule.
    try:
        sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **beat_schedule()}
    except Exception:  # noqa: BLE001 - apps not ready: no schedule, and beat would say so
        return
