"""Callback reads: the queue of finished orders waiting for their callback (回访).

The callback deadline is the SLA policy's (``orders.sla.plan_callback`` stores it on the order when
the work is completed or resolved by phone); every page reads that stored deadline, none computes
its own."""

from __future__ import annotations

from django.db.models import F

from anxin.orders.choices import DONE_STATUSES
from anxin.orders.models import WorkOrder


def callbacks_due(*, user):
    """Orders in ``user``'s scope whose work is done (completed, or resolved by phone) and still
    waiting for the callback, the nearest callback deadline first."""
    return (
        WorkOrder.objects.visible_to(user)
        .filter(status__in=DONE_STATUSES)
        .select_related("customer", "address", "outlet", "technician")
        .prefetch_related("lines__product_model", "lines__fault_code")
        .order_by(F("callback_deadline").asc(nulls_last=True), "completed_at", "id")
    )
