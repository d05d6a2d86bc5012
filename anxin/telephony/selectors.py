"""Telephony reads: the screen pop for an agent, the call log, an agent's due follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from anxin.customers.models import Customer
from anxin.customers.selectors import FULL_CONTACT_ROLES, mask_phone
from anxin.orders.worklist.selectors import order_list
from anxin.telephony.choices import CallState
from anxin.telephony.models import Call, FollowUpTask
from anxin.telephony.services import customers_for_number

# A ringing call the PBX never reported as ended stops popping after this long.
POP_MAX_AGE = timedelta(hours=2)

CALL_SORTS = {
    "started": ("started_at", "id"),
    "-started": ("-started_at", "-id"),
    "type": ("call_type", "-started_at"),
    "-type": ("-call_type", "-started_at"),
    "disposition": ("disposition", "-started_at"),
    "-disposition": ("-disposition", "-started_at"),
    "agent": ("agent__username", "-started_at"),
    "-agent": ("-agent__username", "-started_at"),
}


def pop_call_for(*, user, now: datetime | None = None) -> Call | None:
    """The call to pop for ``user``: their newest ringing or answered call not yet dismissed or logged."""
    now = now or timezone.now()
    mine = Q(agent=user)
    if user.extension:
        mine |= Q(agent__isnull=True, extension=user.extension)
    return (
        Call.objects.filter(mine, state__in=(CallState.RINGING, CallState.ANSWERED), dismissed_at__isnull=True, order__isnull=True)
        .filter(started_at__gte=now - POP_MAX_AGE)
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass
class PopCustomer:
    customer: Customer
    open_orders: list  # the open work orders the agent may see, most urgent deadline first
    last_service: datetime | None
    appliances: list

    @property
    def open_order_count(self) -> int:
        return len(self.open_orders)


# The pop lists at most this many open orders per customer.
POP_OPEN_ORDERS = 5


def pop_customers(*, user, call: Call) -> list[PopCustomer]:
    """The customers the caller ID matches, with what the agent needs at a glance."""
    customers = customers_for_number(call.caller_number, user=user)
    if call.customer_id and call.customer_id not in {c.pk for c in customers}:
        extra = Customer.objects.visible_to(user).filter(pk=call.customer_id).first()
        if extra is not None:
            customers.insert(0, extra)
    if not customers:
        return []
    ids = [c.pk for c in customers]
    # Only the orders the agent may see (the archive is nationwide, the orders are the region's),
    # through the order list's one filter chain.
    visible_orders = order_list(user=user, customer_ids=ids).order_by()
    last_service = dict(visible_orders.values("customer_id").annotate(last=Max("completed_at")).values_list("customer_id", "last"))
    open_orders: dict[int, list] = {}
    pop_orders = order_list(user=user, customer_ids=ids, status="open").prefetch_related(None)
    for order in pop_orders.order_by(F("visit_deadline").asc(nulls_last=True), "-created_at"):
        rows = open_orders.setdefault(order.customer_id, [])
        if len(rows) < POP_OPEN_ORDERS:
            rows.append(order)
    from anxin.customers.models import Appliance

    appliances: dict[int, list] = {}
    for a in Appliance.objects.filter(customer_id__in=ids).select_related("product_model__category").order_by("pk"):
        appliances.setdefault(a.customer_id, []).append(a)
    return [
        PopCustomer(
            customer=c,
            open_orders=open_orders.get(c.pk, []),
            last_service=last_service.get(c.pk),
            appliances=appliances.get(c.pk, []),
        )
        for c in customers
    ]


def shows_full_number(user) -> bool:
    return user.is_superuser or user.role in FULL_CONTACT_ROLES


def display_number(user, number: str) -> str:
    return number if shows_full_number(user) else mask_phone(number)


def call_list(
    *,
    user,
    date_from=None,
    date_to=None,
    call_type: str = "",
    disposition: str = "",
    agent_id: int | None = None,
    number: str = "",
    sort: str = "",
) -> QuerySet[Call]:
    qs = Call.objects.visible_to(user).select_related("agent", "customer", "order")
    if date_from:
        qs = qs.filter(started_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(started_at__date__lte=date_to)
    if call_type:
        qs = qs.filter(call_type=call_type)
    if disposition:
        qs = qs.filter(disposition=disposition)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    if number:
        # Part of a number only for those who see numbers unmasked; for the others the whole number,
        # or the masked 138****5678 could be rebuilt digit by digit (decision 0024).
        qs = qs.filter(caller_number__contains=number) if shows_full_number(user) else qs.filter(caller_number=number)
    return qs.order_by(*CALL_SORTS.get(sort, CALL_SORTS["-started"]))


def follow_ups_due(*, user, limit: int = 20) -> list[FollowUpTask]:
    """The user's open follow-up tasks, soonest first."""
    now = timezone.now()
    tasks = list(
        FollowUpTask.objects.filter(assigned_to=user, done_at__isnull=True)
        .select_related("customer", "call")
        .prefetch_related("customer__appliances__product_model")  # the "not solved" order picks one
        .order_by("due_at", "pk")[:limit]
    )
    for task in tasks:
        task.overdue = task.due_at < now
    return tasks
