from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import OrgKind
from anxin.core.models import ChoiceLabels
from anxin.core.scoping import ChildUnits, ScopedQuerySet, ScopePaths
from anxin.network.choices import Grade
from anxin.orders.choices import (
    OPEN_STATUSES,
    STATUS_TONE,
    ApprovalDecision,
    AttachmentKind,
    Channel,
    ConfirmationMethod,
    HazardType,
    OrderStatus,
    OrderType,
    Priority,
    ReturnKind,
    Satisfaction,
    SlaClock,
)

# The partial indexes on running visit clocks hold only the rows whose clock runs.
RUNNING_CLOCK = Q(open_visit_deadline__isnull=False)


class WorkOrder(ChoiceLabels, models.Model):
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
    notes = models.TextField(_("internal notes"), blank=True)
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    # SLA (orders.sla): the policy that applied and the deadlines computed from it on create / re-plan.
    sla_policy = models.ForeignKey(
        "orders.SlaPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("SLA policy")
    )
    accept_deadline = models.DateTimeField(_("accept deadline"), null=True, blank=True)
    visit_deadline = models.DateTimeField(_("visit deadline"), null=True, blank=True, db_index=True)
    # When the visit clock turns "at risk" (25 % of the time left): stored so lists filter on an index.
    visit_risk_at = models.DateTimeField(_("visit at risk from"), null=True, blank=True)
    # The visit deadline while the visit clock runs (open, nobody checked in yet), else NULL: kept by
    # the database itself, so the SLA lists walk a small partial index of running clocks instead of
    # a million closed orders (docs/decisions/0020-running-visit-clock-column.md).
    open_visit_deadline = models.GeneratedField(
        expression=Case(
            When(Q(status__in=OPEN_STATUSES, checked_in_at__isnull=True), then=F("visit_deadline")),
            default=None,
            output_field=models.DateTimeField(null=True),
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
        verbose_name=_("running visit deadline"),
    )
    onsite_minutes = models.PositiveIntegerField(_("on-site standard (minutes)"), null=True, blank=True)
    # Check-in + the on-site standard, set at each check-in: the escalation job's on-site clock.
    onsite_deadline = models.DateTimeField(_("on-site deadline"), null=True, blank=True)
    callback_deadline = models.DateTimeField(_("callback deadline"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Return / exchange (退换货): what the customer asked for and the approval decision.
    return_kind = models.CharField(_("return or exchange"), max_length=10, choices=ReturnKind.choices, blank=True)
    approval = models.CharField(_("approval"), max_length=10, choices=ApprovalDecision.choices, blank=True)
    # Field facts: visits made, first-time fix, hazard found on site, repeat of an earlier repair.
    visit_count = models.PositiveSmallIntegerField(_("visits"), default=0)
    first_time_fix = models.BooleanField(_("first-time fix"), null=True, blank=True)
    hazard_type = models.CharField(_("safety hazard"), max_length=20, choices=HazardType.choices, blank=True)
    hazard_note = models.CharField(_("hazard details"), max_length=300, blank=True)
    is_repeat = models.BooleanField(_("repeat repair"), default=False, db_index=True)
    routing_note = models.CharField(_("routing note"), max_length=200, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "open_visit_deadline"])
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["technician", "status"]),
            # The queues and their SLA views (status, then the visit deadline) per scope: HQ, region,
            # outlet (docs/decisions/0019-order-list-at-scale.md). They replace (outlet, status) and
            # (region, status), their prefixes.
            models.Index(fields=["status", "visit_deadline"], name="orders_wo_status_deadline"),
            models.Index(fields=["outlet", "status", "visit_deadline"], name="orders_wo_outlet_deadline"),
            models.Index(fields=["region", "status", "visit_deadline"], name="orders_wo_region_deadline"),
            # Running visit clocks only (a few thousand rows of a million): the SLA queues, the
            # urgency order and the escalation job (decision 0020).
            models.Index(fields=["open_visit_deadline"], name="orders_wo_running_clock", condition=RUNNING_CLOCK),
            models.Index(fields=["outlet", "open_visit_deadline"], name="orders_wo_outlet_clock", condition=RUNNING_CLOCK),
            models.Index(fields=["region", "open_visit_deadline"], name="orders_wo_region_clock", condition=RUNNING_CLOCK),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        order = super().from_db(db, field_names, values)
        # The row as it was read (Django's documented pattern; references only, nothing copied): a
        # step compares it with what it wrote to tell which fields it set and whose job list it
        # touched (``orders.workflow.changes``, decisions 0048 and 0049).
        order._loaded = (field_names, values)
        return order

    @property
    def status_tone(self) -> str:
        return STATUS_TONE.get(self.status, "grey")

    @property
    def required_level(self) -> int:
        """The grade level this order needs: its hardest known fault, and for a VIP customer at
        least the graded-dispatch policy's minimum (``orders.grading``, the one rule)."""
        from anxin.orders.workflow.grading import order_required_level

        return order_required_level(lines=self.lines.all(), is_vip=self.is_vip)

    # The region's outlets as a subquery, not a join: the planner can then use the
    # (region, status, …) and (outlet, status, …) indexes (decision 0019).
    scope = ScopePaths(
        region=("region", ChildUnits("outlet_id", kind=OrgKind.OUTLET)),
        outlet=("outlet",),
        technician=("technician__user",),
        dealer=("dealer",),
    )


class OrderLine(ChoiceLabels, models.Model):
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
    cause = models.CharField(_("cause"), max_length=200, blank=True)
    resolution = models.CharField(_("action taken"), max_length=200, blank=True)
    in_warranty = models.BooleanField(_("in warranty"), default=False)
    # Why in warranty: "policy" (purchase date + category policy), "contract" (extended warranty /
    # maintenance contract), "" when out of warranty.
    warranty_basis = models.CharField(_("warranty basis"), max_length=10, blank=True)
    contract = models.ForeignKey(
        "customers.ServiceContract", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("contract")
    )
    repeat_of = models.ForeignKey(
        WorkOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="repeated_by", verbose_name=_("repeat of")
    )
    # Out of warranty the customer accepts a quote before work starts.
    quote_amount = models.DecimalField(_("quote"), max_digits=10, decimal_places=2, null=True, blank=True)
    quote_accepted = models.BooleanField(_("quote accepted"), null=True, blank=True)
    charge_total = models.DecimalField(_("charged to customer"), max_digits=10, decimal_places=2, default=0)

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


class LinePart(models.Model):
    """A spare part used on a line (completion report); stock movements come with the parts issue."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="parts", verbose_name=_("order line"))
    part = models.ForeignKey("catalog.SparePart", on_delete=models.PROTECT, related_name="+", verbose_name=_("spare part"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2, default=0)
    charged = models.DecimalField(_("charged"), max_digits=10, decimal_places=2, default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.part} × {self.quantity}"


class LineLabour(models.Model):
    """A labour item done on a line (completion report)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="labour", verbose_name=_("order line"))
    item = models.ForeignKey("catalog.LabourItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("labour item"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=0)
    charged = models.DecimalField(_("charged"), max_digits=10, decimal_places=2, default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("labour done")
        verbose_name_plural = _("labour done")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class CompletionReport(models.Model):
    """What the technician reports when the job is done (完工报告): the 1+5 checklist, hazards, the
    customer's confirmation. Per-line facts (fault, cause, action, parts, labour, charges) are on the lines.

    ``checklist`` maps each ChecklistItem value ("A".."E") to ``{"done": bool, "reason": str}``."""

    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="completion", verbose_name=_("work order"))
    checklist = models.JSONField(_("1+5 checklist"), default=dict)
    confirmation_method = models.CharField(_("customer confirmation"), max_length=10, choices=ConfirmationMethod.choices)
    signature = models.ForeignKey(
        "orders.Attachment", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("signature")
    )
    sms_code_verified_at = models.DateTimeField(_("SMS code verified at"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("completion report")
        verbose_name_plural = _("completion reports")

    def __str__(self) -> str:
        return f"{self.order}"


def attachment_path(instance, filename: str) -> str:
    return f"orders/{instance.order_id}/{filename}"


class Attachment(models.Model):
    """A file on an order (images, PDFs; type and size checked by orders.attachments)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("work order"))
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments", verbose_name=_("order line")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.PHOTO)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SlaPolicy(models.Model):
    """One row of the configurable SLA policy table (服务时效). Blank criteria match anything; of the
    active rows that match an order, the most specific wins (most criteria filled, then lowest id)."""

    name = models.CharField(_("name"), max_length=100)
    order_type = models.CharField(_("type"), max_length=20, choices=OrderType.choices, blank=True)
    market_tier = models.PositiveSmallIntegerField(_("market tier"), null=True, blank=True)
    customer_group = models.CharField(_("customer group"), max_length=20, blank=True)
    service_level = models.CharField(_("service level"), max_length=1, blank=True)
    accept_hours = models.DecimalField(_("time to accept (hours)"), max_digits=6, decimal_places=2, default=2)
    visit_hours = models.DecimalField(_("visit deadline (hours)"), max_digits=6, decimal_places=2, default=48)
    onsite_minutes = models.PositiveIntegerField(_("on-site standard (minutes, first line)"), default=60)
    onsite_minutes_per_extra_line = models.PositiveIntegerField(_("on-site minutes per further line"), default=60)
    callback_hours = models.DecimalField(_("callback within (hours)"), max_digits=6, decimal_places=2, default=72)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order_type", "market_tier", "id"]

    def __str__(self) -> str:
        return self.name


class Escalation(models.Model):
    """One escalation of one SLA clock of an order to one level (1 outlet manager, 2 regional director),
    sent once: the unique constraint is what makes the periodic job safe to run again."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("work order"))
    clock = models.CharField(_("clock"), max_length=10, choices=SlaClock.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    state = models.CharField(_("state"), max_length=10)  # at_risk / breached when it was sent
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "clock", "level"], name="escalation_once_per_level")]

    def __str__(self) -> str:
        return f"{self.order} {self.clock} L{self.level}"


class GradePolicy(models.Model):
    """The graded-dispatch policy (分级派工规则) HQ sets: the lowest technician grade that serves a
    VIP customer (DOMAIN.md: "VIP customers get senior technicians"; A by default). One row, seeded
    by the migration and edited on the SLA policies page; read by ``orders.grading``."""

    vip_min_grade = models.CharField(_("lowest grade for VIP customers"), max_length=2, choices=Grade.choices, default=Grade.A)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("graded-dispatch policy")
        verbose_name_plural = _("graded-dispatch policies")

    def __str__(self) -> str:
        return str(_("VIP customers: grade %(grade)s or above") % {"grade": self.vip_min_grade})
