"""``manage.py create_api_token <username> <name>``: create an API token and print the raw secret once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from anxin.accounts.models import User
from anxin.accounts.services import api_token_create
from anxin.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token acts as (it sees exactly what they see).")
        parser.add_argument("name", help="The integration that uses the token, e.g. 'PBX screen pop'.")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires (default ANXIN_API_TOKEN_DAYS).")

    def handle(self, *args, username: str, name: str, days: int | None = None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, raw = api_token_create(actor=None, user=user, name=name, days=days)
        except ApplicationError as exc:
            details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.fields.items())
            raise CommandError(details or str(exc.message)) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {user.username} ({token.name}), expires {token.expires_at:%Y-%m-%d};"
            " store it now, it is not shown again:"
        )
        self.stdout.write(raw)
