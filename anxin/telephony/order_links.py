"""Telephony's part in registering an order: an order started from a call's screen pop (``?call=<id>``
on the new-order page) is linked to the call. Orders offers the registration point
(``orders.workflow.hooks``) and never imports telephony; ``TelephonyConfig.ready`` registers this."""

from __future__ import annotations

from anxin.orders.workflow.hooks import register_order_source
from anxin.telephony.services import call_link_order


def link_call(*, actor, source_id: int, order) -> None:
    call_link_order(actor=actor, call_id=source_id, order=order)


def register() -> None:
    register_order_source("call", link_call)
