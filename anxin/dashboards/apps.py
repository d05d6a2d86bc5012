from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The home dashboard by role and the role navigation: a surface above the domain apps, it reads
    their figures and links their pages (decision 0044). The UI kit stays in ``anxin.web``."""

    name = "anxin.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")
