from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.scoping import ScopedQuerySet, ScopePaths


class SaleReview(models.TextChoices):
    """Whether what a dealer typed for a known customer still waits for an agent (decision 0023)."""

    NONE = "", _("Nothing to confirm")
    PENDING = "pending", pgettext_lazy("sale review", "To confirm")
    CONFIRMED = "confirmed", pgettext_lazy("sale review", "Confirmed")
    DISMISSED = "dismissed", pgettext_lazy("sale review", "Archive kept")


class SaleRegistration(models.Model):
    """A dealer's sale registration (销售登记): the sale entered once at the store becomes the
    customer archive, one appliance per unit sold and, when wanted, one complete-set install order.

    ``items`` is a snapshot of what was registered (model code, quantity, serials), kept as the
    dealer entered it even if the appliances are later edited.
    """

    dealer = models.ForeignKey("accounts.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="sales", verbose_name=_("customer"))
    purchase_date = models.DateField(_("purchase date"))
    store_name = models.CharField(_("store"), max_length=100, blank=True)
    invoice_no = models.CharField(_("invoice number"), max_length=40, blank=True)
    install_wanted = models.BooleanField(_("install wanted"), default=True)
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("install order")
    )
    appliances = models.ManyToManyField("customers.Appliance", related_name="+", verbose_name=_("appliances"))
    items = models.JSONField(_("items"), default=list)
    # What the dealer typed, kept apart from the archive: a dealer sees of a customer only this
    # (decision 0023). ``phones`` are the normalised numbers.
    customer_name = models.CharField(_("customer name as entered"), max_length=50, blank=True)
    phones = models.JSONField(_("phones as entered"), default=list, blank=True)
    address = models.CharField(_("address as entered"), max_length=200, blank=True)
    # Name, numbers or address that differ from the archive's customer wait for an agent.
    review = models.CharField(_("confirmation"), max_length=10, choices=SaleReview.choices, blank=True, default=SaleReview.NONE)
    differences = models.JSONField(_("differences from the archive"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmed by")
    )
    reviewed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sale registration")
        verbose_name_plural = _("sale registrations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dealer", "created_at"]),
            models.Index(fields=["review", "created_at"], name="sale_review_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.dealer} · {self.customer} · {self.purchase_date}"

    @property
    def unit_count(self) -> int:
        return sum(int(item.get("quantity", 0)) for item in self.items)

    scope = ScopePaths(region=("dealer__parent",), dealer=("dealer",))
