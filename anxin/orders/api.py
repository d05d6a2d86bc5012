from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from anxin.core.errors import ValidationFailed
from anxin.customers.selectors import contact_visible, contact_visible_ids, mask_address
from anxin.feedback.services import callback_record
from anxin.orders import queues
from anxin.orders.api_completion import router as completion_router
from anxin.orders.models import WorkOrder
from anxin.orders.selectors import SLA_STATES, order_list, sla_state
from anxin.orders.services import LineInput, OrderInput, order_create, order_transition
from anxin.orders.transitions import available_actions

router = Router(tags=["orders"])
# The completion report, its SMS code and attachments: /orders/{id}/completion, …/completion-code, …/attachments.
router.add_router("", completion_router)


class LineOut(Schema):
    id: int
    product_model: str
    category: str
    appliance_id: int | None
    symptom: str
    fault_code: str | None
    in_warranty: bool
    warranty_basis: str
    contract_id: int | None
    repeat_of_id: int | None


class StatusChangeOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None
    at: datetime
    reason: str


class OrderOut(Schema):
    id: int
    number: str
    order_type: str
    channel: str
    priority: str
    status: str
    version: int
    customer_id: int
    customer_name: str
    address: str
    is_vip: bool
    region: str | None
    outlet_id: int | None
    outlet: str | None
    technician_id: int | None
    technician: str | None
    appointment_start: datetime | None
    appointment_end: datetime | None
    accept_deadline: datetime | None
    visit_deadline: datetime | None
    # The visit clock now: on_track / at_risk / breached while it runs, "" once stopped.
    sla_state: str
    callback_deadline: datetime | None
    accepted_at: datetime | None
    checked_in_at: datetime | None
    completed_at: datetime | None
    visit_count: int
    first_time_fix: bool | None
    is_repeat: bool
    approval: str
    return_kind: str
    hazard_type: str
    hazard_note: str
    satisfaction: str
    created_at: datetime
    lines: list[LineOut]
    actions: list[str]


class OrderDetailOut(OrderOut):
    history: list[StatusChangeOut]


class LineIn(Schema):
    product_model_id: int | None = None
    appliance_id: int | None = None
    symptom: str = ""
    fault_code_id: int | None = None


class OrderIn(Schema):
    customer_id: int
    address_id: int | None = None
    order_type: str = "repair"
    channel: str = "api"
    priority: str = "normal"
    description: str = ""
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    return_kind: str = ""
    lines: list[LineIn]


class TransitionIn(Schema):
    action: str
    expected_version: int | None = None
    outlet: int | None = None
    technician: int | None = None
    fault_code: int | None = None
    resolution: str = ""
    satisfaction: str | None = None
    problem_solved: bool = True
    reason: str = ""
    hazard_type: str | None = None
    hazard_note: str | None = None
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None


class CallbackIn(Schema):
    satisfaction: str
    problem_solved: bool = True
    comment: str = ""
    expected_version: int | None = None


class OrderPage(Schema):
    # Exact up to 1,000 matching orders; beyond that ``count`` is 1000 and ``more`` is true (an exact
    # COUNT over a million orders costs more than the page itself; decision 0020).
    count: int
    more: bool = False
    results: list[OrderOut]


def order_out(order: WorkOrder, user, *, detail: bool = False, full: bool | None = None) -> OrderOut | OrderDetailOut:
    if full is None:
        full = contact_visible(user=user, customer=order.customer)
    payload = {
        "id": order.pk,
        "number": order.number or "",
        "order_type": order.order_type,
        "channel": order.channel,
        "priority": order.priority,
        "status": order.status,
        "version": order.version,
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "address": order.address.text if full else mask_address(order.address.text, order.address.district),
        "is_vip": order.is_vip,
        "region": order.region.name if order.region else None,
        "outlet_id": order.outlet_id,
        "outlet": order.outlet.name if order.outlet else None,
        "technician_id": order.technician_id,
        "technician": order.technician.name if order.technician else None,
        "appointment_start": order.appointment_start,
        "appointment_end": order.appointment_end,
        "accept_deadline": order.accept_deadline,
        "visit_deadline": order.visit_deadline,
        "sla_state": order.sla_state if hasattr(order, "sla_state") else sla_state(order),
        "callback_deadline": order.callback_deadline,
        "accepted_at": order.accepted_at,
        "checked_in_at": order.checked_in_at,
        "completed_at": order.completed_at,
        "visit_count": order.visit_count,
        "first_time_fix": order.first_time_fix,
        "is_repeat": order.is_repeat,
        "approval": order.approval,
        "return_kind": order.return_kind,
        "hazard_type": order.hazard_type,
        "hazard_note": order.hazard_note,
        "satisfaction": order.satisfaction,
        "created_at": order.created_at,
        "lines": [
            LineOut(
                id=line.pk,
                product_model=line.product_model.code,
                category=line.product_model.category.name,
                appliance_id=line.appliance_id,
                symptom=line.symptom,
                fault_code=line.fault_code.code if line.fault_code else None,
                in_warranty=line.in_warranty,
                warranty_basis=line.warranty_basis,
                contract_id=line.contract_id,
                repeat_of_id=line.repeat_of_id,
            )
            for line in order.lines.all()
        ],
        "actions": [t.action for t in available_actions(order, user)],
    }
    if not detail:
        return OrderOut(**payload)
    history = [
        StatusChangeOut(
            action=c.action,
            from_status=c.from_status,
            to_status=c.to_status,
            actor=str(c.actor) if c.actor else None,
            at=c.at,
            reason=c.reason,
        )
        for c in order.status_changes.select_related("actor")
    ]
    return OrderDetailOut(**payload, history=history)


