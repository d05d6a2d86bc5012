from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "anxin.telephony"
    label = "telephony"
    verbose_name = _("Telephony (400 hotline)")

    def ready(self) -> None:
        # What this app shows on the customer pages (customers never import it, decision 0044).
        from anxin.telephony import customer_links

        customer_links.register()
        # Orders' registration point (orders never imports telephony): links an order registered from a call to the call.
        from anxin.telephony import order_links

        order_links.register()
