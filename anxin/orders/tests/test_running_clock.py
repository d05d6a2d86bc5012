"""The running visit clock column (``open_visit_deadline``), the SLA states computed from it and the
urgency order read in two runs (decision 0020)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from anxin.orders.choices import OPEN_STATUSES, OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.sla.clocks import SLA_STATES, sla_state
from anxin.orders.workflow.services import order_transition
from anxin.orders.worklist import queues, selectors


def running_deadline(order):
    return WorkOrder.objects.values_list("open_visit_deadline", flat=True).get(pk=order.pk)


def test_the_database_keeps_the_running_deadline_with_the_clock(world):
    order = world.order()
    assert order.visit_deadline is not None
    assert running_deadline(order) == order.visit_deadline
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="depart", actor=world.technician.user)
    assert running_deadline(order) == WorkOrder.objects.get(pk=order.pk).visit_deadline
    order_transition(order_id=order.pk, action="check_in", actor=world.technician.user)
    assert running_deadline(order) is None  # on site: the visit clock stopped

    cancelled = world.order()
    order_transition(order_id=cancelled.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    assert running_deadline(cancelled) is None

    # A re-planned deadline moves the column with it; no deadline, no running clock.
    later = timezone.now() + timedelta(days=3)
    WorkOrder.objects.filter(pk=order.pk).update(status=OrderStatus.REVISIT, checked_in_at=None, visit_deadline=later)
    assert running_deadline(order) == later
    WorkOrder.objects.filter(pk=order.pk).update(visit_deadline=None)
    assert running_deadline(order) is None


@pytest.mark.parametrize("status", [s.value for s in OrderStatus])
def test_sla_state_in_sql_is_the_python_rule_for_every_status(world, status):
    now = timezone.now()
    spans = [(-30, -6, -12), (-20, 4, -2), (-1, 23, 17), (-20, 4, None), (-1, 23, None)]  # created, deadline, risk (hours)
    orders = []
    for created, deadline, risk in spans:
        order = world.order()
        WorkOrder.objects.filter(pk=order.pk).update(
            status=status,
            created_at=now + timedelta(hours=created),
            visit_deadline=now + timedelta(hours=deadline),
            visit_risk_at=None if risk is None else now + timedelta(hours=risk),
        )
        orders.append(order.pk)
    rows = {o.pk: o for o in selectors.order_list(user=world.hq_manager, now=now).filter(pk__in=orders)}
    for pk in orders:
        assert rows[pk].sla_state == sla_state(rows[pk], now)
        assert (rows[pk].sla_state != "") == (status in OPEN_STATUSES)
    for state in SLA_STATES:
        in_sql = set(selectors.order_list(user=world.hq_manager, sla=state, now=now).filter(pk__in=orders).values_list("pk", flat=True))
        in_queue = set(queues.sla_filter(selectors.order_list(user=world.hq_manager, now=now), state, now).values_list("pk", flat=True))
        assert in_sql == in_queue == {pk for pk in orders if rows[pk].sla_state == state}


@pytest.fixture
def mixed_orders(world):
    """Nine orders: five with a running visit clock (deadlines spread, two equal), four without."""
    now = timezone.now()
    pks = []
    for i, (status, hours) in enumerate(
        [("routed", 5), ("assigned", -7), ("closed", -50), ("accepted", 30), ("cancelled", 2), ("routed", 5), ("on_site", -1)]
        + [("completed", -3), ("revisit", 60)]
    ):
        order = world.order()
        WorkOrder.objects.filter(pk=order.pk).update(
            status=status,
            created_at=now - timedelta(hours=100 - i),
            visit_deadline=now + timedelta(hours=hours),
            checked_in_at=now if status in ("on_site", "completed", "closed") else None,
        )
        pks.append(order.pk)
    return pks


def test_urgency_pages_in_two_runs_are_the_single_order_by(world, mixed_orders):
    qs = queues.queue_orders(world.hq_manager, "all")[1]
    assert tuple(qs.query.order_by) == selectors.URGENCY
    whole = list(qs.values_list("pk", flat=True))
    assert sorted(whole) == sorted(mixed_orders)
    running = [pk for pk in whole if selectors.order_list(user=world.hq_manager).get(pk=pk).sla_state]
    assert whole[: len(running)] == running and len(running) == 5  # running clocks first
    for size in (1, 2, 4, 5, 6, 9, 20):
        for bottom in range(0, len(whole) + 1, size):
            assert queues.urgency_page_ids(qs, bottom, bottom + size) == whole[bottom : bottom + size], (size, bottom)
    # Any other order is not cut in runs.
    assert queues.urgency_page_ids(qs.order_by("-created_at"), 0, 5) is None


def test_list_page_shows_the_urgency_order(client, world, mixed_orders, settings):
    settings.ANXIN_PAGE_SIZE = 4
    client.force_login(world.hq_manager)
    qs = queues.queue_orders(world.hq_manager, "all")[1]
    expected = list(qs.values_list("number", flat=True))
    shown = []
    for page in (1, 2, 3):
        response = client.get(reverse("order_list"), {"page": page})
        assert response.status_code == 200
        shown += re.findall(r'data-order-number="([^"]+)"', response.content.decode())
    assert shown == expected
