"""Complaint writes (投诉处理). Every status change goes through ``_step`` and leaves a ComplaintEvent.

Deadlines per severity (decision 0017): the first answer (assignment to a handler) is due within
``respond``; the resolution within ``resolve`` of filing. An escalation raises the level by one and
gives the new level a fresh ``respond`` window; at most ``MAX_LEVEL`` (2: HQ).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import User
from anxin.complaints.choices import (
    ACTIVE_STATUSES,
    Category,
    ComplaintChannel,
    ComplaintStatus,
    EventKind,
    ResponsibleParty,
    RootCause,
    Severity,
)
from anxin.complaints.models import Complaint, ComplaintEvent
from anxin.core.audit import audited
from anxin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from anxin.customers.models import Customer
from anxin.orders.models import WorkOrder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    respond: timedelta
    resolve: timedelta


# Settings-free on purpose: the numbers are the service promise printed on the customer card
# and in the quality manual; changing them is a code review, not a form (decision 0017).
DEADLINES: dict[str, Deadline] = {
    Severity.CRITICAL: Deadline(respond=timedelta(hours=4), resolve=timedelta(hours=24)),
    Severity.MAJOR: Deadline(respond=timedelta(hours=24), resolve=timedelta(hours=72)),
    Severity.MINOR: Deadline(respond=timedelta(hours=48), resolve=timedelta(days=7)),
}
MAX_LEVEL = 2  # 0 handler, 1 regional director, 2 HQ (service manager + quality)

CREATE_ROLES = (Role.AGENT, Role.CALLBACK_AGENT, Role.QUALITY, Role.HQ_MANAGER, Role.REGION_DIRECTOR)
HANDLE_ROLES = (Role.QUALITY, Role.HQ_MANAGER, Role.REGION_DIRECTOR)
# The outlet may answer for a complaint against itself; closing stays with region / HQ.
RESOLVE_ROLES = (*HANDLE_ROLES, Role.OUTLET_MANAGER)
REOPEN_ROLES = (*HANDLE_ROLES, Role.AGENT, Role.CALLBACK_AGENT)

# action → (allowed from, roles)
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "assign": (ACTIVE_STATUSES, HANDLE_ROLES),
    "escalate": (ACTIVE_STATUSES, HANDLE_ROLES),
    "resolve": (ACTIVE_STATUSES, RESOLVE_ROLES),
    "close": ((ComplaintStatus.RESOLVED,), HANDLE_ROLES),
    "reopen": ((ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED), REOPEN_ROLES),
}


def deadline_for(severity: str) -> Deadline:
    return DEADLINES[severity]


def available_actions(complaint: Complaint, user) -> list[str]:
    """The guard the detail page uses to show buttons (the services enforce the same table)."""
    names = []
    for name, (sources, roles) in ACTIONS.items():
        if complaint.status in sources and user.has_role(*roles):
            if name == "escalate" and complaint.escalation_level >= MAX_LEVEL:
                continue
            names.append(name)
    return names


@dataclass
class ComplaintInput:
    description: str
    category: str
    severity: str = Severity.MINOR
    channel: str = ComplaintChannel.HOTLINE
    customer_id: int | None = None
    order_id: int | None = None
    technician_id: int | None = None


def _notify(recipients, *, kind: str, title: str, body: str = "", url: str = "", order=None, params: dict | None = None) -> None:
    """Call the notifications app if it is installed (built in parallel). ``title`` is an English
    msgid (gettext_noop) with ``%(name)s`` placeholders from ``params``, translated when shown."""
    try:
        from anxin.notifications.services import notify
    except ImportError:
        logger.info("complaints: notifications app not available; %s not sent", kind)
        return
    recipients = list(recipients)
    if recipients:
        notify(recipients, kind=kind, title=title, body=body, url=url, order=order, params=params or {})


def _url(complaint: Complaint) -> str:
    from django.urls import reverse

    return reverse("complaint_detail", args=[complaint.pk])


def _event(complaint: Complaint, kind: str, actor, *, from_status: str = "", note: str = "", due_at=None, at=None):
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        from_status=from_status,
        to_status=complaint.status,
        level=complaint.escalation_level,
        due_at=due_at if due_at is not None else complaint.due_at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
        note=note[:500],
    )


@transaction.atomic
def complaint_create(*, actor: User, data: ComplaintInput, now: datetime | None = None) -> Complaint:
    """File a complaint. On an order it takes the order's customer, region, outlet and technician
    and opens a follow-up call to the customer, due within the severity's response time."""
    if not actor.has_role(*CREATE_ROLES):
        raise PermissionDenied(_("Your role may not file complaints."))
    now = now or timezone.now()
    errors: dict[str, str] = {}
    order = None
    customer = None
    if data.order_id:
        order = WorkOrder.objects.visible_to(actor).select_related("customer", "outlet", "technician").filter(pk=data.order_id).first()
        if order is None:
            errors["order"] = _("Work order not found.")
        else:
            customer = order.customer
            if data.customer_id and data.customer_id != order.customer_id:
                errors["customer"] = _("The work order belongs to another customer.")
    elif data.customer_id:
        customer = Customer.objects.visible_to(actor).filter(pk=data.customer_id).first()
        if customer is None:
            errors["customer"] = _("Customer not found.")
    else:
        errors["customer"] = _("Choose the customer or the work order the complaint is about.")
    if data.severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    if data.category not in Category.values:
        errors["category"] = _("Choose a category.")
    if data.channel not in ComplaintChannel.values:
        errors["channel"] = _("Unknown channel.")
    if not (data.description or "").strip():
        errors["description"] = _("Describe what the customer complains about.")
    technician = None
    if data.technician_id:
        from anxin.network.models import Technician

        technician = Technician.objects.filter(pk=data.technician_id).select_related("outlet").first()
        if technician is None or (order is not None and order.outlet_id and technician.outlet_id != order.outlet_id):
            errors["technician"] = _("Choose a technician of the order's outlet.")
    if errors:
        raise ValidationFailed(fields=errors)

    outlet = order.outlet if order else (technician.outlet if technician else None)
    technician = technician or (order.technician if order else None)
    region = (order.region if order and order.region_id else None) or (outlet.parent if outlet else None) or customer.region
    if region is None and actor.org_unit and actor.org_unit.kind == OrgKind.REGION:
        region = actor.org_unit
    deadline = deadline_for(data.severity)
    complaint = Complaint(
        customer=customer,
        order=order,
        region=region,
        outlet=outlet,
        technician=technician,
        severity=data.severity,
        category=data.category,
        channel=data.channel,
        description=data.description.strip(),
        due_at=now + deadline.respond,
        follow_up_due_at=now + deadline.respond if order else None,
        created_by=actor,
    )
    audited(complaint, actor, "created").save()
    complaint.number = f"TS{timezone.localtime(now):%Y%m%d}{complaint.pk:06d}"
    Complaint.objects.filter(pk=complaint.pk).update(number=complaint.number)
    _event(complaint, EventKind.CREATED, actor, at=now)
    if order is not None:
        # Decision 0017: telephony.FollowUpTask needs a hotline call and a named agent, which a
        # complaint does not have; the follow-up is this event plus ``follow_up_due_at``.
        _event(
            complaint, EventKind.FOLLOW_UP, actor, due_at=complaint.follow_up_due_at, note=gettext_noop("Call the customer back."), at=now
        )
    return complaint


