"""Calls on the 400 hotline as the PBX reports them, and the follow-ups they leave behind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.core.scoping import ScopedQuerySet, ScopePaths
from anxin.telephony.choices import CallState, CallType, Disposition, FollowUpKind, FollowUpOutcome


class Call(models.Model):
    """A hotline call (来电 / 通话记录): reported by the PBX (CTI), bound to the answering agent,
    matched to the customer by caller ID, and logged by the agent with a type and a disposition."""

    call_id = models.CharField(_("PBX call ID"), max_length=64, unique=True)
    caller_number = models.CharField(_("caller number"), max_length=32, db_index=True)
    called_line = models.CharField(_("called line"), max_length=32, blank=True)
    extension = models.CharField(_("extension"), max_length=10, blank=True, db_index=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="calls", verbose_name=_("agent")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("customer")
    )
    region = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    state = models.CharField(_("state"), max_length=10, choices=CallState.choices, default=CallState.RINGING)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    call_type = models.CharField(_("call type"), max_length=24, choices=CallType.choices, blank=True)
    disposition = models.CharField(_("disposition"), max_length=16, choices=Disposition.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    advice = models.TextField(_("advice given"), blank=True)
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("work order")
    )
    dismissed_at = models.DateTimeField(_("pop dismissed at"), null=True, blank=True)
    logged_at = models.DateTimeField(_("logged at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.caller_number} {self.started_at:%Y-%m-%d %H:%M}"

    scope = ScopePaths(region=("region",))

    @property
    def duration_seconds(self) -> int | None:
        if self.answered_at and self.ended_at:
            return max(int((self.ended_at - self.answered_at).total_seconds()), 0)
        return None


class FollowUpTask(models.Model):
    """A follow-up call (回访任务) a hotline call leaves: confirm phone guidance worked, or a complaint."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("call"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_up_tasks", verbose_name=_("assigned to")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=FollowUpOutcome.choices, blank=True)
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("service order")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"
