from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo-data builder and its commands (``seed_demo``, ``demo_logins``): the top layer, it may
    call every app's services (decision 0043)."""

    name = "anxin.demo"
    label = "demo"
    verbose_name = _("Demo data")
