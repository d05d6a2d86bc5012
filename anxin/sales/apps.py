from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "anxin.sales"
    label = "sales"
    verbose_name = _("Dealer sales")

    def ready(self) -> None:
        # What this app shows on the customer pages (customers never import it, decision 0044).
        from anxin.sales import customer_panels

        customer_panels.register()
