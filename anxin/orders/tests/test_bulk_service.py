"""The bulk service (``orders.workflow.bulk``) on its own: which transition runs for which order, one
result per id in the order given, and refusals that leave the other orders done."""

from __future__ import annotations

from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.bulk import bulk_apply, bulk_fields, transition_for
from anxin.orders.workflow.services import order_transition


def test_reroute_runs_route_for_orders_not_routed_or_rejected():
    assert transition_for("reroute", OrderStatus.CREATED) == "route"
    assert transition_for("reroute", OrderStatus.REJECTED) == "route"
    assert transition_for("reroute", OrderStatus.ASSIGNED) == "reroute"
    assert transition_for("accept", OrderStatus.ROUTED) == "accept"
    assert bulk_fields("reroute") == ("outlet", "reason") and bulk_fields("accept") == () and bulk_fields("cancel") == ("reason",)


def test_each_order_separately_with_its_reason(world):
    ok = world.order()
    accepted = world.order()
    order_transition(order_id=accepted.pk, action="accept", actor=world.dispatcher)
    results = bulk_apply(actor=world.dispatcher, action="accept", order_ids=[accepted.pk, 999999, ok.pk], data={})
    assert [(r["id"], r["ok"]) for r in results] == [(accepted.pk, False), (999999, False), (ok.pk, True)]
    assert results[0]["error"] and results[1]["number"] == "#999999"
    assert WorkOrder.objects.get(pk=ok.pk).status == OrderStatus.ACCEPTED
