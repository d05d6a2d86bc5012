"""One callback deadline: the SLA policy's, stored on the order when the work is done, read by the
callback queue, the record page, the "awaiting callback" work list and the dashboard alike; orders
resolved by phone wait for their callback like completed ones."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from anxin.dashboards import selectors as dashboard
from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition
from anxin.orders.worklist import queues


def completed(world, *, callback_hours=None):
    order = world.order()
    if callback_hours is not None:
        # The policy row that applies to this order promises another callback time than the default.
        order.sla_policy.callback_hours = Decimal(callback_hours)
        order.sla_policy.save()
    tech = world.users["technician"]
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="check_in", actor=tech)
    return order_transition(order_id=order.pk, action="complete", actor=tech, data=minimal_report(order))


def resolved_by_phone(world):
    order = world.order()
    return order_transition(order_id=order.pk, action="resolve_by_phone", actor=world.agent, data={"reason": "指导用户重置遥控器"})


def queue_rows(client) -> dict[str, str]:
    """order number → the callback deadline the queue shows (ISO)."""
    html = client.get(reverse("callback_queue")).content.decode()
    rows = re.findall(r'data-order-number="([^"]+)".*?data-deadline="([^"]+)"', html, flags=re.S)
    return dict(rows)


def test_the_queue_shows_the_deadline_the_policy_set(client, world):
    order = completed(world, callback_hours=24)
    assert order.callback_deadline == order.completed_at + timedelta(hours=24)
    client.force_login(world.callback_agent)
    shown = queue_rows(client)
    assert shown == {order.number: timezone.localtime(order.callback_deadline).isoformat()}
    page = client.get(reverse("callback_record", args=[order.pk])).content.decode()
    assert f'data-deadline="{timezone.localtime(order.callback_deadline).isoformat()}"' in page


def test_orders_resolved_by_phone_reach_the_callback_queue(client, world):
    phone = resolved_by_phone(world)
    done = completed(world)
    assert phone.status == OrderStatus.RESOLVED_BY_PHONE and phone.callback_deadline is not None
    client.force_login(world.callback_agent)
    shown = queue_rows(client)
    assert set(shown) == {phone.number, done.number}
    # The same orders as the callback agent's "awaiting callback" work list.
    _queue, work_list = queues.queue_orders(world.callback_agent, "awaiting_callback")
    assert set(work_list.values_list("number", flat=True)) == set(shown)
    page = client.get(reverse("callback_record", args=[phone.pk])).content.decode()
    assert 'data-action="record_callback"' in page or 'name="satisfaction"' in page


def test_the_dashboard_counts_callbacks_by_the_stored_deadline(world):
    late = completed(world, callback_hours=1)
    WorkOrder.objects.filter(pk=late.pk).update(callback_deadline=timezone.now() - timedelta(minutes=5))
    resolved_by_phone(world)
    figures = dashboard.order_figures(user=world.callback_agent)
    assert figures.callbacks_pending == 2  # the phone resolution waits for its callback too
    assert figures.callbacks_late == 1  # late by its own deadline, though completed minutes ago
