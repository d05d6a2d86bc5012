"""Dashboard figures. Every figure starts from ``WorkOrder.objects.visible_to(user)`` (or the
customer equivalent), so a tile never counts an order the user could not open; each figure set is
one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from anxin.customers.models import Customer
from anxin.orders.choices import DONE_STATUSES, FIELD_STATUSES, OPEN_STATUSES, OrderStatus, Satisfaction
from anxin.orders.models import WorkOrder

# Days of ratings behind the very-satisfied rate (overridable in settings). The callback deadline is
# not restated here: each finished order carries the one its SLA policy set (``orders.sla``).
DEFAULT_RATING_DAYS = 30
TREND_DAYS = 14


@dataclass(frozen=True)
class OrderFigures:
    open: int
    overdue: int
    unrouted: int
    to_accept: int
    to_assign: int
    in_field: int
    created_today: int
    completed_today: int
    callbacks_pending: int
    callbacks_late: int
    jobs_today: int
    rated: int
    very_satisfied: int

    @property
    def very_satisfied_rate(self) -> float | None:
        """Share of very-satisfied ratings among rated orders (A.O. Smith's one quality figure)."""
        return self.very_satisfied / self.rated if self.rated else None


def _local_midnight(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def order_figures(*, user, now: datetime | None = None) -> OrderFigures:
    now = now or timezone.now()
    today = _local_midnight(now)
    tomorrow = today + timedelta(days=1)
    rating_since = now - timedelta(days=getattr(settings, "ANXIN_RATING_DAYS", DEFAULT_RATING_DAYS))
    is_open = Q(status__in=OPEN_STATUSES)
    row = WorkOrder.objects.visible_to(user).aggregate(
        open=Count("pk", filter=is_open),
        # The visit promise is kept once the technician checks in; until then a passed deadline is overdue.
        overdue=Count("pk", filter=is_open & Q(checked_in_at__isnull=True, visit_deadline__lt=now)),
        unrouted=Count("pk", filter=Q(status__in=(OrderStatus.CREATED, OrderStatus.REJECTED))),
        to_accept=Count("pk", filter=Q(status=OrderStatus.ROUTED)),
        to_assign=Count("pk", filter=Q(status=OrderStatus.ACCEPTED)),
        in_field=Count("pk", filter=Q(status__in=FIELD_STATUSES)),
        created_today=Count("pk", filter=Q(created_at__gte=today)),
        completed_today=Count("pk", filter=Q(completed_at__gte=today)),
        # Completed or resolved by phone, waiting for the callback (the callback agent's queue).
        callbacks_pending=Count("pk", filter=Q(status__in=DONE_STATUSES)),
        callbacks_late=Count("pk", filter=Q(status__in=DONE_STATUSES, callback_deadline__lt=now)),
        jobs_today=Count("pk", filter=is_open & Q(appointment_start__gte=today, appointment_start__lt=tomorrow)),
        rated=Count("pk", filter=~Q(satisfaction="") & Q(completed_at__gte=rating_since)),
        very_satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.VERY_SATISFIED, completed_at__gte=rating_since)),
    )
    return OrderFigures(**{k: v or 0 for k, v in row.items()})


def order_trend(*, user, days: int = TREND_DAYS, now: datetime | None = None) -> dict:
    """Orders created and completed per local day over the last ``days`` days (two grouped queries)."""
    now = now or timezone.now()
    start = _local_midnight(now) - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    qs = WorkOrder.objects.visible_to(user)

    def per_day(field: str) -> dict:
        rows = (
            qs.filter(**{f"{field}__gte": start}).annotate(day=TruncDate(field, tzinfo=tz)).values("day").annotate(n=Count("pk")).order_by()
        )
        return {r["day"]: r["n"] for r in rows}

    created, completed = per_day("created_at"), per_day("completed_at")
    dates = [(start + timedelta(days=i)).date() for i in range(days)]
    return {
        "days": [d.strftime("%m-%d") for d in dates],
        "created": [created.get(d, 0) for d in dates],
        "completed": [completed.get(d, 0) for d in dates],
    }


def orders_by_status(*, user) -> list[tuple[str, int]]:
    """Orders still in the service loop (neither closed nor cancelled), per status, in process order."""
    rows = (
        WorkOrder.objects.visible_to(user)
        .exclude(status__in=(OrderStatus.CLOSED, OrderStatus.CANCELLED))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {r["status"]: r["n"] for r in rows}
    return [(status, counts[status]) for status in OrderStatus.values if counts.get(status)]


def registered_customer_count(*, user) -> int:
    """Customers the user's unit registered (a dealer's sales), within scope."""
    if user.org_unit_id is None:
        return 0
    return Customer.objects.visible_to(user).filter(registered_by_id=user.org_unit_id).count()


def customer_count(*, user) -> int:
    return Customer.objects.visible_to(user).count()
