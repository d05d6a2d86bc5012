"""Print the demo logins (one per role) seeded by ``manage.py seed_demo``.

manage.py demo_logins            # plain-text table
manage.py demo_logins --markdown # the table of docs/demo-logins.md
"""

from django.core.management.base import BaseCommand

from anxin.accounts.models import User
from anxin.demo.data import DEMO_LOGINS
from anxin.demo.logins import as_markdown, as_text


class Command(BaseCommand):
    help = "Print the demo logins: role, username, password and what to try first."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="Print Markdown (the content of docs/demo-logins.md).")

    def handle(self, *args, markdown, **options):
        if markdown:
            self.stdout.write(as_markdown(), ending="")
            return
        self.stdout.write(as_text())
        missing = [login.username for login in DEMO_LOGINS if not User.objects.filter(username=login.username).exists()]
        if missing:
            self.stdout.write(self.style.WARNING(f"Not in this database: {', '.join(missing)} — run `manage.py seed_demo` first."))
