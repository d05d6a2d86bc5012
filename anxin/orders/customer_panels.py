"""What the order side shows on the customer pages: the customer's work orders (those the viewer may
see), their count, and the "new work order" button. Registered with
``customers.pages.register_customer_page_part`` from ``OrdersConfig.ready()`` (customers sit below
orders and never query them, decision 0044)."""

from __future__ import annotations

from django.urls import reverse

from anxin.customers.pages import register_customer_page_part
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import ORDER_CREATE_ROLES

SHOWN = 50  # orders listed on the profile; the count says how many there are in all


def _with_urls(orders: list) -> list:
    for order in orders:
        order.url = reverse("order_detail", args=[order.pk])
    return orders


def _new_order(user, customer) -> dict:
    return {"can_order": user.has_role(*ORDER_CREATE_ROLES), "new_order_url": f"{reverse('order_create')}?customer={customer.pk}"}


def detail_part(*, user, customer, context: dict) -> dict:
    orders_qs = (
        WorkOrder.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("outlet", "technician")
        .prefetch_related("lines__product_model")
        .order_by("-created_at", "-id")
    )
    orders = _with_urls(list(orders_qs[:SHOWN]))
    return {"orders": orders, "order_count": orders_qs.count() if len(orders) == SHOWN else len(orders), **_new_order(user, customer)}


def dealer_part(*, user, customer, context: dict) -> dict:
    orders = _with_urls(list(WorkOrder.objects.visible_to(user).filter(customer=customer).order_by("-created_at", "-id")[:SHOWN]))
    return {"orders": orders, **_new_order(user, customer)}


def merge_side_part(*, user, customer, context: dict) -> dict:
    # Only the orders the viewer may see (an agent sees the archive but its region's orders).
    return {"orders": WorkOrder.objects.visible_to(user).filter(customer=customer).count()}


def register() -> None:
    register_customer_page_part("detail", detail_part)
    register_customer_page_part("dealer", dealer_part)
    register_customer_page_part("merge_side", merge_side_part)
