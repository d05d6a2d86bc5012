"""Complaints JSON API: list / file / read, and one endpoint per action. Handlers call the services;
errors are mapped centrally ({"error": {"code", "message", "fields"}}); out of scope is 404."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from anxin.complaints import selectors, services
from anxin.complaints.choices import Category, ComplaintChannel, ComplaintStatus, ResponsibleParty, RootCause, Severity
from anxin.complaints.models import Complaint, ComplaintEvent
from anxin.core.api import Id, PageNumber, PageSize, model_text, one_of, page_slice
from anxin.core.errors import NotFound, ValidationFailed
from anxin.core.scoping import get_visible_or_404
from anxin.core.statemachine import status_history

router = Router(tags=["complaints"])
ACTIONS = ("assign", "escalate", "resolve", "close", "reopen")
EventNote = model_text(ComplaintEvent, "note")


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    level: int
    due_at: datetime | None
    actor: str | None
    at: datetime
    note: str


class ComplaintOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_name: str
    order_id: int | None
    order_number: str | None
    outlet_id: int | None
    technician_id: int | None
    severity: str
    category: str
    channel: str
    description: str
    status: str
    assigned_to: str | None
    escalation_level: int
    due_at: datetime | None
    follow_up_due_at: datetime | None
    resolution: str
    root_cause: str
    root_cause_note: str
    responsible_party: str
    created_at: datetime
    actions: list[str]


class ComplaintDetailOut(ComplaintOut):
    events: list[EventOut]


class ComplaintPage(Schema):
    count: int
    results: list[ComplaintOut]


class ComplaintIn(Schema):
    customer_id: Id | None = None
    order_id: Id | None = None
    technician_id: Id | None = None
    severity: one_of(Severity.values) = Severity.MINOR.value
    category: one_of(Category.values)
    channel: one_of(ComplaintChannel.values) = ComplaintChannel.HOTLINE.value
    description: model_text(Complaint, "description")


class ActionIn(Schema):
    assignee_id: Id | None = None
    reason: EventNote = ""
    note: EventNote = ""
    resolution: model_text(Complaint, "resolution") = ""
    root_cause: one_of(["", *RootCause.values]) = ""
    root_cause_note: model_text(Complaint, "root_cause_note") = ""
    responsible_party: one_of(["", *ResponsibleParty.values]) = ""


def complaint_out(c: Complaint, user, *, detail: bool = False):
    payload = {
        "id": c.pk,
        "number": c.number or "",
        "customer_id": c.customer_id,
        "customer_name": c.customer.name,
        "order_id": c.order_id,
        "order_number": c.order.number if c.order_id else None,
        "outlet_id": c.outlet_id,
        "technician_id": c.technician_id,
        "severity": c.severity,
        "category": c.category,
        "channel": c.channel,
        "description": c.description,
        "status": c.status,
        "assigned_to": str(c.assigned_to) if c.assigned_to_id else None,
        "escalation_level": c.escalation_level,
        "due_at": c.due_at,
        "follow_up_due_at": c.follow_up_due_at,
        "resolution": c.resolution,
        "root_cause": c.root_cause,
        "root_cause_note": c.root_cause_note,
        "responsible_party": c.responsible_party,
        "created_at": c.created_at,
        "actions": services.available_actions(c, user),
    }
    if not detail:
        return ComplaintOut(**payload)
    events = status_history(c.events.select_related("actor"), EventOut, kind="kind", level="level", due_at="due_at", note="note")
    return ComplaintDetailOut(**payload, events=events)


def _detail(complaint_id: int, user):
    return complaint_out(get_visible_or_404(Complaint, user, pk=complaint_id), user, detail=True)


@router.get("", response=ComplaintPage)
def list_complaints(
    request,
    status: one_of(ComplaintStatus.values) | None = None,
    severity: one_of(Severity.values) | None = None,
    overdue: bool = False,
    page: PageNumber = 1,
    page_size: PageSize | None = None,
):
    qs = selectors.complaint_list(user=request.auth, status=status or "", severity=severity or "", overdue=overdue)
    return ComplaintPage(count=qs.count(), results=[complaint_out(c, request.auth) for c in qs[page_slice(page, page_size)]])


@router.post("", response={201: ComplaintDetailOut})
def create_complaint(request, payload: ComplaintIn):
    complaint = services.complaint_create(actor=request.auth, data=services.ComplaintInput(**payload.dict()))
    return Status(201, _detail(complaint.pk, request.auth))


@router.get("/{complaint_id}", response=ComplaintDetailOut)
def get_complaint(request, complaint_id: Id):
    return _detail(complaint_id, request.auth)


@router.post("/{complaint_id}/actions/{action}", response=ComplaintDetailOut)
def complaint_action(request, complaint_id: Id, action: one_of(ACTIONS), payload: ActionIn):
    user = request.auth
    if action == "assign":
        if payload.assignee_id is None:
            raise ValidationFailed(fields={"assignee": _("Choose a handler.")})
        services.complaint_assign(actor=user, complaint_id=complaint_id, assignee_id=payload.assignee_id)
    elif action == "escalate":
        services.complaint_escalate(actor=user, complaint_id=complaint_id, reason=payload.reason)
    elif action == "resolve":
        services.complaint_resolve(
            actor=user,
            complaint_id=complaint_id,
            resolution=payload.resolution,
            root_cause=payload.root_cause,
            root_cause_note=payload.root_cause_note,
            responsible_party=payload.responsible_party,
        )
    elif action == "close":
        services.complaint_close(actor=user, complaint_id=complaint_id, note=payload.note)
    elif action == "reopen":
        services.complaint_reopen(actor=user, complaint_id=complaint_id, reason=payload.reason)
    else:
        raise NotFound()
    return _detail(complaint_id, user)
