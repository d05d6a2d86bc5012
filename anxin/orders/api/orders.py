from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from anxin.accounts.choices import Role
from anxin.core.api import Id, Moment, PageNumber, PageSize, Version, model_text, one_of, page_slice
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.core.limits import TEXT_MAX_LENGTH
from anxin.core.statemachine import status_history
from anxin.customers.selectors import contact_visible, contact_visible_ids, mask_address, shown_customer_names
from anxin.orders import job_stamps
from anxin.orders.choices import Channel, HazardType, OrderStatus, OrderType, Priority, ReturnKind, Satisfaction
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.sla.clocks import SLA_STATES, sla_state
from anxin.orders.workflow.changes import STEP_FIELDS, collecting
from anxin.orders.workflow.hooks import perform_action
from anxin.orders.workflow.services import LineInput, OrderInput, order_create
from anxin.orders.workflow.transitions import TRANSITIONS, available_actions
from anxin.orders.worklist import queues
from anxin.orders.worklist.selectors import order_created_summary, order_list, shown_lines, technician_open_jobs

router = Router(tags=["orders"])
SearchText = Annotated[str, Field(max_length=200)]
QUEUE_KEYS = one_of(q.key for tabs in (*queues.ROLE_QUEUES.values(), queues.DEFAULT_QUEUES) for q in tabs)
# ``?expand=detail`` on a write: the whole order in the answer's ``detail`` (decision 0049).
Expand = Annotated[one_of(["detail"]) | None, Query(None, description="`detail`: the whole order in the answer's `detail`.")]


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


class OrderChangeOut(Schema):
    """The answer to a step (decision 0049): what it changed, not the whole order. ``status`` and
    ``version`` (send it back as ``expected_version``) always; of the other fields only those the
    call set — the ones it was given and the ones its steps changed (a callback that also closed the
    order: both steps') — with their values after it: ``technician_id: null`` when it took the
    technician away. The whole order only with ``?expand=detail``, under ``detail`` (absent when the
    order has left the caller's scope)."""

    id: int
    number: str
    status: str
    version: int
    action: str
    outlet_id: int | None = None
    technician_id: int | None = None
    region_id: int | None = None
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    accept_deadline: datetime | None = None
    visit_deadline: datetime | None = None
    onsite_deadline: datetime | None = None
    callback_deadline: datetime | None = None
    accepted_at: datetime | None = None
    checked_in_at: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    visit_count: int | None = None
    first_time_fix: bool | None = None
    approval: str | None = None
    hazard_type: str | None = None
    hazard_note: str | None = None
    satisfaction: str | None = None
    routing_note: str | None = None
    detail: OrderDetailOut | None = None


class OrderCreatedOut(Schema):
    """The answer to a registration (decisions 0031, 0049): the new order's id, number, status,
    version, where it went and the sentence the intake page shows (``message``). ``visible: false``
    when it was routed outside the caller's scope (another region's customer): created all the same
    — a retry would register it twice — but then ``outlet_id`` is null (the other region's business)
    and ``GET /orders/{id}`` answers 404 to this caller. The whole order only with ``?expand=detail``
    (and only a visible one), under ``detail``."""

    id: int
    number: str
    status: str
    version: int
    customer_id: int
    region_id: int | None
    region: str | None
    outlet_id: int | None
    routed: bool
    visible: bool
    message: str
    detail: OrderDetailOut | None = None


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


class JobsOut(Schema):
    """A technician's open jobs (assigned … on site), earliest appointment first."""

    count: int
    results: list[OrderOut]


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


def _visible_for_detail(user):
    # Everything ``order_out`` reads, in two queries (not one per related row).
    return (
        WorkOrder.objects.visible_to(user)
        .select_related("customer", "address", "region", "outlet", "technician")
        .prefetch_related(shown_lines())
    )


def _detail(order_id: int, user):
    return order_out(get_object_or_404(_visible_for_detail(user), pk=order_id), user, detail=True)


def _detail_if_visible(order_id: int, user) -> OrderDetailOut | None:
    order = _visible_for_detail(user).filter(pk=order_id).first()
    return order_out(order, user, detail=True) if order is not None else None


def change_out(order: WorkOrder, *, action: str, changed, user, expand: str | None) -> OrderChangeOut:
    """The slim answer to ``action`` on ``order`` (the order as the call returned it): the fields
    named by ``changed`` with their values now; ``detail`` when asked."""
    values = {name: getattr(order, name) for name in sorted(changed)}
    if expand == "detail":
        detail = _detail_if_visible(order.pk, user)
        if detail is not None:
            values["detail"] = detail
    return OrderChangeOut(id=order.pk, number=order.number or "", status=order.status, version=order.version, action=action, **values)


