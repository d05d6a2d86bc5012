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


OPEN_STATUSES = (
    OrderStatus.CREATED,
    OrderStatus.ROUTED,
    OrderStatus.ACCEPTED,
    OrderStatus.ASSIGNED,
    OrderStatus.CONFIRMED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ON_SITE,
    OrderStatus.REJECTED,
)
# Statuses in which the assigned technician is still working the job (full contact details visible).
FIELD_STATUSES = (OrderStatus.ASSIGNED, OrderStatus.CONFIRMED, OrderStatus.EN_ROUTE, OrderStatus.ON_SITE)

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
}


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
