"""Work-order writes. ``order_transition`` is the only code that changes an order's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit, User
from anxin.catalog.models import FaultCode, ProductModel
from anxin.core.audit import audited
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from anxin.core.events import publish
from anxin.customers.choices import MarketTier
from anxin.customers.models import Appliance, Customer
from anxin.network.models import Technician
from anxin.orders.choices import Channel, OrderStatus, OrderType, Priority, Satisfaction
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.transitions import SYSTEM, TRANSITIONS, role_of

# Visit deadline after the order is taken, per market tier (Hanel: city 24 h, county 48 h, remote 72 h).
DEFAULT_VISIT_HOURS = {MarketTier.CITY: 24, MarketTier.COUNTY: 48, MarketTier.REMOTE: 72, MarketTier.UNKNOWN: 48}


# Who may register a work order: the hotline, managers and dealers (install after a sale).
ORDER_CREATE_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR, Role.DEALER, Role.OUTLET_MANAGER)


def visit_hours(tier: int) -> int:
    configured = getattr(settings, "ANXIN_VISIT_DEADLINE_HOURS", {}) or {}
    return int(configured.get(int(tier), DEFAULT_VISIT_HOURS.get(tier, 48)))


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
    addresses = customer.addresses.all()
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
    for i, item in enumerate(data.lines):
        appliance = None
        if item.appliance_id:
            appliance = Appliance.objects.filter(pk=item.appliance_id, customer=customer).select_related("product_model").first()
            if appliance is None:
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
        lines.append(
            OrderLine(
                appliance=appliance,
                product_model=model,
                symptom=item.symptom.strip(),
                fault_code=fault,
                in_warranty=bool(appliance and appliance.in_warranty(timezone.localdate())),
            )
        )
    if errors:
        raise ValidationFailed(fields=errors)

    now = timezone.now()
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
        visit_deadline=now + timedelta(hours=visit_hours(address.market_tier)),
        created_by=actor,
    )
    audited(order, actor, "created").save()
    order.number = f"WO{timezone.localtime(now):%Y%m%d}{order.pk:07d}"
    WorkOrder.objects.filter(pk=order.pk).update(number=order.number)
    for line in lines:
        line.order = order
        audited(line, actor, "created").save()
    StatusChange.objects.create(order=order, action="create", from_status="", to_status=OrderStatus.CREATED, actor=actor)
    publish("order.created", order=order, actor=actor)
    order.refresh_from_db()
    return order


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


def _apply_route(order: WorkOrder, data: dict, actor) -> dict:
    # A person routes only to outlets in their own scope (a region's agent to the region's outlets).
    units = OrgUnit.objects.all() if actor is None else OrgUnit.objects.visible_to(actor)
    outlet = units.filter(pk=_id(data, "outlet"), kind=OrgKind.OUTLET).first()
    if outlet is None:
        raise ValidationFailed(fields={"outlet": _("Choose a service outlet.")})
    order.outlet = outlet
    order.technician = None
    if order.region_id is None:
        order.region = outlet.parent
    order.routing_note = ""
    return {"outlet": outlet.pk, "outlet_name": outlet.name}


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


def _apply_check_in(order: WorkOrder, data: dict, actor) -> dict:
    order.checked_in_at = timezone.now()
    return {}


def _apply_complete(order: WorkOrder, data: dict, actor) -> dict:
    fault = FaultCode.objects.filter(pk=_id(data, "fault_code")).first()
    lines = list(order.lines.select_related("product_model"))
    if fault is None or not any(line.product_model.category_id == fault.category_id for line in lines):
        raise ValidationFailed(fields={"fault_code": _("Choose a fault code for this product.")})
    resolution = (data.get("resolution") or "").strip()[:200]
    for line in lines:
        if line.product_model.category_id == fault.category_id:
            line.fault_code = fault
            line.resolution = resolution or line.resolution
            audited(line, actor, "diagnosed").save()
    order.completed_at = timezone.now()
    return {"fault_code": fault.code}


def _apply_callback(order: WorkOrder, data: dict, actor) -> dict:
    if data.get("satisfaction") not in Satisfaction.values:
        raise ValidationFailed(fields={"satisfaction": _("Choose the customer's satisfaction.")})
    order.satisfaction = data["satisfaction"]
    return {"satisfaction": order.satisfaction}


def _apply_close(order: WorkOrder, data: dict, actor) -> dict:
    order.closed_at = timezone.now()
    return {}


APPLY = {
    "route": _apply_route,
    "assign": _apply_assign,
    "check_in": _apply_check_in,
    "complete": _apply_complete,
    "record_callback": _apply_callback,
    "close": _apply_close,
}


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
    with transaction.atomic():
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
        role = role_of(actor)
        if role not in transition.roles:
            raise PermissionDenied(_("Your role may not “%(action)s” this order.") % {"action": transition.label})
        missing = {k: _("This field is required.") for k in transition.required if data.get(k) in (None, "")}
        if missing:
            raise ValidationFailed(fields=missing)
        if actor is None and SYSTEM not in transition.roles:
            raise PermissionDenied()
        recorded = APPLY.get(action, lambda *_: {})(order, data, actor)
        from_status = order.status
        order.status = transition.target
        order.version += 1
        reason = (data.get("reason") or "").strip()[:300]
        audited(order, actor, reason or action).save()
        StatusChange.objects.create(
            order=order, action=action, from_status=from_status, to_status=order.status, actor=actor, reason=reason, data=recorded
        )
        publish(f"order.{action}", order=order, actor=actor)
    return order
