from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from anxin.core.lookups import prefix_q
from anxin.orders.choices import DONE_STATUSES, FIELD_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.orders.models import WorkOrder

# SLA clock states, shared by the queue filter, the badges and the exports.
ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED)
# "At risk" when this share of the promised time or less is left (25 %; stored as visit_risk_at).
AT_RISK_SHARE = 4  # remaining × 4 ≤ whole span  ⇔  remaining ≤ 25 % of the span

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


def visit_clock_running(order: WorkOrder) -> bool:
    """The visit-deadline clock runs while the order is open and nobody has checked in on site yet."""
    return order.visit_deadline is not None and order.status in OPEN_STATUSES and order.checked_in_at is None


def clock_state(*, start: datetime | None, deadline: datetime | None, now: datetime | None = None, risk_at: datetime | None = None) -> str:
    """on_track / at_risk (25 % of the time or less left) / breached (deadline passed).

    ``risk_at`` is the stored moment the clock turns at risk (``visit_risk_at``); without it the
    span rule from ``start`` applies — both put the boundary itself "at risk"."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    if deadline < now:
        return BREACHED
    if risk_at is not None:
        return AT_RISK if risk_at <= now else ON_TRACK
    if start is not None and (deadline - now) * AT_RISK_SHARE <= (deadline - start):
        return AT_RISK
    return ON_TRACK


def sla_state(order: WorkOrder, now: datetime | None = None) -> str:
    """The visit-deadline state of one order; the same rule as ``with_sla`` computes in SQL."""
    if not visit_clock_running(order):
        return ""
    return clock_state(start=order.created_at, deadline=order.visit_deadline, now=now, risk_at=order.visit_risk_at)


def _visit_running_q() -> Q:
    # ``open_visit_deadline`` is the visit deadline while the clock runs (open, nobody checked in), else
    # NULL: the database keeps it (a generated column), the same rule as ``visit_clock_running``.
    return Q(open_visit_deadline__isnull=False)


def _span_alias(qs, now: datetime, *, deadline: str, start: str):
    """Aliases for the span rule (rows without a stored risk moment): 4 × time left vs. the span."""
    return qs.alias(
        **{
            f"_{deadline}_left4": ExpressionWrapper((F(deadline) - Value(now)) * AT_RISK_SHARE, output_field=DurationField()),
            f"_{deadline}_span": ExpressionWrapper(F(deadline) - F(start), output_field=DurationField()),
        }
    )


def visit_state_q(state: str, now: datetime) -> Q:
    """The visit clock's state as plain comparisons of the running deadline with *now*, which the
    partial indexes on running clocks serve. Rows planned before visit_risk_at existed use the span
    rule, which needs the ``_visit_deadline_*`` aliases of ``with_sla``."""
    if state == BREACHED:
        return Q(open_visit_deadline__lt=now)
    risky = Q(visit_risk_at__lte=now) | Q(visit_risk_at__isnull=True, _visit_deadline_left4__lte=F("_visit_deadline_span"))
    if state == AT_RISK:
        return Q(open_visit_deadline__gte=now) & risky
    if state == ON_TRACK:
        calm = Q(visit_risk_at__gt=now) | Q(visit_risk_at__isnull=True, _visit_deadline_left4__gt=F("_visit_deadline_span"))
        return Q(open_visit_deadline__gte=now) & calm
    return Q(pk__in=[])


def callback_state_q(state: str, now: datetime) -> Q:
    """The callback clock (status completed / resolved by phone, ``callback_deadline``) as a filter;
    needs the ``_callback_deadline_*`` aliases of ``with_sla``."""
    running = Q(status__in=DONE_STATUSES, callback_deadline__isnull=False)
    if state == BREACHED:
        return running & Q(callback_deadline__lt=now)
    risky = Q(completed_at__isnull=False, _callback_deadline_left4__lte=F("_callback_deadline_span"))
    if state == AT_RISK:
        return running & Q(callback_deadline__gte=now) & risky
    if state == ON_TRACK:
        return running & Q(callback_deadline__gte=now) & ~risky
    return Q(pk__in=[])


def sla_aliases(qs, now: datetime):
    """The aliases ``visit_state_q`` / ``callback_state_q`` need (no SELECT columns)."""
    qs = _span_alias(qs, now, deadline="visit_deadline", start="created_at")
    return _span_alias(qs, now, deadline="callback_deadline", start="completed_at")


def with_sla(qs, now: datetime | None = None):
    """Annotate ``sla_state``: "", on_track, at_risk or breached (the visit clock at ``now``)."""
    now = now or timezone.now()
    qs = sla_aliases(qs, now)
    return qs.annotate(
        sla_state=Case(
            When(visit_state_q(BREACHED, now), then=Value(BREACHED)),
            When(visit_state_q(AT_RISK, now), then=Value(AT_RISK)),
            When(_visit_running_q(), then=Value(ON_TRACK)),
            default=Value(""),
            output_field=CharField(),
        ),
    )


# --- the clocks of one order (the order page) ----------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA clock of an order: running (with a state) or stopped (met or missed)."""

    key: str  # accept / visit / onsite / callback
    label: str
    deadline: datetime | None
    state: str = ""  # on_track / at_risk / breached while running
    running: bool = False
    stopped_at: datetime | None = None
    met: bool | None = None  # once stopped: in time or not (None: unknown)
    risk_at: datetime | None = None  # when it turns at risk (the page's ticking script uses it)

    @property
    def state_label(self) -> str:
        return sla_label(self.state)


