"""What outlets, regions and technicians may see of customers, kept by the order side (decision 0046).

``customers.CustomerAccess`` holds the part of the customer scope that orders decide: an outlet row
per (customer, outlet) while some order of the customer is with that outlet (a region reaches the
customer through its outlets' rows), and a technician row per (customer, technician's user) while
some order of the customer is assigned to them, ``in_field`` while one of those is in a field status
(the technician then sees the full phone and address). ``customers`` reads the table and never
queries orders; this module writes it:

- ``refresh(customer_ids)`` recomputes the rows of some customers from their orders, set-based;
- the ``@in_transaction`` rules below call it for the order's customer on every step that can change
  them — who has the order (created, route, reroute, assign) and every step into or out of
  ``FIELD_STATUSES`` (read from the transition table, so a new action is covered by declaring it) —
  inside the step's transaction, so the scope is never stale at commit;
- ``rebuild()`` recomputes the whole table with two ``INSERT … SELECT`` statements: after orders were
  loaded with raw SQL (the demo seeder's bulk orders, the benchmark's loader) and in the backfill
  migration ``orders.0008_customer_access_backfill``.

The order-number search of the customer lookup is registered here too (``customers.search``'s
registration point), for the same reason: customers do not import orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Max, Q, Value, When

from anxin.core.events import in_transaction
from anxin.core.lookups import prefix_q
from anxin.customers.search import SearchSource, register_search_source
from anxin.orders.choices import FIELD_STATUSES
from anxin.orders.workflow.transitions import TRANSITIONS

_FIELD = frozenset(FIELD_STATUSES)
# The actions that hand the order to an outlet or a technician (or take it away).
_HOLDER_ACTIONS = frozenset({"route", "reroute", "assign"})


def _moves_field(transition) -> bool:
    return any((source in _FIELD) != (transition.target in _FIELD) for source in transition.sources)


ACCESS_EVENTS: tuple[str, ...] = (
    "order.created",
    *sorted(f"order.{t.action}" for t in TRANSITIONS.values() if t.action in _HOLDER_ACTIONS or _moves_field(t)),
)


def _insert(orders, access_model) -> int:
    """Write the access rows of ``orders`` (a WorkOrder queryset) with two INSERT … SELECT."""
    qn = connection.ops.quote_name
    table = qn(access_model._meta.db_table)
    outlets = orders.filter(outlet__isnull=False).values(c=F("customer_id"), o=F("outlet_id")).distinct().order_by()
    technicians = (
        orders.filter(technician__isnull=False)
        .values(c=F("customer_id"), u=F("technician__user_id"))
        .annotate(f=Max(Case(When(status__in=FIELD_STATUSES, then=Value(1)), default=Value(0), output_field=IntegerField())))
        .order_by()
    )
    written = 0
    with connection.cursor() as cursor:
        sql, params = outlets.query.sql_with_params()
        cursor.execute(
            f"INSERT INTO {table} (customer_id, unit_id, in_field) SELECT s.c, s.o, (1 = 0) FROM ({sql}) s",  # noqa: S608 - names from model meta
            params,
        )
        written += max(cursor.rowcount, 0)
        sql, params = technicians.query.sql_with_params()
        cursor.execute(
            f"INSERT INTO {table} (customer_id, user_id, in_field) SELECT s.c, s.u, (s.f = 1) FROM ({sql}) s",  # noqa: S608 - names from model meta
            params,
        )
        written += max(cursor.rowcount, 0)
    return written


def refresh(customer_ids: Iterable[int]) -> None:
    """Recompute the access rows of these customers from their orders (call inside the writing
    transaction; a handful of rows per customer)."""
    ids = sorted({cid for cid in customer_ids if cid is not None})
    if not ids:
        return
    WorkOrder = global_apps.get_model("orders", "WorkOrder")
    CustomerAccess = global_apps.get_model("customers", "CustomerAccess")
    CustomerAccess.objects.filter(customer_id__in=ids).delete()
    _insert(WorkOrder.objects.filter(customer_id__in=ids), CustomerAccess)


def rebuild(*, apps=global_apps) -> int:
    """The whole table again from every order, set-based (no model instances); returns the rows
    written. ``apps`` is a migration's app registry in the backfill migration."""
    WorkOrder = apps.get_model("orders", "WorkOrder")
    CustomerAccess = apps.get_model("customers", "CustomerAccess")
    with transaction.atomic():
        CustomerAccess.objects.all().delete()
        return _insert(WorkOrder.objects.all(), CustomerAccess)


def _order_changed(*, order, **_payload) -> None:
    """The rule of every access event: the order's customer's rows follow the order."""
    refresh([order.customer_id])


for _event in ACCESS_EVENTS:
    in_transaction(_event)(_order_changed)


# --- the customer lookup by order number -----------------------------------------------------


# The orders a number prefix resolves to first, on the number index alone; the scope is applied to
# that short list afterwards (as the queue's search box does, decision 0022). Together in one query
# the planner of a narrow scope (an outlet, a technician) walks the scope's index instead and reads
# every order of the outlet to find none: a phone number typed into the lookup matches no order.
NUMBER_MATCHES_MAX = 1000


def _orders_by_number(*, user, q: str, limit: int) -> list[tuple[int, str]]:
    """(customer id, order number) of the orders ``user`` may see whose number starts with ``q``."""
    WorkOrder = global_apps.get_model("orders", "WorkOrder")
    number = prefix_q("number", q.upper())
    ids = list(WorkOrder.objects.filter(number).order_by().values_list("pk", flat=True)[: NUMBER_MATCHES_MAX + 1])
    if not ids:
        return []
    condition = Q(pk__in=ids) if len(ids) <= NUMBER_MATCHES_MAX else number
    rows = WorkOrder.objects.visible_to(user).filter(condition).values_list("customer_id", "number")
    return list(rows[:limit])


ORDER_NUMBER_SOURCE = register_search_source(
    # An order number: up to two letters and at least six digits (the letters may be left out).
    SearchSource(name="order", pattern=re.compile(r"[A-Za-z]{0,2}\d{6,}"), score=95, find=_orders_by_number)
)
