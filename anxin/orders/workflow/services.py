"""Work-order writes. ``order_transition`` is the only code that changes an order's status.

``validate_appointment_window`` (from ``orders.workflow.steps``) is offered here too: sales checks a
window like an order does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import User
from anxin.catalog.models import FaultCode, ProductModel
from anxin.core.audit import audited
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.core.events import publish
from anxin.customers.models import Appliance, Customer
from anxin.customers.selectors import dealer_card_for
from anxin.orders.choices import Channel, OrderStatus, OrderType, Priority, ReturnKind
from anxin.orders.completion.attachments import files_removed_on_error
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.sla import policy as sla
from anxin.orders.workflow.eligibility import appliance_eligibility, earlier_repair
from anxin.orders.workflow.steps import validate_appointment_window
from anxin.orders.workflow.transitions import ORDER_MACHINE

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
    The order machine (``orders.workflow.transitions``) declares every step; the kit
    (``core.statemachine``) takes it. After ``approve`` dispatch routes the order inside the same
    transaction (its own step on its own copy of the row): the kit notices a nested step on the
    same row and returns the order re-read, routed.
    """
    # The completion report stores files (signature, photos): a rolled-back step deletes them again.
    with files_removed_on_error():
        return ORDER_MACHINE.take(pk=order_id, action=action, actor=actor, data=data, expected_version=expected_version)


def _publish(event: str, **payload) -> None:
    publish(event, **payload)  # this module's name, looked up per step: one place to intercept order events


ORDER_MACHINE.publish = _publish

__all__ = ["ORDER_CREATE_ROLES", "LineInput", "OrderInput", "order_create", "order_transition", "validate_appointment_window"]
