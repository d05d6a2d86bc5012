from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, DurationField, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils import timezone

from anxin.orders.choices import FIELD_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.orders.models import WorkOrder

# SLA clock states, shared by the queue filter, the badges and the exports.
ON_TRACK, AT_RISK, BREACHED = "on_track", "at_risk", "breached"
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED)
# "At risk" when less than this share of the promised time is left (brief: 25 %).
AT_RISK_SHARE = 4  # remaining × 4 < whole span  ⇔  remaining < 25 % of the span

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
    # The default of the queue: breached first, then at risk, then the nearest deadline.
    "urgency": ("sla_rank", F("visit_deadline").asc(nulls_last=True), "-created_at", "-id"),
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


def clock_state(*, start: datetime | None, deadline: datetime | None, now: datetime | None = None) -> str:
    """on_track / at_risk (< 25 % of the time left) / breached (deadline passed)."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    if deadline < now:
        return BREACHED
    if start is not None and (deadline - now) * AT_RISK_SHARE < (deadline - start):
        return AT_RISK
    return ON_TRACK


def sla_state(order: WorkOrder, now: datetime | None = None) -> str:
    """The visit-deadline state of one order; the same rule as ``with_sla`` computes in SQL."""
    if not visit_clock_running(order):
        return ""
    return clock_state(start=order.created_at, deadline=order.visit_deadline, now=now)


def with_sla(qs, now: datetime | None = None):
    """Annotate ``sla_state`` ("", on_track, at_risk, breached) and ``sla_rank`` (0 = most urgent)."""
    now = now or timezone.now()
    running = Q(status__in=OPEN_STATUSES, checked_in_at__isnull=True, visit_deadline__isnull=False)
    qs = qs.alias(
        _sla_left4=ExpressionWrapper((F("visit_deadline") - Value(now)) * AT_RISK_SHARE, output_field=DurationField()),
        _sla_span=ExpressionWrapper(F("visit_deadline") - F("created_at"), output_field=DurationField()),
    )
    breached = running & Q(visit_deadline__lt=now)
    at_risk = running & Q(_sla_left4__lt=F("_sla_span"))
    return qs.annotate(
        sla_state=Case(
            When(breached, then=Value(BREACHED)),
            When(at_risk, then=Value(AT_RISK)),
            When(running, then=Value(ON_TRACK)),
            default=Value(""),
            output_field=CharField(),
        ),
        sla_rank=Case(
            When(breached, then=Value(0)),
            When(at_risk, then=Value(1)),
            When(running, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    )


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
    created_from: date | None = None,
    created_to: date | None = None,
    sort: str = "",
    now: datetime | None = None,
):
    """Work orders in ``user``'s scope with the queue's filters; every row carries ``sla_state``.

    ``status`` may be a comma-separated list or ``open`` (every open status). ``sort`` is a key of
    ``ORDER_SORTS``, ``-`` for descending; empty keeps the model's newest-first order.
    """
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
        qs = qs.filter(sla_state=sla)
    if created_from:
        qs = qs.filter(created_at__gte=_day_start(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=_day_start(created_to + timedelta(days=1)))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__contains=q))
    ordering = order_sorting(sort) if sort else None
    if ordering:
        qs = qs.order_by(*ordering)
    return qs


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