def take_step(request, *, order_id: int, action: str, data: dict, expected_version, expand: str | None) -> OrderChangeOut:
    """Take one action the way its owner wants it taken (``perform_action``) and answer with the
    fields the call set: those it was given (``outlet`` → ``outlet_id``: a route to the outlet the
    order already had is still answered) and those its steps changed (``orders.workflow.changes``)."""
    with collecting() as changes:
        order = perform_action(order_id=order_id, action=action, actor=request.auth, data=data, expected_version=expected_version)
    given = {name for key in data for name in (key, f"{key}_id") if name in STEP_FIELDS}
    return change_out(order, action=action, changed=given | changes.get(order.pk, set()), user=request.auth, expand=expand)


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


@router.get(
    "/jobs",
    response={200: JobsOut, 304: None},
    summary="The technician's open jobs (conditional: ETag / If-None-Match)",
)
def list_jobs(
    request,
    response: HttpResponse,
    if_none_match: Annotated[str | None, Header(None, alias="If-None-Match", description="The ETag of the copy the client holds.")],
):
    """The calling technician's jobs in the field (assigned … on site), earliest appointment first —
    what the "My jobs" page shows. The answer carries an ``ETag``; send it back as ``If-None-Match``
    and, while the list is unchanged, the answer is ``304`` with no body, built from one indexed
    read (decision 0048). Only technicians have a job list (403 for other roles)."""
    user = request.auth
    if not user.has_role(Role.TECHNICIAN):
        raise PermissionDenied()
    etag = job_stamps.jobs_etag(user=user, variant="api")
    if etag is not None:
        job_stamps.revalidate(response, etag)
        if job_stamps.not_modified(request, etag) is not None:
            return Status(304, None)
    jobs = list(technician_open_jobs(user=user).select_related("region", "outlet", "technician"))
    visible = contact_visible_ids(user=user, customer_ids=[o.customer_id for o in jobs])
    names = shown_customer_names(user=user, customers=[o.customer for o in jobs])
    results = [order_out(o, user, full=o.customer_id in visible, customer_name=names[o.customer_id]) for o in jobs]
    return JobsOut(count=len(results), results=results)


@router.get("/{order_id}", response=OrderDetailOut)
def get_order(request, order_id: Id):
    return _detail(order_id, request.auth)


@router.post("", response={201: OrderCreatedOut}, exclude_unset=True)
def create_order(request, payload: OrderIn, expand: Expand = None):
    """Register an order: 201 with what became of it (where it was routed, whether the caller can
    still see it, the sentence to show); with ``?expand=detail`` the whole order too. Refused:
    nothing saved."""
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
    created = {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "customer_id": order.customer_id,
        "region_id": order.region_id,
        "region": order.region.name if order.region_id else None,
        "outlet_id": order.outlet_id if visible else None,
        "routed": order.outlet_id is not None,
        "visible": visible,
        "message": message,
    }
    if visible and expand == "detail":
        created["detail"] = _detail(order.pk, request.auth)
    return Status(201, OrderCreatedOut(**created))


@router.post("/{order_id}/transitions", response=OrderChangeOut, exclude_unset=True)
def transition_order(request, order_id: Id, payload: TransitionIn, expand: Expand = None):
    """Take one step of the order's workflow; the answer says what it changed (``OrderChangeOut``),
    the whole order with ``?expand=detail``."""
    if payload.action == "record_callback":
        # A callback is more than a status step (it is recorded, and a satisfied customer closes
        # the order): the same handler as POST /orders/{id}/callback (``orders.workflow.hooks``).
        data = {"satisfaction": payload.satisfaction or "", "problem_solved": payload.problem_solved, "comment": payload.reason}
    else:
        data = payload.dict(exclude={"action", "expected_version", "satisfaction", "problem_solved"}, exclude_none=True)
    return take_step(request, order_id=order_id, action=payload.action, data=data, expected_version=payload.expected_version, expand=expand)


@router.post("/{order_id}/callback", response=OrderChangeOut, exclude_unset=True)
def record_callback(request, order_id: Id, payload: CallbackIn, expand: Expand = None):
    """Record the customer's callback (a satisfied customer whose problem is solved closes the
    order); the answer says what changed, the whole order with ``?expand=detail``."""
    data = payload.dict(exclude={"expected_version"})
    return take_step(
        request, order_id=order_id, action="record_callback", data=data, expected_version=payload.expected_version, expand=expand
    )
