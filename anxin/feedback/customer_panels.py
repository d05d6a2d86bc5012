"""What feedback shows on the customer's page: the callbacks on the orders shown there (the orders
part, registered before this one, put them in the context). Registered with
``customers.pages.register_customer_page_part`` from ``FeedbackConfig.ready()`` (decision 0044)."""

from __future__ import annotations

from anxin.customers.pages import register_customer_page_part
from anxin.feedback.models import Callback

SHOWN = 20


def detail_part(*, user, customer, context: dict) -> dict:
    orders = context.get("orders") or []
    if not orders:
        return {"callbacks": []}
    return {"callbacks": list(Callback.objects.filter(order__in=orders).select_related("order", "agent").order_by("-created_at")[:SHOWN])}


def register() -> None:
    register_customer_page_part("detail", detail_part)
