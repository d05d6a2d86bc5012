"""``{% load complaints %}`` then ``{% order_complaints order %}`` on the order page and
``{% customer_complaints customer %}`` on the customer page: each fetches the complaints the
current user may see (scoped, one query) and renders them with a "file complaint" link."""

from __future__ import annotations

from django import template

from anxin.complaints import selectors
from anxin.complaints.services import CREATE_ROLES

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("complaints/partials/order_complaints.html", takes_context=True)
def order_complaints(context, order):
    user = _user(context)
    if user is None or not user.is_authenticated:
        return {"complaints": [], "order": order, "can_file": False}
    return {
        "complaints": selectors.complaints_for_order(user=user, order=order),
        "order": order,
        "can_file": user.has_role(*CREATE_ROLES),
    }


@register.inclusion_tag("complaints/partials/customer_complaints.html", takes_context=True)
def customer_complaints(context, customer):
    user = _user(context)
    if user is None or not user.is_authenticated:
        return {"complaints": [], "customer": customer, "can_file": False}
    return {
        "complaints": selectors.complaints_for_customer(user=user, customer=customer),
        "customer": customer,
        "can_file": user.has_role(*CREATE_ROLES),
    }
