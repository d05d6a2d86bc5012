"""Fill an empty database with a deterministic demo world (see ``anxin/demo``).

    manage.py seed_demo --scale small --seed 1 [--if-empty]

The same scale and seed always give the same customers and orders. Every seeded account uses the
demo password (``manage.py demo_logins`` prints them).
"""

import dataclasses
import time

from django.core.management.base import BaseCommand, CommandError

from anxin.accounts.models import OrgUnit
from anxin.demo.builder import Builder
from anxin.demo.plan import SCALES, make_plan


class Command(BaseCommand):
    help = "Seed demo data: network, catalog, users, customers and work orders in every status."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the database already has organisation units.")
        parser.add_argument(
            "--bulk-orders-older-than",
            type=float,
            default=None,
            metavar="DAYS",
            help="Insert closed/cancelled orders older than DAYS in bulk instead of through the services "
            "(faster; default: 14 for large, never for the other scales).",
        )

    def handle(self, *args, scale, seed, if_empty, bulk_orders_older_than, **options):
        if OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("seed_demo: the database already has data; nothing to do.")
                return
            raise CommandError("The database is not empty. Seed a fresh database (or run `manage.py flush` first).")
        started = time.monotonic()
        chosen = SCALES[scale]
        if bulk_orders_older_than is not None:
            chosen = dataclasses.replace(chosen, bulk_orders_older_than=bulk_orders_older_than)
        plan = make_plan(chosen, seed)
        self.stdout.write(f"seed_demo: scale={scale} seed={seed}: {len(plan.customers)} customers, {len(plan.orders)} orders")
        verbose = options.get("verbosity", 1) >= 1
        builder = Builder(plan, log=self.stdout.write if verbose else None)
        stats = builder.build()
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(stats.items()) if k != "customers")
        self.stdout.write(self.style.SUCCESS(f"seed_demo: done in {time.monotonic() - started:.1f} s ({statuses})"))
