"""The load of an outlet as the order side counts it: its open orders. Registered with
``network.selectors.register_outlet_load`` (network sits below orders and never queries them,
decision 0043), so routing spreads new orders over equally good outlets."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Count

from anxin.orders.choices import OPEN_STATUSES
from anxin.orders.models import WorkOrder


def open_orders_by_outlet(outlet_ids: Collection[int]) -> dict[int, int]:
    """Open orders per outlet among ``outlet_ids`` (one grouped query; outlets without any are absent)."""
    rows = (
        WorkOrder.objects.filter(outlet_id__in=list(outlet_ids), status__in=OPEN_STATUSES)
        .values("outlet_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["outlet_id"]: row["n"] for row in rows}
