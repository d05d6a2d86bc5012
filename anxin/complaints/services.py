"""Complaint writes (投诉处理). Every step is declared on the complaint machine (``COMPLAINT_MACHINE``,
the kit ``core.statemachine``, decision 0041): the row is locked through the actor's scope, the role
and status checked, the step applied, audited, recorded as a ComplaintEvent and published as
``complaint.<action>``; the services add what a step tells people (notifications).

Deadlines per severity (decision 0017): the first answer (assignment to a handler) is due within
``respond``; the resolution within ``resolve`` of filing. An escalation raises the level by one and
gives the new level a fresh ``respond`` window; at most ``MAX_LEVEL`` (2: HQ).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

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
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from anxin.core.statemachine import SYSTEM, Machine, Transition
from anxin.customers.models import Customer
from anxin.network.models import Technician
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


def deadline_for(severity: str) -> Deadline:
    return DEADLINES[severity]


def available_actions(complaint: Complaint, user) -> list[str]:
    """The guard the detail page uses to show buttons (the machine enforces the same table)."""
    return [t.action for t in COMPLAINT_MACHINE.available_actions(complaint, user)]


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


# --- the complaint machine -------------------------------------------------------------------


def _apply_assign(complaint: Complaint, data: dict, actor) -> dict:
    assignee = User.objects.filter(pk=data["assignee_id"], is_active=True).first()
    if assignee is None or not assignee.has_role(*RESOLVE_ROLES):
        raise ValidationFailed(fields={"assignee": _("Choose a handler (quality, HQ, regional director or outlet manager).")})
    if assignee.pk != actor.pk and not Complaint.objects.visible_to(assignee).filter(pk=complaint.pk).exists():
        raise ValidationFailed(fields={"assignee": _("This person cannot see the complaint.")})
    complaint.assigned_to = assignee
    if complaint.escalation_level == 0:
        complaint.due_at = complaint.created_at + deadline_for(complaint.severity).resolve
    return {"note": str(assignee)}


def _apply_escalate(complaint: Complaint, data: dict, actor) -> dict:
    now = data.get("now") or timezone.now()
    complaint.escalation_level += 1
    complaint.due_at = now + deadline_for(complaint.severity).respond
    return {"note": data.get("note", ""), "at": now}


def _apply_resolve(complaint: Complaint, data: dict, actor) -> dict:
    resolution, root_cause = data.get("resolution") or "", data.get("root_cause") or ""
    root_cause_note, responsible_party = data.get("root_cause_note") or "", data.get("responsible_party") or ""
    errors: dict[str, str] = {}
    if not resolution.strip():
        errors["resolution"] = _("Say how the complaint was resolved.")
    if root_cause not in RootCause.values:
        errors["root_cause"] = _("Choose the root cause.")
    elif root_cause == RootCause.OTHER and not root_cause_note.strip():
        errors["root_cause_note"] = _("Describe the root cause.")
    if responsible_party and responsible_party not in ResponsibleParty.values:
        errors["responsible_party"] = _("Unknown responsible party.")
    if errors:
        raise ValidationFailed(fields=errors)
    complaint.resolution = resolution.strip()
    complaint.root_cause = root_cause
    complaint.root_cause_note = root_cause_note.strip()
    complaint.responsible_party = responsible_party
    complaint.resolved_at = timezone.now()
    complaint.due_at = None
    return {"note": complaint.get_root_cause_display()}


def _apply_close(complaint: Complaint, data: dict, actor) -> dict:
    complaint.closed_at = timezone.now()
    return {"note": (data.get("note") or "").strip()}


def _apply_reopen(complaint: Complaint, data: dict, actor) -> dict:
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Say why the complaint is reopened.")})
    now = data.get("now") or timezone.now()
    complaint.closed_at = None
    complaint.resolved_at = None
    complaint.due_at = now + deadline_for(complaint.severity).resolve
    return {"note": reason, "at": now}


def _top_level(complaint: Complaint) -> str:
    if complaint.escalation_level >= MAX_LEVEL:
        return _("The complaint is already at the highest escalation level.")
    return ""


def _role_of(user) -> str:
    if user is None:
        return SYSTEM  # the periodic escalation of overdue complaints
    return Role.HQ_MANAGER if user.is_superuser else user.role


def _record(complaint: Complaint, step) -> None:
    _event(complaint, step.action, step.actor, from_status=step.from_status, note=step.recorded.get("note", ""), at=step.recorded.get("at"))


COMPLAINT_MACHINE = Machine(
    model=Complaint,
    transitions=(
        Transition("assign", EventKind.ASSIGN.label, ACTIVE_STATUSES, ComplaintStatus.IN_PROGRESS, HANDLE_ROLES, apply=_apply_assign),
        # Escalating keeps the status; overdue complaints are escalated by the system (the periodic job).
        Transition(
            "escalate", EventKind.ESCALATE.label, ACTIVE_STATUSES, None, (*HANDLE_ROLES, SYSTEM), apply=_apply_escalate, guard=_top_level
        ),
        Transition("resolve", EventKind.RESOLVE.label, ACTIVE_STATUSES, ComplaintStatus.RESOLVED, RESOLVE_ROLES, apply=_apply_resolve),
        Transition("close", EventKind.CLOSE.label, (ComplaintStatus.RESOLVED,), ComplaintStatus.CLOSED, HANDLE_ROLES, apply=_apply_close),
        Transition(
            "reopen",
            EventKind.REOPEN.label,
            (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED),
            ComplaintStatus.REOPENED,
            REOPEN_ROLES,
            apply=_apply_reopen,
        ),
    ),
    role_of=_role_of,
    record=_record,
    event="complaint",
    version_field=None,
    not_found=gettext_lazy("Complaint not found."),
    wrong_status=lambda t, c: _("This is not possible while the complaint is %(status)s.") % {"status": c.get_status_display()},
    forbidden=lambda t, c: _("Your role may not do this on a complaint."),
    role_first=True,  # a role that may not act is told so whatever the complaint's status
)


def _take(action: str, actor, complaint_id: int, **data) -> Complaint:
    return COMPLAINT_MACHINE.take(pk=complaint_id, action=action, actor=actor, data=data)


@transaction.atomic
def complaint_assign(*, actor: User, complaint_id: int, assignee_id: int) -> Complaint:
    """Give the complaint a handler: the first answer; the clock then runs to the resolution deadline."""
    complaint = _take("assign", actor, complaint_id, assignee_id=assignee_id)
    assignee = complaint.assigned_to
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


def _notify_escalated(complaint: Complaint) -> None:
    _notify(
        _escalation_recipients(complaint),
        kind="complaint.escalated",
        title=gettext_noop("Complaint %(number)s escalated to level %(level)s"),
        params={"number": complaint.number, "level": complaint.escalation_level},
        body=complaint.description[:200],
        url=_url(complaint),
        order=complaint.order,
    )


@transaction.atomic
def complaint_escalate(*, actor: User, complaint_id: int, reason: str = "", now: datetime | None = None) -> Complaint:
    """Raise the level by one (regional director, then HQ) with a fresh response deadline."""
    complaint = _take("escalate", actor, complaint_id, note=reason.strip(), now=now or timezone.now())
    _notify_escalated(complaint)
    return complaint


@transaction.atomic
def complaint_resolve(
    *, actor: User, complaint_id: int, resolution: str, root_cause: str, root_cause_note: str = "", responsible_party: str = ""
) -> Complaint:
    """Record how it was settled; the resolution and the root cause are required."""
    return _take(
        "resolve",
        actor,
        complaint_id,
        resolution=resolution,
        root_cause=root_cause,
        root_cause_note=root_cause_note,
        responsible_party=responsible_party,
    )


@transaction.atomic
def complaint_close(*, actor: User, complaint_id: int, note: str = "") -> Complaint:
    """Close a resolved complaint (after the customer confirmed, or the quality check)."""
    return _take("close", actor, complaint_id, note=note)


@transaction.atomic
def complaint_reopen(*, actor: User, complaint_id: int, reason: str, now: datetime | None = None) -> Complaint:
    """The customer is not satisfied: back to work, with a new resolution deadline (level kept)."""
    return _take("reopen", actor, complaint_id, reason=reason, now=now or timezone.now())


def escalate_overdue_complaints(now: datetime | None = None) -> int:
    """The periodic check: every active complaint past its deadline goes up one level, once per
    level (the new level gets a new deadline, so a second run finds nothing until it passes too)."""
    now = now or timezone.now()
    count = 0
    candidates = Complaint.objects.filter(status__in=ACTIVE_STATUSES, due_at__lte=now, escalation_level__lt=MAX_LEVEL)
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            try:
                complaint = COMPLAINT_MACHINE.take(
                    pk=pk,
                    action="escalate",
                    actor=None,
                    data={"note": gettext_noop("Deadline passed"), "now": now},
                    where=Q(due_at__lte=now),
                )
            except (NotFound, InvalidTransition):
                continue  # handled meanwhile (assigned, resolved, escalated by hand)
            _notify_escalated(complaint)
            count += 1
    return count


ACTION_SERVICES = {
    "assign": complaint_assign,
    "escalate": complaint_escalate,
    "resolve": complaint_resolve,
    "close": complaint_close,
    "reopen": complaint_reopen,
}
