from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import OrgKind, Role
from anxin.core.scoping import ScopedQuerySet
from anxin.orders.choices import STATUS_TONE, Channel, OrderStatus, OrderType, Priority, Satisfaction


class WorkOrder(models.Model):
    """A work order (工单): one visit promise to a customer, covering one or more appliances (lines)."""

    number = models.CharField(_("order number"), max_length=24, unique=True, null=True, blank=True)
    order_type = models.CharField(_("type"), max_length=20, choices=OrderType.choices, default=OrderType.REPAIR)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.HOTLINE)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.CREATED, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    address = models.ForeignKey("customers.CustomerAddress", on_delete=models.PROTECT, related_name="orders", verbose_name=_("address"))
    is_vip = models.BooleanField(_("VIP"), default=False)
    region = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="region_orders", verbose_name=_("region")
    )
    outlet = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="outlet_orders", verbose_name=_("outlet")
    )
    technician = models.ForeignKey(
        "network.Technician", on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("technician")
    )
    dealer = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="dealer_orders", verbose_name=_("dealer")
    )

    description = models.TextField(_("description"), blank=True)
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    visit_deadline = models.DateTimeField(_("visit deadline"), null=True, blank=True)
    routing_note = models.CharField(_("routing note"), max_length=200, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["outlet", "status"]),
            models.Index(fields=["region", "status"]),
            models.Index(fields=["technician", "status"]),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def status_tone(self) -> str:
        return STATUS_TONE.get(self.status, "grey")

    @property
    def required_level(self) -> int:
        """The highest difficulty among the lines' fault codes (1 when none is known yet)."""
        levels = [line.fault_code.difficulty for line in self.lines.all() if line.fault_code_id]
        return max(levels, default=1)

    @classmethod
    def scope_q(cls, user):
        if user.sees_everything:
            return None
        unit = user.org_unit
        if unit.kind == OrgKind.REGION:
            return Q(region=unit) | Q(outlet__parent=unit)
        if unit.kind == OrgKind.OUTLET:
            if user.role == Role.TECHNICIAN:
                return Q(technician__user=user)
            return Q(outlet=unit)
        if unit.kind == OrgKind.DEALER:
            return Q(dealer=unit)
        return Q(pk__in=[])


class OrderLine(models.Model):
    """One appliance on a work order (工单明细): the customer's symptom and, later, the diagnosed fault."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("work order"))
    appliance = models.ForeignKey(
        "customers.Appliance", on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines", verbose_name=_("appliance")
    )
    product_model = models.ForeignKey("catalog.ProductModel", on_delete=models.PROTECT, related_name="+", verbose_name=_("model"))
    symptom = models.CharField(_("symptom"), max_length=200, blank=True)
    fault_code = models.ForeignKey(
        "catalog.FaultCode", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("fault code")
    )
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)
    in_warranty = models.BooleanField(_("in warranty"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order} {self.product_model}"


class StatusChange(models.Model):
    """One step of an order through the state machine (状态变更): who, when, from, to, why."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("work order"))
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.from_status}→{self.to_status}"