def _locked(actor: User, complaint_id: int) -> Complaint:
    complaint = Complaint.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=complaint_id).first()
    if complaint is None:
        from anxin.core.errors import NotFound

        raise NotFound(_("Complaint not found."))
    return complaint


def _check(actor: User, complaint: Complaint, action: str) -> None:
    sources, roles = ACTIONS[action]
    if not actor.has_role(*roles):
        raise PermissionDenied(_("Your role may not do this on a complaint."))
    if complaint.status not in sources:
        raise InvalidTransition(_("This is not possible while the complaint is %(status)s.") % {"status": complaint.get_status_display()})


@transaction.atomic
def complaint_assign(*, actor: User, complaint_id: int, assignee_id: int) -> Complaint:
    """Give the complaint a handler: the first answer; the clock then runs to the resolution deadline."""
    complaint = _locked(actor, complaint_id)
    _check(actor, complaint, "assign")
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or not assignee.has_role(*RESOLVE_ROLES):
        raise ValidationFailed(fields={"assignee": _("Choose a handler (quality, HQ, regional director or outlet manager).")})
    if assignee.pk != actor.pk and not Complaint.objects.visible_to(assignee).filter(pk=complaint.pk).exists():
        raise ValidationFailed(fields={"assignee": _("This person cannot see the complaint.")})
    before = complaint.status
    complaint.assigned_to = assignee
    complaint.status = ComplaintStatus.IN_PROGRESS
    if complaint.escalation_level == 0:
        complaint.due_at = complaint.created_at + deadline_for(complaint.severity).resolve
    audited(complaint, actor, "assign").save()
    _event(complaint, EventKind.ASSIGN, actor, from_status=before, note=str(assignee))
    if assignee.pk != actor.pk:
        _notify(
            [assignee],
            kind="complaint.assigned",
            title=gettext_noop("Complaint %(number)s assigned to you"),
            params={"number": complaint.number},
            body=complaint.description[:200],
            url=_url(complaint),
            order=complaint.order,
        )
    return complaint


def _escalation_recipients(complaint: Complaint) -> list[User]:
    users = User.objects.filter(is_active=True)
    if complaint.escalation_level == 1 and complaint.region_id:
        return list(users.filter(role=Role.REGION_DIRECTOR, org_unit_id=complaint.region_id))
    return list(users.filter(role__in=(Role.HQ_MANAGER, Role.QUALITY), org_unit__kind=OrgKind.HQ))


