from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "anxin.feedback"
    label = "feedback"
    verbose_name = _("Callbacks and feedback")

    def ready(self) -> None:
        # What this app shows on the customer pages (customers never import it, decision 0044).
        from anxin.feedback import customer_panels

        customer_panels.register()
        # Orders' registration point (orders never imports feedback): records callbacks for the order steps.
        from anxin.feedback import order_hooks

        order_hooks.register()
