"""The embedded background runner: ``manage.py run_periodic`` beside ``runserver`` (make run).

It runs the due periodic jobs (decision 0016) every ``--interval`` seconds and drains the outbox of
domain events (decision 0040) every ``--outbox-interval`` seconds (``ANXIN_OUTBOX_POLL_SECONDS``).
"""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from anxin.core import outbox, periodic


class Command(BaseCommand):
    help = "Run due periodic jobs (SLA escalation, …) and the outbox's event handlers in a loop; --once runs them once and exits."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the due jobs and drain the outbox once, then exit.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between checks for due jobs (default 30).")
        parser.add_argument(
            "--outbox-interval", type=int, default=None, help="Seconds between outbox drains (default ANXIN_OUTBOX_POLL_SECONDS)."
        )
        parser.add_argument("--job", default="", help="Run only this job, due or not (with --once).")

    def handle(self, *args, once: bool = False, interval: int = 30, outbox_interval: int | None = None, job: str = "", **options):
        jobs = periodic.load_jobs()
        if job:
            found = periodic.get_job(job)
            if found is None:
                self.stderr.write(f"unknown job {job}; known: {', '.join(j.name for j in jobs)}")
                return
            periodic.run_job(found, force=True)
            self.stdout.write(f"ran {job}")
            return
        if once:
            ran = periodic.run_due()
            self.stdout.write("ran: " + (", ".join(ran) or "nothing due"))
            self.stdout.write(self._summary(outbox.drain()))
            return
        interval = max(interval, 1)
        outbox_interval = max(outbox_interval or int(settings.ANXIN_OUTBOX_POLL_SECONDS), 1)
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"periodic runner: {len(jobs)} job(s), checking every {interval}s; outbox drained every {outbox_interval}s")
        next_jobs = next_drain = 0.0
        while not stop["now"]:
            clock = time.monotonic()
            if clock >= next_jobs:
                next_jobs = clock + interval
                try:
                    periodic.run_due()
                except Exception as exc:  # noqa: BLE001 - keep the loop alive (e.g. database briefly locked)
                    self.stderr.write(f"periodic runner: {exc}")
            if clock >= next_drain:
                next_drain = clock + outbox_interval
                try:
                    result = outbox.drain()
                    if result:
                        self.stdout.write(self._summary(result))
                except Exception as exc:  # noqa: BLE001 - idem; the deliveries stay pending
                    self.stderr.write(f"outbox drain: {exc}")
            if not stop["now"]:
                time.sleep(1)

    def _summary(self, result: outbox.DrainResult) -> str:
        return f"outbox: {len(result.done)} handled, {len(result.failed)} to retry, {len(result.stuck)} stuck"
