from __future__ import annotations

from django.db.models import Q

from anxin.orders.models import WorkOrder


def order_list(*, user, status: str = "", order_type: str = "", q: str = "", outlet_id: int | None = None):
    qs = (
        WorkOrder.objects.visible_to(user)
        .select_related("customer", "address", "region", "outlet", "technician")
        .prefetch_related("lines__product_model__category", "lines__fault_code")
    )
    if status:
        qs = qs.filter(status__in=status.split(","))
    if order_type:
        qs = qs.filter(order_type=order_type)
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__contains=q))
    return qs
