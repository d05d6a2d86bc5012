"""Work lists (工作队列): named queues per role, as filter presets over ``selectors.order_list``.

A queue is a name, a label and a function that narrows the scoped order list; the page shows the
queues of the user's role as tabs. SLA filters are applied here with index-friendly conditions
(the visit deadline compared with *now*) on top of the selector's exact rule, so the list stays
fast with a million orders (docs/decisions/0019-order-list-at-scale.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit
from anxin.orders.choices import FIELD_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.sla import clocks
from anxin.orders.sla.clocks import AT_RISK, BREACHED, ON_TRACK
from anxin.orders.worklist import selectors

# "1,000+" rather than counting a huge set exactly (a bounded COUNT over LIMIT n + 1): nobody works
# through more than a thousand orders of one list; they narrow the filters.
COUNT_LIMIT = 1_000

S = OrderStatus


def sla_filter(qs, sla: str, now: datetime):
    """Narrow ``qs`` (from ``order_list``) to one visit-clock state: the selector's rule, which compares
    the running deadline with *now* and so walks the partial index of running clocks."""
    if sla not in (ON_TRACK, AT_RISK, BREACHED):
        return qs
    return qs.filter(clocks.visit_state_q(sla, now))


def _statuses(*statuses):
    return lambda qs, user, now: qs.filter(status__in=statuses).order_by("-created_at", "-id")


def _sla(state):
    # Inside one SLA state the urgency order is the nearest visit deadline first.
    return lambda qs, user, now: _urgency(sla_filter(qs, state, now))


def _my_jobs(qs, user, now):
    return qs.filter(technician__user=user, status__in=FIELD_STATUSES).order_by(
        F("appointment_start").asc(nulls_last=True), "created_at", "id"
    )


def _awaiting_callback(qs, user, now):
    return qs.filter(status__in=(S.COMPLETED, S.RESOLVED_BY_PHONE)).order_by(F("callback_deadline").asc(nulls_last=True), "id")


def _repeats(qs, user, now):
    return qs.filter(is_repeat=True).order_by("-created_at", "-id")


def _not_routed(qs, user, now):
    return qs.filter(status=S.CREATED, outlet__isnull=True).order_by("created_at", "id")


def _urgency(qs):
    return qs.order_by(*selectors.ORDER_SORTS["urgency"])


def _open(qs, user, now):
    return _urgency(qs.filter(status__in=OPEN_STATUSES))


def _everything(qs, user, now):
    return _urgency(qs)


@dataclass(frozen=True)
class Queue:
    key: str
    label: object
    apply: Callable
    # Queues that may be huge (all orders) are not counted on the tab.
    counted: bool = True


ALL = Queue("all", _("All orders"), _everything, counted=False)
OPEN = Queue("open", _("Open"), _open, counted=False)
MY_JOBS = Queue("my_jobs", _("My jobs"), _my_jobs)
TO_ACCEPT = Queue("to_accept", _("To accept"), _statuses(S.ROUTED))
TO_ASSIGN = Queue("to_assign", _("To assign"), _statuses(S.ACCEPTED))
PENDING_PARTS = Queue("pending_parts", _("Pending parts"), _statuses(S.PENDING_PARTS))
REVISIT = Queue("revisit", _("Revisit"), _statuses(S.REVISIT, S.INSTALL_REFUSED))
AT_RISK_Q = Queue("at_risk", _("At risk"), _sla(AT_RISK))
BREACHED_Q = Queue("breached", _("Breached"), _sla(BREACHED))
NOT_ROUTED = Queue("not_routed", _("Not routed"), _not_routed)
REJECTED = Queue("rejected", _("Rejected (reroute)"), _statuses(S.REJECTED))
AWAITING_APPROVAL = Queue("awaiting_approval", _("Awaiting approval"), _statuses(S.PENDING_APPROVAL))
AWAITING_CALLBACK = Queue("awaiting_callback", _("Awaiting callback"), _awaiting_callback)
REPEATS = Queue("repeats", _("Repeat repairs"), _repeats)

# The tabs of each role, the first one being the default.
ROLE_QUEUES: dict[str, tuple[Queue, ...]] = {
    Role.TECHNICIAN: (MY_JOBS, PENDING_PARTS, REVISIT, ALL),
    Role.OUTLET_MANAGER: (TO_ACCEPT, TO_ASSIGN, PENDING_PARTS, REVISIT, AT_RISK_Q, BREACHED_Q, OPEN, ALL),
    Role.AGENT: (NOT_ROUTED, REJECTED, AWAITING_APPROVAL, OPEN, ALL),
    Role.CALLBACK_AGENT: (AWAITING_CALLBACK, ALL),
    Role.REGION_DIRECTOR: (AT_RISK_Q, BREACHED_Q, AWAITING_APPROVAL, REJECTED, OPEN, ALL),
    Role.HQ_MANAGER: (AT_RISK_Q, BREACHED_Q, REPEATS, AWAITING_APPROVAL, OPEN, ALL),
    Role.QUALITY: (REPEATS, AWAITING_APPROVAL, BREACHED_Q, ALL),
}
DEFAULT_QUEUES = (OPEN, ALL)


def queues_for(user) -> tuple[Queue, ...]:
    role = Role.HQ_MANAGER if user.is_superuser else user.role
    return ROLE_QUEUES.get(role, DEFAULT_QUEUES)


def queue_for(user, key: str) -> Queue:
    """The queue named ``key`` among the user's tabs; "all" (the whole scoped list) when unknown or empty."""
    return next((q for q in queues_for(user) if q.key == key), ALL)


