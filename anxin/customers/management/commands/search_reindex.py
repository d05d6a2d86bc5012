"""Rebuild the customer search index (after a bulk load outside the services)."""

from django.core.management.base import BaseCommand

from anxin.customers.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the customer search index from scratch."

    def handle(self, *args, **options):
        rows = rebuild_index(
            progress=lambda last, n: self.stdout.write(f"customers up to #{last}: {n} index rows") if options["verbosity"] > 1 else None
        )
        self.stdout.write(f"search index rebuilt: {rows} rows")
