"""The embedded periodic-job runner: ``manage.py run_periodic`` beside ``runserver`` (make run)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand

from anxin.core import periodic


class Command(BaseCommand):
    help = "Run due periodic jobs (SLA escalation, …) in a loop; --once runs them once and exits."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the due jobs once and exit.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between checks (default 30).")
        parser.add_argument("--job", default="", help="Run only this job, due or not (with --once).")

    def handle(self, *args, once: bool = False, interval: int = 30, job: str = "", **options):
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
            return
        stop = {"now": False}

        def _stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"periodic runner: {len(jobs)} job(s), checking every {interval}s")
        while not stop["now"]:
            try:
                periodic.run_due()
            except Exception as exc:  # noqa: BLE001 - keep the loop alive (e.g. database briefly locked)
                self.stderr.write(f"periodic runner: {exc}")
            for _ in range(max(interval, 1)):
                if stop["now"]:
                    break
                time.sleep(1)
