"""Complaints (投诉): linked to customer, order, outlet and technician; escalated by deadline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import Role
from anxin.complaints.choices import (
    ACTIVE_STATUSES,
    SEVERITY_TONE,
    STATUS_TONE,
    Category,
    ComplaintChannel,
    ComplaintStatus,
    EventKind,
    ResponsibleParty,
    RootCause,
    Severity,
)
from anxin.core.scoping import ScopedQuerySet, ScopePaths


class Complaint(models.Model):
    """A customer complaint (投诉) about a service, an outlet or a technician.

    ``escalation_level`` 0 is the handler; 1 the regional director; 2 HQ (service manager and
    quality). ``due_at`` is the deadline of the current level (see services.DEADLINES)."""

    number = models.CharField(_("complaint number"), max_length=24, unique=True, null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer"))
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("work order")
    )
    region = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    outlet = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="outlet_complaints", verbose_name=_("outlet")
    )
    technician = models.ForeignKey(
        "network.Technician", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("technician")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=ComplaintChannel.choices, default=ComplaintChannel.HOTLINE)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handler")
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    # A complaint on an order opens a follow-up call to the customer (callback agents), due here.
    follow_up_due_at = models.DateTimeField(_("follow-up due at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    root_cause = models.CharField(_("root cause"), max_length=24, choices=RootCause.choices, blank=True)
    root_cause_note = models.TextField(_("root cause details"), blank=True)
    responsible_party = models.CharField(_("responsible party"), max_length=12, choices=ResponsibleParty.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def status_tone(self) -> str:
        return STATUS_TONE.get(self.status, "grey")

    @property
    def severity_tone(self) -> str:
        return SEVERITY_TONE.get(self.severity, "grey")

    @property
    def is_overdue(self) -> bool:
        return self.status in ACTIVE_STATUSES and self.due_at is not None and self.due_at <= timezone.now()

    # HQ (quality, service manager…) sees all; a region its own and its outlets'; an outlet manager
    # the complaints against the outlet; technicians and dealers none (decision 0017).
    scope = ScopePaths(region=("region", "outlet__parent"), outlet=("outlet",), outlet_roles=(Role.OUTLET_MANAGER,))


class ComplaintEvent(models.Model):
    """One step of a complaint (投诉处理记录): filed, assigned, escalated, resolved, closed, reopened,
    and the follow-up call it opened — who, when, from, to, why."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint"))
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.kind}"