def _detail(order_id: int, user):
    # Everything ``order_out`` reads, in three queries (not one per related row).
    visible = (
        WorkOrder.objects.visible_to(user)
        .select_related("customer", "address", "region", "outlet", "technician")
        .prefetch_related("lines__product_model__category", "lines__fault_code")
    )
    return order_out(get_object_or_404(visible, pk=order_id), user, detail=True)


@router.get("", response=OrderPage)
def list_orders(
    request, status: str = "", order_type: str = "", q: str = "", queue: str = "", sla: str = "", page: int = 1, page_size: int = 0
):
    """Orders in the caller's scope, newest first; ``queue`` (a work list of the caller's role, in its
    order) and ``sla`` (on_track / at_risk / breached: nearest visit deadline first) as on the page."""
    size = min(page_size or settings.ANXIN_PAGE_SIZE, 200)
    user = request.auth
    errors = {}
    if sla and sla not in SLA_STATES:
        errors["sla"] = _("Unknown SLA state; use one of: %(states)s.") % {"states": ", ".join(SLA_STATES)}
    keys = [t.key for t in queues.queues_for(user)]
    if queue and queue not in keys:
        errors["queue"] = _("Unknown work list for your role; use one of: %(queues)s.") % {"queues": ", ".join(keys)}
    if errors:
        raise ValidationFailed(fields=errors)
    if queue or sla:
        _queue, qs = queues.queue_orders(user, queue or "all", status=status, order_type=order_type, q=q, sla=sla)
    else:
        qs = order_list(user=user, status=status, order_type=order_type, q=q)
    start = max(page - 1, 0) * size
    orders = list(qs[start : start + size])
    visible = contact_visible_ids(user=user, customer_ids=[o.customer_id for o in orders])
    count, more = queues.bounded_count(qs)
    return OrderPage(count=count, more=more, results=[order_out(o, user, full=o.customer_id in visible) for o in orders])


@router.get("/{order_id}", response=OrderDetailOut)
def get_order(request, order_id: int):
    return _detail(order_id, request.auth)


@router.post("", response={201: OrderDetailOut})
def create_order(request, payload: OrderIn):
    data = OrderInput(
        customer_id=payload.customer_id,
        address_id=payload.address_id,
        order_type=payload.order_type,
        channel=payload.channel,
        priority=payload.priority,
        description=payload.description,
        appointment_start=payload.appointment_start,
        appointment_end=payload.appointment_end,
        return_kind=payload.return_kind,
        lines=[LineInput(**line.dict()) for line in payload.lines],
    )
    order = order_create(actor=request.auth, data=data)
    return Status(201, _detail(order.pk, request.auth))


@router.post("/{order_id}/transitions", response=OrderDetailOut)
def transition_order(request, order_id: int, payload: TransitionIn):
    if payload.action == "record_callback":
        # A callback is more than a status step (it is recorded, and a satisfied customer closes
        # the order): the same service as POST /orders/{id}/callback.
        callback_record(
            actor=request.auth,
            order_id=order_id,
            satisfaction=payload.satisfaction or "",
            problem_solved=payload.problem_solved,
            comment=payload.reason,
            expected_version=payload.expected_version,
        )
        return _detail(order_id, request.auth)
    data = payload.dict(exclude={"action", "expected_version", "satisfaction", "problem_solved"}, exclude_none=True)
    order_transition(order_id=order_id, action=payload.action, actor=request.auth, data=data, expected_version=payload.expected_version)
    return _detail(order_id, request.auth)


@router.post("/{order_id}/callback", response=OrderDetailOut)
def record_callback(request, order_id: int, payload: CallbackIn):
    callback_record(actor=request.auth, order_id=order_id, **payload.dict())
    return _detail(order_id, request.auth)
