"""The bulk paths of the demo seeder (used by the large scale) write the same kind of rows as the services."""

from __future__ import annotations

import dataclasses
from collections import Counter

from anxin.customers import models as customer_models
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone
from anxin.demo.builder import Builder
from anxin.demo.plan import SCALES, make_plan
from anxin.feedback.models import Callback
from anxin.orders.choices import OrderStatus
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.workflow.transitions import TRANSITIONS


def test_bulk_customers_and_bulk_orders(db):
    scale = dataclasses.replace(SCALES["tiny"], name="tiny-bulk", bulk_customers=True, bulk_orders_older_than=5)
    plan = make_plan(scale, 3)
    Builder(plan).build()

    assert Customer.objects.count() == len(plan.customers)
    assert CustomerPhone.objects.count() == sum(len(c.phones) for c in plan.customers)
    assert not CustomerAddress.objects.filter(needs_review=True).exists()
    assert not CustomerAddress.objects.filter(division_code="").exists()
    assert Customer.history.count() == Customer.objects.count()
    assert Appliance.history.filter(history_type="+").count() == Appliance.objects.count()
    assert not Appliance.objects.filter(warranty_end=None).exists()
    if hasattr(customer_models, "SearchToken"):  # bulk customers are searchable like the others
        indexed = set(customer_models.SearchToken.objects.values_list("customer_id", flat=True))
        assert indexed == set(Customer.objects.values_list("pk", flat=True))
    assert set(WorkOrder.objects.values_list("status", flat=True)) == set(OrderStatus.values)

    bulk_count = sum(1 for o in plan.orders if o.status in ("closed", "cancelled") and not o.pin and o.age_days > 5)
    assert bulk_count > 10
    changes = Counter(StatusChange.objects.values_list("order_id", flat=True))
    history = Counter(WorkOrder.history.values_list("id", flat=True))
    for order in WorkOrder.objects.prefetch_related("status_changes"):
        steps = list(order.status_changes.all())
        for before, step in zip(steps, steps[1:], strict=False):
            assert step.from_status == before.to_status in TRANSITIONS[step.action].sources
            assert step.at >= before.at
        assert steps[-1].to_status == order.status
        # One audit row per step (an unrouted order has one more: the routing note).
        assert history[order.pk] == changes[order.pk] + (order.status == "created"), order.number
    closed = WorkOrder.objects.filter(status="closed")
    assert Callback.objects.filter(order__in=closed).count() == closed.count()
    # "complete" takes one fault code: lines of that category carry it (sets of several categories keep the rest blank).
    diagnosed = set(OrderLine.objects.filter(order__in=closed).exclude(fault_code=None).values_list("order_id", flat=True))
    assert diagnosed == set(closed.values_list("pk", flat=True))
