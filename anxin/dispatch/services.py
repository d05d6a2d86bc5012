"""Routing an order to an outlet and checking a technician assignment (分级派工)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from anxin.core.events import in_transaction
from anxin.network.models import Technician
from anxin.network.selectors import outlets_covering, qualification_problems


def technician_assignment_problems(*, order, technician: Technician) -> list[str]:
    """Why ``technician`` may not take ``order`` (empty list: they may): the network's qualification
    rule applied to the grade the order needs (``order.required_level``: its hardest fault, and the
    graded-dispatch policy's minimum for a VIP customer) and its product categories."""
    categories = {line.product_model.category_id for line in order.lines.all()}
    return qualification_problems(technician=technician, level=order.required_level, category_ids=categories, outlet_id=order.outlet_id)


@in_transaction("order.created")
@in_transaction("order.approve")
def route_new_order(*, order, actor) -> None:
    """Route a new (or newly approved) order to the outlet covering its address, inside the
    transaction that created or approved it.

    A return / exchange order is not routed on creation: it waits for approval
    (``submit_for_approval`` in ``order_create``), and is routed when ``order.approve`` fires."""
    from anxin.orders.choices import ApprovalDecision, OrderStatus, OrderType
    from anxin.orders.workflow.services import order_transition

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
