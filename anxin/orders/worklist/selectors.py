"""Order lists: the sort keys and urgency order, the filtered list, the search box, a technician's jobs."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.lookups import prefix_q
from anxin.orders.choices import FIELD_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.orders.models import OrderLine, WorkOrder
from anxin.orders.sla.clocks import SLA_STATES, callback_state_q, visit_state_q, with_sla


def shown_lines() -> Prefetch:
    """An order's lines with the product model, its category and the fault code a list or job card
    shows: one query, joined, rather than a prefetch per level."""
    return Prefetch("lines", queryset=OrderLine.objects.select_related("product_model__category", "fault_code"))


URGENCY = (F("open_visit_deadline").asc(nulls_last=True), "-created_at", "-id")

# Sort keys of the queue → ORDER BY (the key is what the page puts into ``?sort=``).
ORDER_SORTS: dict[str, tuple] = {
    "number": (F("number").asc(nulls_last=True), "id"),
    "customer": ("customer__name", "id"),
    "type": ("order_type", "id"),
    "status": ("status", "id"),
    "sla": (F("visit_deadline").asc(nulls_last=True), "id"),
    "outlet": (F("outlet__name").asc(nulls_last=True), "id"),
    "technician": (F("technician__name").asc(nulls_last=True), "id"),
    "appointment": (F("appointment_start").asc(nulls_last=True), "id"),
    "created": ("created_at", "id"),
    # The default of the queue: running visit clocks first, the nearest deadline first (so the most
    # overdue lead, then those about to be missed), then every other order newest first. Sorted on the
    # generated ``open_visit_deadline``, which its partial indexes serve (decision 0020).
    "urgency": URGENCY,
}


def _descending(term):
    if isinstance(term, str):
        return term[1:] if term.startswith("-") else f"-{term}"
    return term.expression.desc(nulls_last=True) if term.descending is False else term.expression.asc(nulls_last=True)


def order_sorting(sort: str) -> tuple | None:
    """``"status"`` / ``"-status"`` → ORDER BY terms; unknown keys → ``None`` (keep the default)."""
    key = sort.lstrip("-")
    if key not in ORDER_SORTS:
        return None
    terms = ORDER_SORTS[key]
    return tuple(_descending(t) for t in terms) if sort.startswith("-") else terms


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order_list(
    *,
    user,
    status: str = "",
    order_type: str = "",
    q: str = "",
    outlet_id: int | None = None,
    technician_id: int | None = None,
    vip: bool | None = None,
    sla: str = "",
    callback_sla: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    customer_ids: list[int] | None = None,
    sort: str = "",
    now: datetime | None = None,
):
    """Work orders in ``user``'s scope with the queue's filters; every row carries ``sla_state``.

    ``status`` may be a comma-separated list or ``open`` (every open status). ``customer_ids`` keeps
    the orders of those customers (the screen pop's caller). ``sort`` is a key of ``ORDER_SORTS``,
    ``-`` for descending; empty keeps the model's newest-first order. The one filter chain of orders:
    the queue, the API and the screen pop all read through it.
    """
    now = now or timezone.now()
    qs = with_sla(
        WorkOrder.objects.visible_to(user)
        .select_related("customer", "address", "region", "outlet", "technician")
        .prefetch_related(shown_lines()),
        now,
    )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status__in=status.split(","))
    if order_type:
        qs = qs.filter(order_type=order_type)
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    if technician_id:
        qs = qs.filter(technician_id=technician_id)
    if vip is not None:
        qs = qs.filter(is_vip=vip)
    if sla in SLA_STATES:
        qs = qs.filter(visit_state_q(sla, now))
    if callback_sla in SLA_STATES:
        qs = qs.filter(callback_state_q(callback_sla, now))
    if created_from:
        qs = qs.filter(created_at__gte=_day_start(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=_day_start(created_to + timedelta(days=1)))
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    if q:
        qs = qs.filter(order_search_q(q, user=user))
    ordering = order_sorting(sort) if sort else None
    if ordering:
        qs = qs.order_by(*ordering)
    return qs


def with_line_counts(qs):
    """``qs`` (from ``order_list``) for a table that shows how many lines an order has, not which:
    ``line_count`` per row from one correlated COUNT, instead of fetching every line with its
    product model, category and fault code."""
    lines = OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk")).values("n")
    return qs.prefetch_related(None).annotate(line_count=Coalesce(Subquery(lines, output_field=IntegerField()), 0))


# A phone number the search box takes: whole, or its last 7+ digits (fewer are order-number digits).
_PHONE = re.compile(r"\d{7,11}")


# The orders (by number) and customers a search resolves to first, each with one small indexed
# query: up to this many become plain id lists, which every planner turns into index lookups
# before it thinks of walking a sort index; more (a short prefix, a common character), the condition
# itself.
SEARCH_MATCHES_MAX = 1000


def order_search_q(q: str, *, user=None) -> Q:
    """The queue's search box: an order number (or its beginning), the customer's name (any 1–3
    characters of it, or the whole name) or phone number (whole, or the last 7+ digits). Every branch
    is an index lookup — the order-number index, the archive's customer search index — so a search
    never scans a million orders (docs/decisions/0022-order-search.md)."""
    from anxin.customers.models import SearchToken
    from anxin.customers.search import Kind, token_q

    text = re.sub(r"\s+", "", q or "")
    if not text:
        return Q()
    condition = Q(pk__in=[])
    if text.isascii():
        # Order numbers are letters and digits; the digits may be typed without the letters.
        number = prefix_q("number", (f"WO{text}" if text.isdigit() else text.upper())[:24])
        ids = list(WorkOrder.objects.filter(number).values_list("pk", flat=True)[: SEARCH_MATCHES_MAX + 1])
        condition |= Q(pk__in=ids) if len(ids) <= SEARCH_MATCHES_MAX else number
    # A user who sees numbers masked matches whole numbers only (decision 0024).
    tokens = token_q(text, {Kind.NAME, Kind.PHONE_TAIL} if _PHONE.fullmatch(text) else {Kind.NAME}, user=user)
    if tokens is not None:
        matching = SearchToken.objects.filter(tokens).values_list("customer_id", flat=True).distinct()
        ids = list(matching[: SEARCH_MATCHES_MAX + 1])
        condition |= Q(customer_id__in=ids if len(ids) <= SEARCH_MATCHES_MAX else matching)
    return condition


def technician_open_jobs(*, user):
    """The logged-in technician's jobs in the field (assigned … on site), earliest appointment first,
    with what a job card shows (customer, address, phones, lines); the API adds its other relations."""
    return (
        WorkOrder.objects.visible_to(user)
        .filter(technician__user=user, status__in=FIELD_STATUSES)
        .select_related("customer", "address")
        .prefetch_related("customer__phones", shown_lines())
        .order_by(F("appointment_start").asc(nulls_last=True), "created_at", "id")
    )


def technician_completed_count(*, user, day: date) -> int:
    """How many orders the technician completed on ``day`` (local time)."""
    start = _day_start(day)
    return (
        WorkOrder.objects.visible_to(user)
        .filter(
            technician__user=user,
            completed_at__gte=start,
            completed_at__lt=start + timedelta(days=1),
        )
        .exclude(status=OrderStatus.CANCELLED)
        .count()
    )


# --- what the registering user is told (decision 0031) ------------------------------------------


def order_created_summary(*, order: WorkOrder, user) -> tuple[bool, str]:
    """``(visible, message)`` for the user who just registered ``order``.

    A hotline agent may register an order for a customer of another region (the archive is shared
    nationwide); the order belongs to the customer's region and is routed there, so the agent may
    no longer see it. The answer still says what happened — never a 404 for an order just created."""
    visible = WorkOrder.objects.visible_to(user).filter(pk=order.pk).exists()
    values = {
        "number": order.number,
        "outlet": order.outlet.name if order.outlet_id else "",
        "region": order.region.name if order.region_id else "—",
    }
    if order.status == OrderStatus.PENDING_APPROVAL:
        text = _("Work order %(number)s created; the return / exchange now waits for approval.") % values
    elif order.outlet_id and visible:
        text = _("Work order %(number)s created, routed to %(outlet)s.") % values
    elif order.outlet_id:
        text = _("Work order %(number)s created and routed to an outlet of %(region)s, the customer's region.") % values
    elif visible:
        text = _("Work order %(number)s created; no outlet covers the address yet, route it by hand.") % values
    else:
        text = _("Work order %(number)s created for %(region)s, the customer's region, where it waits to be routed by hand.") % values
    if not visible:
        text = " ".join((text, _("It is outside your scope, so it does not appear in your lists.")))
    return visible, text
