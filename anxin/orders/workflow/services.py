"""Work-order writes. ``order_transition`` is the only code that changes an order's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, OutletStatus, Role
from anxin.accounts.models import OrgUnit, User
from anxin.catalog.models import FaultCode, ProductModel
from anxin.core.audit import audited
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from anxin.core.events import publish
from anxin.customers.models import Appliance, Customer
from anxin.customers.selectors import dealer_card_for
from anxin.network.models import Technician
from anxin.orders.choices import ApprovalDecision, Channel, HazardType, OrderStatus, OrderType, Priority, ReturnKind, Satisfaction
from anxin.orders.completion.attachments import files_removed_on_error
from anxin.orders.completion.report import apply_completion
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.sla import policy as sla
from anxin.orders.workflow.eligibility import appliance_eligibility, earlier_repair
from anxin.orders.workflow.transitions import SYSTEM, TRANSITIONS, role_of

# Who may register a work order: the hotline, managers and dealers (install after a sale).
ORDER_CREATE_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR, Role.DEALER, Role.OUTLET_MANAGER)


@dataclass
class LineInput:
    product_model_id: int | None = None
    appliance_id: int | None = None
    symptom: str = ""
    fault_code_id: int | None = None


@dataclass
class OrderInput:
    customer_id: int
    lines: list[LineInput] = field(default_factory=list)
    address_id: int | None = None
    order_type: str = OrderType.REPAIR
    channel: str = Channel.HOTLINE
    priority: str = Priority.NORMAL
    description: str = ""
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    dealer_id: int | None = None
    return_kind: str = ""  # return / exchange: what the customer asks for (order_type return_exchange only)


def validate_appointment_window(start, end, errors: dict) -> None:
    if start is None and end is None:
        return
    if start is None or end is None:
        errors["appointment_start"] = _("Give both the start and the end of the appointment window.")
        return
    if end <= start:
        errors["appointment_end"] = _("The appointment window ends before it starts.")
    elif end < timezone.now():
        errors["appointment_end"] = _("The appointment window is in the past.")


@transaction.atomic
def order_create(*, actor: User, data: OrderInput) -> WorkOrder:
    """Register a work order, compute its visit deadline and route it (via ``order.created``)."""
    if not actor.has_role(*ORDER_CREATE_ROLES):
        raise PermissionDenied(_("Your role may not register work orders."))
    errors: dict[str, str] = {}
    customer = Customer.objects.visible_to(actor).filter(pk=data.customer_id).first()
    if customer is None:
        raise ValidationFailed(fields={"customer": _("Customer not found.")})
    if data.order_type not in OrderType.values:
        errors["order_type"] = _("Unknown order type.")
    if data.channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if data.priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    is_return = data.order_type == OrderType.RETURN_EXCHANGE
    return_kind = data.return_kind if is_return else ""
    if is_return and return_kind not in ReturnKind.values:
        errors["return_kind"] = _("Choose return or exchange.")
    addresses = customer.addresses.all()
    # A dealer orders at an address it recorded, never at the archive's others (decision 0023).
    card = dealer_card_for(user=actor, customer=customer)
    if card is not None and (data.address_id or addresses.filter(text__in=card.addresses).exists()):
        addresses = addresses.filter(text__in=card.addresses)
    address = (
        addresses.filter(pk=data.address_id).first()
        if data.address_id
        else (addresses.filter(is_primary=True).first() or addresses.first())
    )
    if address is None:
        errors["address"] = _("Choose one of the customer's addresses.")
    validate_appointment_window(data.appointment_start, data.appointment_end, errors)
    if not data.lines:
        errors["lines"] = _("Add at least one appliance.")

    lines: list[OrderLine] = []
    now = timezone.now()
    today = timezone.localdate(now)
    repeat_of: dict[int, WorkOrder] = {}
    for i, item in enumerate(data.lines):
        appliance = None
        if item.appliance_id:
            appliance = (
                Appliance.objects.filter(pk=item.appliance_id, customer=customer)
                .select_related("product_model__category")
                .prefetch_related("contracts")
                .first()
            )
            own = card is None or appliance is None or appliance.dealer_id == actor.org_unit_id
            if appliance is None or not (own or customer.registered_by_id == actor.org_unit_id):
                errors[f"lines.{i}.appliance"] = _("This appliance does not belong to the customer.")
                continue
        model = appliance.product_model if appliance else ProductModel.objects.filter(pk=item.product_model_id).first()
        if model is None:
            errors[f"lines.{i}.product_model"] = _("Choose a product model.")
            continue
        fault = None
        if item.fault_code_id:
            fault = FaultCode.objects.filter(pk=item.fault_code_id, category_id=model.category_id).first()
            if fault is None:
                errors[f"lines.{i}.fault_code"] = _("The fault code does not belong to this product category.")
                continue
        eligibility = appliance_eligibility(appliance, today) if appliance else None
        if is_return and return_kind in ReturnKind.values:
            problem = _return_problem(eligibility, return_kind)
            if problem:
                errors[f"lines.{i}.appliance"] = problem
                continue
        line = OrderLine(
            appliance=appliance,
            product_model=model,
            symptom=item.symptom.strip(),
            fault_code=fault,
            in_warranty=bool(eligibility and eligibility.in_warranty),
            warranty_basis=eligibility.basis if eligibility else "",
            contract=eligibility.contract if eligibility else None,
        )
        if data.order_type == OrderType.REPAIR and appliance is not None:
            earlier = earlier_repair(appliance, now=now)
            if earlier is not None:
                line.repeat_of = earlier
                repeat_of[i] = earlier
        lines.append(line)
    if errors:
        raise ValidationFailed(fields=errors)

    order = WorkOrder(
        order_type=data.order_type,
        channel=data.channel,
        priority=data.priority,
        customer=customer,
        address=address,
        is_vip=customer.is_vip,
        region=customer.region,
        # A dealer's order is always its own (that is how it keeps seeing it); others may name one.
        dealer_id=actor.org_unit_id if actor.org_unit and actor.org_unit.kind == OrgKind.DEALER else data.dealer_id,
        description=data.description.strip(),
        appointment_start=data.appointment_start,
        appointment_end=data.appointment_end,
        return_kind=return_kind,
        is_repeat=bool(repeat_of),
        created_by=actor,
    )
    sla.plan_deadlines(order, now=now, lines=len(lines))
    audited(order, actor, "created").save()
    order.number = f"WO{timezone.localtime(now):%Y%m%d}{order.pk:07d}"
    WorkOrder.objects.filter(pk=order.pk).update(number=order.number)
    for line in lines:
        line.order = order
        audited(line, actor, "created").save()
    StatusChange.objects.create(
        order=order,
        action="create",
        from_status="",
        to_status=OrderStatus.CREATED,
        actor=actor,
        data={"repeat_of": {str(i): o.number for i, o in repeat_of.items()}} if repeat_of else {},
    )
    if is_return:
        # Nobody is sent before a return / exchange is approved; dispatch routes it on approval.
        order = order_transition(order_id=order.pk, action="submit_for_approval", actor=None)
    publish("order.created", order=order, actor=actor)
    order.refresh_from_db()
    return order


def _return_problem(eligibility, kind: str) -> str:
    """Why a return / exchange of this line is refused ("" when it is allowed)."""
    if eligibility is None:
        return _("A return or exchange needs the registered appliance (its purchase date).")
    if eligibility.days_since_purchase is None:
        return _("The purchase date of this appliance is unknown; a return or exchange cannot be checked.")
    if eligibility.allows(kind):
        return ""
    if kind == ReturnKind.RETURN:
        return _("A return is allowed only within %(limit)s days of purchase; this appliance was bought %(days)s days ago.") % {
            "limit": eligibility.return_days,
            "days": eligibility.days_since_purchase,
        }
    return _("An exchange is allowed only within %(limit)s days of purchase; this appliance was bought %(days)s days ago.") % {
        "limit": eligibility.exchange_days,
        "days": eligibility.days_since_purchase,
    }


# --- transitions ------------------------------------------------------------------------------


def _id(data: dict, key: str) -> int | None:
    """The integer id under ``key``, or a field error naming it (never a 500 on ``"abc"``)."""
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={key: _("Enter a valid id.")}) from None


def _when(data: dict, key: str) -> datetime | None:
    """An aware datetime under ``key`` (a datetime or an ISO string), or a field error naming it."""
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValidationFailed(fields={key: _("Enter a valid date and time.")})
        value = parsed
    if not isinstance(value, datetime):
        raise ValidationFailed(fields={key: _("Enter a valid date and time.")})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _line_count(order: WorkOrder) -> int:
    return order.lines.count()


def _replan(order: WorkOrder, data: dict, *, required: bool) -> dict:
    """Take a new appointment window from ``data`` (validated like on create) and re-plan the SLA.

    Returns what the status change records; ``{}`` when no window was given and none is required."""
    start, end = _when(data, "appointment_start"), _when(data, "appointment_end")
    if not required and start is None and end is None:
        return {}
    errors: dict[str, str] = {}
    if required:
        for key, value in (("appointment_start", start), ("appointment_end", end)):
            if value is None:
                errors[key] = _("This field is required.")
    if not errors:
        validate_appointment_window(start, end, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    order.appointment_start, order.appointment_end = start, end
    sla.plan_deadlines(order, now=timezone.now(), lines=_line_count(order))
    return {"appointment_start": start.isoformat(), "appointment_end": end.isoformat()}


def _outlet(data: dict, actor):
    # A person routes only to outlets in their own scope (a region's agent to the region's outlets),
    # and only to an outlet that works (active or on probation).
    units = OrgUnit.objects.all() if actor is None else OrgUnit.objects.visible_to(actor)
    outlet = units.filter(pk=_id(data, "outlet"), kind=OrgKind.OUTLET, status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION)).first()
    if outlet is None:
        raise ValidationFailed(fields={"outlet": _("Choose a service outlet.")})
    return outlet


def _apply_route(order: WorkOrder, data: dict, actor) -> dict:
    outlet = _outlet(data, actor)
    order.outlet = outlet
    order.technician = None
    if order.region_id is None:
        order.region = outlet.parent
    order.routing_note = ""
    return {"outlet": outlet.pk, "outlet_name": outlet.name}


def _apply_reroute(order: WorkOrder, data: dict, actor) -> dict:
    outlet = _outlet(data, actor)
    if outlet.pk == order.outlet_id:
        raise ValidationFailed(fields={"outlet": _("The order is already with this outlet; choose another one.")})
    previous = order.outlet_id
    order.outlet = outlet
    order.technician = None  # the new outlet accepts and assigns again
    order.accepted_at = None
    order.routing_note = ""
    return {"outlet": outlet.pk, "outlet_name": outlet.name, "from_outlet": previous}


def _apply_submit_for_approval(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.PENDING
    return {}


def _apply_approve(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.APPROVED
    # The promise to the customer starts now: deadlines are planned afresh, and dispatch routes the
    # order (it listens to ``order.approve``) like a new one.
    sla.plan_deadlines(order, now=timezone.now(), lines=_line_count(order))
    return {"approval": order.approval}


def _apply_refuse(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.REFUSED
    return {"approval": order.approval}


def _apply_accept(order: WorkOrder, data: dict, actor) -> dict:
    order.accepted_at = timezone.now()
    return {}


def _apply_assign(order: WorkOrder, data: dict, actor) -> dict:
    from anxin.dispatch.services import technician_assignment_problems

    technician = Technician.objects.filter(pk=_id(data, "technician")).prefetch_related("skills").first()
    if technician is None:
        raise ValidationFailed(fields={"technician": _("Choose a technician.")})
    problems = technician_assignment_problems(order=order, technician=technician)
    if problems:
        raise ValidationFailed(" ".join(problems), code="technician_not_eligible", fields={"technician": problems})
    order.technician = technician
    return {"technician": technician.pk, "technician_name": technician.name}


def _apply_confirm(order: WorkOrder, data: dict, actor) -> dict:
    # Confirming may move the window agreed with the customer; the SLA clocks follow it.
    return _replan(order, data, required=False)


def _apply_check_in(order: WorkOrder, data: dict, actor) -> dict:
    order.checked_in_at = timezone.now()
    # The on-site clock (install 2 h, repair 1 h per line…) starts at every check-in.
    sla.plan_onsite(order)
    order.visit_count += 1
    return {"visit": order.visit_count}


def _apply_complete(order: WorkOrder, data: dict, actor) -> dict:
    recorded = apply_completion(order, data, actor)
    now = timezone.now()
    if order.completed_at is None:
        order.completed_at = now
    # First-time fix (一次就好): the work was done in the first visit.
    order.first_time_fix = order.visit_count == 1
    # The callback clock starts when the work was reported done (the report's own time).
    sla.plan_callback(order, now=order.completed_at)
    return {**recorded, "first_time_fix": order.first_time_fix}


def _apply_resolve_by_phone(order: WorkOrder, data: dict, actor) -> dict:
    # Settled by guidance on the phone: nobody goes, the callback confirms it (DONE_STATUSES).
    sla.plan_callback(order, now=timezone.now())
    return {}


def _apply_pending_parts(order: WorkOrder, data: dict, actor) -> dict:
    return {"part": (data.get("reason") or "").strip()[:300]}


def _apply_revisit_planned(order: WorkOrder, data: dict, actor) -> dict:
    recorded = _replan(order, data, required=True)
    # A new visit: its clock runs again until the technician checks in for it.
    order.checked_in_at = None
    order.onsite_deadline = None
    return recorded


def _apply_refuse_install(order: WorkOrder, data: dict, actor) -> dict:
    hazard = data.get("hazard_type") or ""
    if hazard not in HazardType.values or hazard == HazardType.NONE:
        raise ValidationFailed(fields={"hazard_type": _("Choose the hazard found on site.")})
    order.hazard_type = hazard
    order.hazard_note = ((data.get("hazard_note") or "").strip() or (data.get("reason") or "").strip())[:300]
    return {"hazard_type": hazard}


def _apply_callback(order: WorkOrder, data: dict, actor) -> dict:
    if data.get("satisfaction") not in Satisfaction.values:
        raise ValidationFailed(fields={"satisfaction": _("Choose the customer's satisfaction.")})
    order.satisfaction = data["satisfaction"]
    return {"satisfaction": order.satisfaction}


def _apply_close(order: WorkOrder, data: dict, actor) -> dict:
    order.closed_at = timezone.now()
    return {}


# What each action does to the order beyond its status (actions not listed only change the status).
APPLY = {
    "submit_for_approval": _apply_submit_for_approval,
    "approve": _apply_approve,
    "refuse": _apply_refuse,
    "route": _apply_route,
    "reroute": _apply_reroute,
    "accept": _apply_accept,
    "assign": _apply_assign,
    "confirm": _apply_confirm,
    "check_in": _apply_check_in,
    "complete": _apply_complete,
    "resolve_by_phone": _apply_resolve_by_phone,
    "pending_parts": _apply_pending_parts,
    "parts_arrived": _apply_revisit_planned,
    "schedule_revisit": _apply_revisit_planned,
    "refuse_install": _apply_refuse_install,
    "record_callback": _apply_callback,
    "close": _apply_close,
}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"expected_version": _("Enter a valid version number.")}) from None


def order_transition(
    *,
    order_id: int,
    action: str,
    actor: User | None,
    data: dict | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Take one step of the state machine, or refuse it with nothing changed.

    The row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions
    serialise writers) and, when the caller passes the version it saw, version-checked, so of
    two people acting on the same order only the first wins. ``actor=None`` is the system.
    """
    data = data or {}
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(fields={"action": _("Unknown action.")})
    # The completion report stores files (signature, photos): a rolled-back step deletes them again.
    with files_removed_on_error(), transaction.atomic():
        base = WorkOrder.objects.all() if actor is None else WorkOrder.objects.visible_to(actor)
        order = base.select_for_update(of=("self",)).filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("Work order not found."))
        if expected_version is not None and order.version != _version(expected_version):
            raise StaleVersion()
        if order.status not in transition.sources:
            raise InvalidTransition(
                _("Cannot “%(action)s” an order that is “%(status)s”.") % {"action": transition.label, "status": order.get_status_display()}
            )
        if not transition.applies_to(order):
            raise InvalidTransition(
                _("“%(action)s” does not apply to a “%(type)s” order.")
                % {"action": transition.label, "type": order.get_order_type_display()}
            )
        role = role_of(actor)
        if role not in transition.roles:
            raise PermissionDenied(_("Your role may not “%(action)s” this order.") % {"action": transition.label})
        missing = {k: _("This field is required.") for k in transition.required if _blank(data.get(k))}
        if missing:
            raise ValidationFailed(fields=missing)
        if actor is None and SYSTEM not in transition.roles:
            raise PermissionDenied()
        from_status = order.status
        # The apply-function sees the status being entered (e.g. the SLA callback clock tells a phone
        # resolution from a completion); a refusal raised by it leaves the row untouched.
        order.status = transition.target
        recorded = APPLY.get(action, lambda *_: {})(order, data, actor)
        order.version += 1
        reason = (data.get("reason") or "").strip()[:300]
        audited(order, actor, reason or action).save()
        StatusChange.objects.create(
            order=order, action=action, from_status=from_status, to_status=order.status, actor=actor, reason=reason, data=recorded
        )
        publish(f"order.{action}", order=order, actor=actor)
        if action == "approve":
            order.refresh_from_db()  # dispatch has routed it meanwhile (same transaction)
    return order
