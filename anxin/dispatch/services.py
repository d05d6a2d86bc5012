"""Routing an order to an outlet, and the technician-assignment check (分级派工) the order page and
the demo use: the rule itself is ``orders.workflow.grading.technician_assignment_problems`` (orders
never imports dispatch, issue 10); it is offered here under its old name."""

from __future__ import annotations

from django.utils.translation import gettext as _

from anxin.core.events import in_transaction
from anxin.network.selectors import outlets_covering
from anxin.orders.choices import ApprovalDecision, OrderStatus, OrderType
from anxin.orders.workflow.grading import technician_assignment_problems
from anxin.orders.workflow.services import order_transition

__all__ = ["route_new_order", "technician_assignment_problems"]


@in_transaction("order.created")
@in_transaction("order.approve")
def route_new_order(*, order, actor) -> None:
    """Route a new (or newly approved) order to the outlet covering its address, inside the
    transaction that created or approved it.

    A return / exchange order is not routed on creation: it waits for approval
    (``submit_for_approval`` in ``order_create``), and is routed when ``order.approve`` fires."""
    if order.status != OrderStatus.CREATED:
        return
    if order.order_type == OrderType.RETURN_EXCHANGE and order.approval != ApprovalDecision.APPROVED:
        return
    categories = {line.product_model.category_id for line in order.lines.all()}
    outlets = outlets_covering(division_code=order.address.division_code, category_ids=categories)
    if not outlets:
        order.routing_note = _("No outlet covers this address and product; route it by hand.")
        order.save(update_fields=["routing_note"])
        return
    order_transition(order_id=order.pk, action="route", actor=None, data={"outlet": outlets[0].pk})
