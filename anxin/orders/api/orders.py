from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from anxin.core.api import Id, Moment, PageNumber, PageSize, Version, model_text, one_of, page_slice
from anxin.core.errors import ValidationFailed
from anxin.core.limits import TEXT_MAX_LENGTH
from anxin.core.statemachine import status_history
from anxin.customers.selectors import contact_visible, contact_visible_ids, mask_address, shown_customer_names
from anxin.orders.api.completion import router as completion_router
from anxin.orders.choices import Channel, HazardType, OrderStatus, OrderType, Priority, ReturnKind, Satisfaction
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.sla.clocks import SLA_STATES, sla_state
from anxin.orders.workflow.hooks import perform_action
from anxin.orders.workflow.services import LineInput, OrderInput, order_create
from anxin.orders.workflow.transitions import TRANSITIONS, available_actions
from anxin.orders.worklist import queues
from anxin.orders.worklist.selectors import order_created_summary, order_list

router = Router(tags=["orders"])
SearchText = Annotated[str, Field(max_length=200)]
QUEUE_KEYS = one_of(q.key for tabs in (*queues.ROLE_QUEUES.values(), queues.DEFAULT_QUEUES) for q in tabs)
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


class OrderReceiptOut(Schema):
    """The answer to a registration whose order left the caller's scope (a hotline agent's order for
    a customer of another region is routed there, decision 0031): created all the same — a retry
    would register it twice — but only this much of it is the caller's to see."""

    id: int
    number: str
    status: str
    customer_id: int
    region: str | None
    routed: bool
    visible: bool  # always false here: GET /orders/{id} answers 404 to this caller
    message: str


class LineIn(Schema):
    product_model_id: Id | None = None
    appliance_id: Id | None = None
    symptom: model_text(OrderLine, "symptom") = ""
    fault_code_id: Id | None = None


class OrderIn(Schema):
    customer_id: Id
    address_id: Id | None = None
    order_type: one_of(OrderType.values) = OrderType.REPAIR.value
    channel: one_of(Channel.values) = Channel.API.value
    priority: one_of(Priority.values) = Priority.NORMAL.value
    description: model_text(WorkOrder, "description") = ""
    appointment_start: Moment | None = None
    appointment_end: Moment | None = None
    return_kind: one_of(["", *ReturnKind.values]) = ""
    lines: Annotated[list[LineIn], Field(max_length=50)]


class TransitionIn(Schema):
    action: one_of(TRANSITIONS)
    expected_version: Version | None = None
    outlet: Id | None = None
    technician: Id | None = None
    fault_code: Id | None = None
    resolution: model_text(OrderLine, "resolution") = ""
    satisfaction: one_of(Satisfaction.values) | None = None
    problem_solved: bool = True
    reason: model_text(StatusChange, "reason") = ""
    hazard_type: one_of(HazardType.values) | None = None
    hazard_note: model_text(WorkOrder, "hazard_note") | None = None
    appointment_start: Moment | None = None
    appointment_end: Moment | None = None


class CallbackIn(Schema):
    satisfaction: one_of(Satisfaction.values)
    problem_solved: bool = True
    comment: Annotated[str, Field(max_length=TEXT_MAX_LENGTH)] = ""  # feedback.Callback.comment (a text field)
    expected_version: Version | None = None


class OrderPage(Schema):
    # Exact up to 1,000 matching orders; beyond that ``count`` is 1000 and ``more`` is true (an exact
    # COUNT over a million orders costs more than the page itself; decision 0020).
    count: int
    more: bool = False
    results: list[OrderOut]


