from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints (投诉). The overdue check is a periodic job in ``complaints/jobs.py``."""

    name = "anxin.complaints"
    label = "complaints"
    verbose_name = _("Complaints")
