"""Callback reads: the queue of completed orders waiting for their callback (回访)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder

# Haier: 100 % of completed orders are called back within 72 h of completion.
DEFAULT_CALLBACK_HOURS = 72


def callback_hours() -> int:
    return int(getattr(settings, "ANXIN_CALLBACK_DEADLINE_HOURS", DEFAULT_CALLBACK_HOURS))


def callback_deadline(order: WorkOrder) -> datetime | None:
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(hours=callback_hours())


def callbacks_due(*, user):
    """Completed orders in ``user``'s scope still waiting for a callback, oldest completion first."""
    return (
        WorkOrder.objects.visible_to(user)
        .filter(status=OrderStatus.COMPLETED)
        .select_related("customer", "address", "outlet", "technician")
        .prefetch_related("lines__product_model", "lines__fault_code")
        .order_by("completed_at", "id")
    )
