"""What sales shows on a dealer's page of a customer: the sales its people registered. Registered
with ``customers.pages.register_customer_page_part`` from ``SalesConfig.ready()`` (customers sit below
sales and never query them, decision 0044)."""

from __future__ import annotations

from anxin.customers.pages import register_customer_page_part
from anxin.sales.models import SaleRegistration

SHOWN = 50


def dealer_part(*, user, customer, context: dict) -> dict:
    return {"sales": list(SaleRegistration.objects.visible_to(user).filter(customer=customer).order_by("-created_at", "-id")[:SHOWN])}


def register() -> None:
    register_customer_page_part("dealer", dealer_part)