def sla_label(state: str) -> str:
    return {ON_TRACK: pgettext("sla", "On track"), AT_RISK: pgettext("sla", "At risk"), BREACHED: pgettext("sla", "Breached")}.get(
        state, ""
    )


def accept_clock_running(order: WorkOrder) -> bool:
    """Pending acceptance: routed to an outlet that has not accepted yet."""
    return order.accept_deadline is not None and order.status == OrderStatus.ROUTED and order.accepted_at is None


def callback_clock_running(order: WorkOrder) -> bool:
    return order.callback_deadline is not None and order.status in DONE_STATUSES


def onsite_deadline(order: WorkOrder) -> datetime | None:
    """When the technician should be done on site: check-in + the on-site standard (stored at check-in)."""
    from anxin.orders.sla import onsite_end

    if order.checked_in_at is None or not order.onsite_minutes:
        return None
    return order.onsite_deadline or onsite_end(order.checked_in_at, order.onsite_minutes)


def arrived_on_time(order: WorkOrder) -> bool | None:
    """On time = checked in inside the appointment window agreed with the customer (None: no window
    or no check-in yet)."""
    if order.checked_in_at is None or order.appointment_start is None or order.appointment_end is None:
        return None
    return order.appointment_start <= order.checked_in_at <= order.appointment_end


def _risk_at(start: datetime | None, deadline: datetime | None) -> datetime | None:
    if start is None or deadline is None:
        return None
    return deadline - (deadline - start) / AT_RISK_SHARE


def _met(stopped: datetime | None, deadline: datetime | None) -> bool | None:
    if stopped is None or deadline is None:
        return None
    return stopped <= deadline


def accept_state(order: WorkOrder, now: datetime | None = None) -> str:
    if not accept_clock_running(order):
        return ""
    return clock_state(start=order.created_at, deadline=order.accept_deadline, now=now)


def callback_state(order: WorkOrder, now: datetime | None = None) -> str:
    if not callback_clock_running(order):
        return ""
    return clock_state(start=order.completed_at, deadline=order.callback_deadline, now=now)


def order_sla_context(order: WorkOrder, now: datetime | None = None) -> dict:
    """What ``orders/partials/sla_clocks.html`` needs: ``sla_clocks`` and ``arrived_on_time``."""
    return {"sla_clocks": order_clocks(order, now), "arrived_on_time": arrived_on_time(order)}


def order_clocks(order: WorkOrder, now: datetime | None = None) -> list[Clock]:
    """The accept, visit, on-site and callback clocks of one order (those that apply), for the page."""
    now = now or timezone.now()
    clocks: list[Clock] = []
    if order.accept_deadline is not None:
        running = accept_clock_running(order)
        clocks.append(
            Clock(
                "accept",
                pgettext("sla clock", "Accept"),
                order.accept_deadline,
                state=accept_state(order, now),
                running=running,
                stopped_at=order.accepted_at,
                met=_met(order.accepted_at, order.accept_deadline),
                risk_at=_risk_at(order.created_at, order.accept_deadline),
            )
        )
    if order.visit_deadline is not None:
        clocks.append(
            Clock(
                "visit",
                pgettext("sla clock", "Visit"),
                order.visit_deadline,
                state=sla_state(order, now),
                running=visit_clock_running(order),
                stopped_at=order.checked_in_at,
                met=_met(order.checked_in_at, order.visit_deadline),
                risk_at=order.visit_risk_at or _risk_at(order.created_at, order.visit_deadline),
            )
        )
    deadline = onsite_deadline(order)
    if deadline is not None:
        running = order.status == OrderStatus.ON_SITE
        clocks.append(
            Clock(
                "onsite",
                pgettext("sla clock", "On site"),
                deadline,
                state=clock_state(start=order.checked_in_at, deadline=deadline, now=now) if running else "",
                running=running,
                stopped_at=order.completed_at,
                met=_met(order.completed_at, deadline),
                risk_at=_risk_at(order.checked_in_at, deadline),
            )
        )
    if order.callback_deadline is not None:
        clocks.append(
            Clock(
                "callback",
                pgettext("sla clock", "Callback"),
                order.callback_deadline,
                state=callback_state(order, now),
                running=callback_clock_running(order),
                risk_at=_risk_at(order.completed_at, order.callback_deadline),
            )
        )
    return clocks


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
    sort: str = "",
    now: datetime | None = None,
):
    """Work orders in ``user``'s scope with the queue's filters; every row carries ``sla_state``.

    ``status`` may be a comma-separated list or ``open`` (every open status). ``sort`` is a key of
    ``ORDER_SORTS``, ``-`` for descending; empty keeps the model's newest-first order.
    """
    now = now or timezone.now()
    qs = with_sla(
        WorkOrder.objects.visible_to(user)
        .select_related("customer", "address", "region", "outlet", "technician")
        .prefetch_related("lines__product_model__category", "lines__fault_code"),
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
    if q:
        qs = qs.filter(order_search_q(q, user=user))
    ordering = order_sorting(sort) if sort else None
    if ordering:
        qs = qs.order_by(*ordering)
    return qs


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
    """The logged-in technician's jobs in the field (assigned … on site), earliest appointment first."""
    return (
        WorkOrder.objects.visible_to(user)
        .filter(technician__user=user, status__in=FIELD_STATUSES)
        .select_related("customer", "address", "outlet", "technician")
        .prefetch_related("customer__phones", "lines__product_model__category", "lines__fault_code")
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
