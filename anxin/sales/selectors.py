from __future__ import annotations

from django.db.models import QuerySet

from anxin.sales.models import SaleRegistration


def sale_list(*, user) -> QuerySet[SaleRegistration]:
    """The sales a user may see, newest first, with what a list shows."""
    return (
        SaleRegistration.objects.visible_to(user)
        .select_related("customer", "order", "dealer", "registered_by")
        .prefetch_related("appliances")
        .order_by("-created_at", "-id")
    )
