from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    MINOR = "minor", pgettext_lazy("complaint severity", "Minor")
    MAJOR = "major", pgettext_lazy("complaint severity", "Major")
    CRITICAL = "critical", pgettext_lazy("complaint severity", "Critical")


class Category(models.TextChoices):
    ATTITUDE = "attitude", _("Service attitude")
    TIMELINESS = "timeliness", _("Timeliness")
    QUALITY = "quality", _("Repair / install quality")
    CHARGES = "charges", _("Charges")
    OTHER = "other", pgettext_lazy("complaint category", "Other")


class ComplaintChannel(models.TextChoices):
    HOTLINE = "hotline", _("400 hotline")
    CALLBACK = "callback", _("Callback survey")
    PORTAL = "portal", _("Customer portal")
    LETTER = "letter", _("Letter / e-mail")
    OTHER = "other", pgettext_lazy("complaint channel", "Other")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("complaint status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("complaint status", "Resolved")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")
    REOPENED = "reopened", pgettext_lazy("complaint status", "Reopened")


# Statuses in which the complaint's clock runs (due_at set, escalation possible).
ACTIVE_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS, ComplaintStatus.REOPENED)

STATUS_TONE = {
    ComplaintStatus.OPEN: "red",
    ComplaintStatus.IN_PROGRESS: "amber",
    ComplaintStatus.RESOLVED: "green",
    ComplaintStatus.CLOSED: "dark",
    ComplaintStatus.REOPENED: "red",
}
SEVERITY_TONE = {Severity.MINOR: "grey", Severity.MAJOR: "amber", Severity.CRITICAL: "red"}


class RootCause(models.TextChoices):
    TECHNICIAN_SKILL = "technician_skill", _("Technician skill")
    TECHNICIAN_CONDUCT = "technician_conduct", _("Technician conduct")
    LATE_VISIT = "late_visit", _("Late or missed visit")
    PARTS_SHORTAGE = "parts_shortage", _("Parts shortage")
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    CHARGING_ERROR = "charging_error", _("Wrong or unexplained charge")
    COMMUNICATION = "communication", _("Communication / information")
    CUSTOMER_EXPECTATION = "customer_expectation", _("Customer expectation beyond policy")
    OTHER = "other", pgettext_lazy("root cause", "Other")


class ResponsibleParty(models.TextChoices):
    TECHNICIAN = "technician", _("Technician")
    OUTLET = "outlet", _("Outlet")
    CALL_CENTER = "call_center", _("Call center")
    REGION = "region", _("Regional center")
    PRODUCT = "product", _("Product / factory")
    CUSTOMER = "customer", _("Customer")
    NONE = "none", _("No one at fault")


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("complaint event", "Filed")
    FOLLOW_UP = "follow_up", pgettext_lazy("complaint event", "Follow-up due")
    ASSIGN = "assign", pgettext_lazy("complaint event", "Assigned")
    ESCALATE = "escalate", pgettext_lazy("complaint event", "Escalated")
    RESOLVE = "resolve", pgettext_lazy("complaint event", "Resolved")
    CLOSE = "close", pgettext_lazy("complaint event", "Closed")
    REOPEN = "reopen", pgettext_lazy("complaint event", "Reopened")