def _escalate(complaint: Complaint, actor, *, now: datetime, note: str) -> Complaint:
    before = complaint.status
    complaint.escalation_level += 1
    complaint.due_at = now + deadline_for(complaint.severity).respond
    audited(complaint, actor, "escalate").save()
    _event(complaint, EventKind.ESCALATE, actor, from_status=before, note=note, at=now)
    _notify(
        _escalation_recipients(complaint),
        kind="complaint.escalated",
        title=gettext_noop("Complaint %(number)s escalated to level %(level)s"),
        params={"number": complaint.number, "level": complaint.escalation_level},
        body=complaint.description[:200],
        url=_url(complaint),
        order=complaint.order,
    )
    return complaint


@transaction.atomic
def complaint_escalate(*, actor: User, complaint_id: int, reason: str = "", now: datetime | None = None) -> Complaint:
    """Raise the level by one (regional director, then HQ) with a fresh response deadline."""
    complaint = _locked(actor, complaint_id)
    _check(actor, complaint, "escalate")
    if complaint.escalation_level >= MAX_LEVEL:
        raise InvalidTransition(_("The complaint is already at the highest escalation level."))
    return _escalate(complaint, actor, now=now or timezone.now(), note=reason.strip())


@transaction.atomic
def complaint_resolve(
    *, actor: User, complaint_id: int, resolution: str, root_cause: str, root_cause_note: str = "", responsible_party: str = ""
) -> Complaint:
    """Record how it was settled; the resolution and the root cause are required."""
    complaint = _locked(actor, complaint_id)
    _check(actor, complaint, "resolve")
    errors: dict[str, str] = {}
    if not (resolution or "").strip():
        errors["resolution"] = _("Say how the complaint was resolved.")
    if root_cause not in RootCause.values:
        errors["root_cause"] = _("Choose the root cause.")
    elif root_cause == RootCause.OTHER and not (root_cause_note or "").strip():
        errors["root_cause_note"] = _("Describe the root cause.")
    if responsible_party and responsible_party not in ResponsibleParty.values:
        errors["responsible_party"] = _("Unknown responsible party.")
    if errors:
        raise ValidationFailed(fields=errors)
    before = complaint.status
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolution = resolution.strip()
    complaint.root_cause = root_cause
    complaint.root_cause_note = (root_cause_note or "").strip()
    complaint.responsible_party = responsible_party
    complaint.resolved_at = timezone.now()
    complaint.due_at = None
    audited(complaint, actor, "resolve").save()
    _event(complaint, EventKind.RESOLVE, actor, from_status=before, note=complaint.get_root_cause_display())
    return complaint


@transaction.atomic
def complaint_close(*, actor: User, complaint_id: int, note: str = "") -> Complaint:
    """Close a resolved complaint (after the customer confirmed, or the quality check)."""
    complaint = _locked(actor, complaint_id)
    _check(actor, complaint, "close")
    before = complaint.status
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = timezone.now()
    audited(complaint, actor, "close").save()
    _event(complaint, EventKind.CLOSE, actor, from_status=before, note=note.strip())
    return complaint


@transaction.atomic
def complaint_reopen(*, actor: User, complaint_id: int, reason: str, now: datetime | None = None) -> Complaint:
    """The customer is not satisfied: back to work, with a new resolution deadline (level kept)."""
    complaint = _locked(actor, complaint_id)
    _check(actor, complaint, "reopen")
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": _("Say why the complaint is reopened.")})
    now = now or timezone.now()
    before = complaint.status
    complaint.status = ComplaintStatus.REOPENED
    complaint.closed_at = None
    complaint.resolved_at = None
    complaint.due_at = now + deadline_for(complaint.severity).resolve
    audited(complaint, actor, "reopen").save()
    _event(complaint, EventKind.REOPEN, actor, from_status=before, note=reason.strip(), at=now)
    return complaint


def escalate_overdue_complaints(now: datetime | None = None) -> int:
    """The periodic check: every active complaint past its deadline goes up one level, once per
    level (the new level gets a new deadline, so a second run finds nothing until it passes too)."""
    now = now or timezone.now()
    count = 0
    candidates = Complaint.objects.filter(status__in=ACTIVE_STATUSES, due_at__lte=now, escalation_level__lt=MAX_LEVEL)
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            complaint = (
                Complaint.objects.select_for_update(of=("self",))
                .filter(pk=pk, status__in=ACTIVE_STATUSES, due_at__lte=now, escalation_level__lt=MAX_LEVEL)
                .first()
            )
            if complaint is None:
                continue  # handled meanwhile
            _escalate(complaint, None, now=now, note=gettext_noop("Deadline passed"))
            count += 1
    return count


ACTION_SERVICES = {
    "assign": complaint_assign,
    "escalate": complaint_escalate,
    "resolve": complaint_resolve,
    "close": complaint_close,
    "reopen": complaint_reopen,
}