def order_out(
    order: WorkOrder, user, *, detail: bool = False, full: bool | None = None, customer_name: str | None = None
) -> OrderOut | OrderDetailOut:
    if full is None:
        full = contact_visible(user=user, customer=order.customer)
    if customer_name is None:  # a dealer is shown the name it typed, not the archive's (decision 0023)
        customer_name = shown_customer_names(user=user, customers=[order.customer])[order.customer_id]
    payload = {
        "id": order.pk,
        "number": order.number or "",
        "order_type": order.order_type,
        "channel": order.channel,
        "priority": order.priority,
        "status": order.status,
        "version": order.version,
        "customer_id": order.customer_id,
        "customer_name": customer_name,
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
    history = status_history(order.status_changes.select_related("actor"), StatusChangeOut, action="action", reason="reason")
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
    request,
    status: one_of(OrderStatus.values) | None = None,
    order_type: one_of(OrderType.values) | None = None,
    q: SearchText = "",
    queue: QUEUE_KEYS | None = None,
    sla: one_of(SLA_STATES) | None = None,
    page: PageNumber = 1,
    page_size: PageSize | None = None,
):
    """Orders in the caller's scope, newest first; ``queue`` (a work list of the caller's role, in its
    order) and ``sla`` (on_track / at_risk / breached: nearest visit deadline first) as on the page."""
    user = request.auth
    status, order_type, sla = status or "", order_type or "", sla or ""
    keys = [t.key for t in queues.queues_for(user)]
    if queue and queue not in keys:
        raise ValidationFailed(
            fields={"queue": _("Unknown work list for your role; use one of: %(queues)s.") % {"queues": ", ".join(keys)}}
        )
    if queue or sla:
        _queue, qs = queues.queue_orders(user, queue or "all", status=status, order_type=order_type, q=q, sla=sla)
    else:
        qs = order_list(user=user, status=status, order_type=order_type, q=q)
    orders = list(qs[page_slice(page, page_size)])
    visible = contact_visible_ids(user=user, customer_ids=[o.customer_id for o in orders])
    count, more = queues.bounded_count(qs)
    names = shown_customer_names(user=user, customers=[o.customer for o in orders])
    results = [order_out(o, user, full=o.customer_id in visible, customer_name=names[o.customer_id]) for o in orders]
    return OrderPage(count=count, more=more, results=results)


@router.get("/{order_id}", response=OrderDetailOut)
def get_order(request, order_id: Id):
    return _detail(order_id, request.auth)


@router.post("", response={201: OrderDetailOut | OrderReceiptOut})
def create_order(request, payload: OrderIn):
    """Register an order: 201 with its detail, or — when it was routed outside the caller's scope
    (another region's customer) — 201 with a receipt (``visible: false``). Refused: nothing saved."""
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
    visible, message = order_created_summary(order=order, user=request.auth)
    if visible:
        return Status(201, _detail(order.pk, request.auth))
    receipt = OrderReceiptOut(
        id=order.pk,
        number=order.number,
        status=order.status,
        customer_id=order.customer_id,
        region=order.region.name if order.region_id else None,
        routed=order.outlet_id is not None,
        visible=False,
        message=message,
    )
    return Status(201, receipt)


@router.post("/{order_id}/transitions", response=OrderDetailOut)
def transition_order(request, order_id: Id, payload: TransitionIn):
    if payload.action == "record_callback":
        # A callback is more than a status step (it is recorded, and a satisfied customer closes
        # the order): the same handler as POST /orders/{id}/callback (``orders.workflow.hooks``).
        data = {"satisfaction": payload.satisfaction or "", "problem_solved": payload.problem_solved, "comment": payload.reason}
    else:
        data = payload.dict(exclude={"action", "expected_version", "satisfaction", "problem_solved"}, exclude_none=True)
    perform_action(order_id=order_id, action=payload.action, actor=request.auth, data=data, expected_version=payload.expected_version)
    return _detail(order_id, request.auth)


@router.post("/{order_id}/callback", response=OrderDetailOut)
def record_callback(request, order_id: Id, payload: CallbackIn):
    data = payload.dict(exclude={"expected_version"})
    perform_action(order_id=order_id, action="record_callback", actor=request.auth, data=data, expected_version=payload.expected_version)
    return _detail(order_id, request.auth)
