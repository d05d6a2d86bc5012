from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, CharField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import pgettext

from anxin.orders.choices import DONE_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.orders.models import WorkOrder

# SLA clock states, shared by the queue filter, the badges and the exports.
ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED)
# "At risk" when this share of the promised time or less is left (25 %; stored as visit_risk_at).
AT_RISK_SHARE = 4  # remaining × 4 ≤ whole span  ⇔  remaining ≤ 25 % of the span


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
    from anxin.orders.sla.policy import onsite_end

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
