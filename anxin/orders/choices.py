from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderType(models.TextChoices):
    INSTALL = "install", pgettext_lazy("order type", "Install")
    REPAIR = "repair", pgettext_lazy("order type", "Repair")
    MAINTENANCE = "maintenance", pgettext_lazy("order type", "Maintenance")
    DESIGN_SURVEY = "design_survey", pgettext_lazy("order type", "Design survey")
    INSPECTION = "inspection", pgettext_lazy("order type", "Inspection")
    RETURN_EXCHANGE = "return_exchange", pgettext_lazy("order type", "Return / exchange")
    PROJECT = "project", pgettext_lazy("order type", "Project service")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("400 hotline")
    DEALER = "dealer", _("Dealer")
    PORTAL = "portal", _("Customer portal")
    CARE = "care", _("Proactive care")
    API = "api", _("API")


class Priority(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class OrderStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("order status", "Created")
    ROUTED = "routed", pgettext_lazy("order status", "Routed")
    ACCEPTED = "accepted", pgettext_lazy("order status", "Accepted")
    ASSIGNED = "assigned", pgettext_lazy("order status", "Assigned")
    CONFIRMED = "confirmed", pgettext_lazy("order status", "Appointment confirmed")
    EN_ROUTE = "en_route", pgettext_lazy("order status", "En route")
    ON_SITE = "on_site", pgettext_lazy("order status", "On site")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CALLBACK_DONE = "callback_done", pgettext_lazy("order status", "Callback done")
    CLOSED = "closed", pgettext_lazy("order status", "Closed")
    REJECTED = "rejected", pgettext_lazy("order status", "Rejected by outlet")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    # Side states
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("order status", "Awaiting approval")
    RESOLVED_BY_PHONE = "resolved_by_phone", pgettext_lazy("order status", "Resolved by phone")
    PENDING_PARTS = "pending_parts", pgettext_lazy("order status", "Pending parts")
    REVISIT = "revisit", pgettext_lazy("order status", "Revisit needed")
    INSTALL_REFUSED = "install_refused", pgettext_lazy("order status", "Install refused (unsafe)")


OPEN_STATUSES = (
    OrderStatus.CREATED,
    OrderStatus.ROUTED,
    OrderStatus.ACCEPTED,
    OrderStatus.ASSIGNED,
    OrderStatus.CONFIRMED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ON_SITE,
    OrderStatus.REJECTED,
    OrderStatus.PENDING_APPROVAL,
    OrderStatus.PENDING_PARTS,
    OrderStatus.REVISIT,
    OrderStatus.INSTALL_REFUSED,
)
# Statuses in which the assigned technician is still working the job (full contact details visible).
FIELD_STATUSES = (
    OrderStatus.ASSIGNED,
    OrderStatus.CONFIRMED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ON_SITE,
    OrderStatus.PENDING_PARTS,
    OrderStatus.REVISIT,
)
# The work is done (or settled without a visit): the callback clock runs from here.
DONE_STATUSES = (OrderStatus.COMPLETED, OrderStatus.RESOLVED_BY_PHONE)

# Badge colour per status: one scheme everywhere (see web/static/anxin/app.css).
STATUS_TONE = {
    OrderStatus.CREATED: "grey",
    OrderStatus.ROUTED: "blue",
    OrderStatus.ACCEPTED: "blue",
    OrderStatus.ASSIGNED: "indigo",
    OrderStatus.CONFIRMED: "indigo",
    OrderStatus.EN_ROUTE: "amber",
    OrderStatus.ON_SITE: "amber",
    OrderStatus.COMPLETED: "green",
    OrderStatus.CALLBACK_DONE: "green",
    OrderStatus.CLOSED: "dark",
    OrderStatus.REJECTED: "red",
    OrderStatus.CANCELLED: "dark",
    OrderStatus.PENDING_APPROVAL: "amber",
    OrderStatus.RESOLVED_BY_PHONE: "green",
    OrderStatus.PENDING_PARTS: "red",
    OrderStatus.REVISIT: "red",
    OrderStatus.INSTALL_REFUSED: "red",
}


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ReturnKind(models.TextChoices):
    RETURN = "return", _("Return (refund)")
    EXCHANGE = "exchange", _("Exchange")


class ChecklistItem(models.TextChoices):
    """The 1+5 service items (一站式服务): done, or not applicable with a reason."""

    SAFETY = "A", _("A · Safety electrical test")
    GUIDANCE = "B", _("B · Usage guidance")
    MAINTENANCE = "C", _("C · Maintenance")
    ONE_STOP = "D", _("D · One-stop check of other appliances")
    CLEAN_UP = "E", _("E · Site clean-up")


class HazardType(models.TextChoices):
    NONE = "", _("None found")
    UNSAFE_WIRING = "unsafe_wiring", _("Unsafe wiring")
    NO_EARTH = "no_earth", _("No earth / grounding")
    GAS = "gas", _("Gas leak risk")
    WATER = "water", _("Water leak / damp")
    STRUCTURE = "structure", _("Unsafe mounting structure")
    OTHER = "other", _("Other")


class ConfirmationMethod(models.TextChoices):
    SIGNATURE = "signature", _("Signature")
    SMS_CODE = "sms_code", _("SMS code")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SIGNATURE = "signature", _("Signature")
    DOCUMENT = "document", _("Document")


class SlaClock(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    VISIT = "visit", _("Visit")
    ONSITE = "onsite", _("On site")
    CALLBACK = "callback", _("Callback")
