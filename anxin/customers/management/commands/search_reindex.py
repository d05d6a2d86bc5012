"""Rebuild the customer search index (after a bulk load outside the services)."""

from django.core.management.base import BaseCommand

from anxin.customers.models import Customer, SearchToken
from anxin.customers.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the customer search index from scratch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="only when there are customers but no index rows (a database loaded before the index existed)",
        )

    def handle(self, *args, **options):
        if options["if_missing"] and (SearchToken.objects.exists() or not Customer.objects.exists()):
            return
        rows = rebuild_index(
            progress=lambda last, n: self.stdout.write(f"customers up to #{last}: {n} index rows") if options["verbosity"] > 1 else None
        )
        self.stdout.write(f"search index rebuilt: {rows} rows")
