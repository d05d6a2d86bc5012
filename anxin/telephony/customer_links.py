"""Telephony on the customer pages (decision 0044): the calls of the customer on their profile, and
the call of an unknown number linked to the customer the agent registers from its screen pop (the
``customer.created`` event carries the pop's ``call_id``; an in-transaction rule, so the link commits
with the customer). Registered from ``TelephonyConfig.ready()``; customers never import telephony."""

from __future__ import annotations

from django.urls import reverse

from anxin.core.events import in_transaction
from anxin.customers.pages import register_customer_page_part
from anxin.telephony.models import Call
from anxin.telephony.services import call_link_customer

SHOWN = 20


def detail_part(*, user, customer, context: dict) -> dict:
    calls = list(Call.objects.visible_to(user).filter(customer=customer).select_related("agent").order_by("-started_at", "-id")[:SHOWN])
    return {"telephony": True, "calls": calls, "telephony_url": reverse("call_list")}


def link_call_of_new_customer(*, customer, actor, call_id: int | None = None, **_payload) -> None:
    """``?call=`` came from the screen pop of an unknown caller: the call now belongs to the new customer."""
    if call_id is not None:
        call_link_customer(actor=actor, call_id=call_id, customer=customer)


def register() -> None:
    register_customer_page_part("detail", detail_part)
    in_transaction("customer.created")(link_call_of_new_customer)