def indexed_scope(qs, user):
    """For regional staff, restate their scope (orders of the region, or routed to one of its outlets)
    without the join to the outlet's parent: the same rows, but the database can use the
    (region, …) and (outlet, …) indexes instead of scanning every order. One small query."""
    unit = user.org_unit
    if user.sees_everything or unit is None or unit.kind != OrgKind.REGION:
        return qs
    outlets = list(OrgUnit.objects.filter(parent=unit, kind=OrgKind.OUTLET).values_list("pk", flat=True))
    return qs.filter(Q(region=unit) | Q(outlet_id__in=outlets))


def queue_orders(user, key: str, *, now: datetime | None = None, **filters):
    """The orders of one queue (with the filters bar's ``order_list`` keyword arguments on top)."""
    now = now or timezone.now()
    queue = queue_for(user, key)
    sla = filters.pop("sla", "") or ""
    sort = filters.pop("sort", "") or ""
    qs = indexed_scope(selectors.order_list(user=user, now=now, **filters), user)
    qs = queue.apply(qs, user, now)
    if sla:
        qs = _urgency(sla_filter(qs, sla, now))
    if sort and selectors.order_sorting(sort):
        qs = qs.order_by(*selectors.order_sorting(sort))
    return queue, qs


def urgency_page_ids(qs, bottom: int, top: int) -> list[int] | None:
    """The ids of rows ``bottom``…``top`` of ``qs`` when it is in the urgency order, else ``None``.

    The urgency order is two runs: running visit clocks by deadline, then the other orders newest
    first. Each run is read on its own, with an ORDER BY an index serves (the partial index on
    running clocks; the creation date), so the first page of a million orders sorts nothing
    (decision 0020). The rows are those the single ORDER BY gives."""
    if tuple(qs.query.order_by) != selectors.URGENCY:
        return None
    running = qs.filter(open_visit_deadline__isnull=False).order_by("open_visit_deadline", "-created_at", "-id")
    ids = list(running.values_list("pk", flat=True)[bottom:top])
    if len(ids) == top - bottom:
        return ids
    n_running = bottom + len(ids) if ids else running.order_by().count()
    rest = qs.filter(open_visit_deadline__isnull=True).order_by("-created_at", "-id")
    start = max(0, bottom - n_running)
    return ids + list(rest.values_list("pk", flat=True)[start : start + (top - bottom - len(ids))])


def bounded_count(qs, limit: int | None = None) -> tuple[int, bool]:
    """``(count, more)``: the exact count up to ``limit`` (``COUNT_LIMIT``); ``more`` when there are more."""
    limit = COUNT_LIMIT if limit is None else limit
    n = qs.order_by().values("pk")[: limit + 1].count()
    return min(n, limit), n > limit


def tab_counts(user, tabs, *, now: datetime) -> dict[str, tuple[int, bool]]:
    """One bounded COUNT per counted tab (the queues of a role are few), over the scoped orders with
    only the aliases the SLA queues compare (no joins, annotations or prefetches of the list's rows)."""
    base = indexed_scope(clocks.sla_aliases(WorkOrder.objects.visible_to(user), now), user)
    return {q.key: bounded_count(q.apply(base, user, now)) for q in tabs if q.counted}
