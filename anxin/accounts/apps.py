from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "anxin.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from anxin.accounts import identity

        identity.connect()  # a saved user, unit or token drops its cached copy (decision 0050)
