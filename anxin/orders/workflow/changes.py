"""What a step set on an order: the fields the answer to a write names (decision 0049).

A step compares the order it wrote with the row as it was read (``WorkOrder.from_db`` keeps it) over
``STEP_FIELDS``, the order's facts a step may set. The machine's record function calls ``note_step``
for every step it takes; a caller that wants to know what its call changed — the API's slim answer —
wraps the call in ``collecting()`` and gets, per order, the names of the fields any of its steps
set: a callback that also closes the order, an approval that dispatch routes in the same
transaction, are one answer. The values are then read from the order the call returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import DEFERRED

# The order's facts a step may set, by attribute name (the API's names: ``outlet_id``, not ``outlet``).
# Not ``status`` / ``version`` (every answer carries them) nor bookkeeping (``updated_at``, the
# generated ``open_visit_deadline``, the SLA policy row, the escalation level).
STEP_FIELDS: tuple[str, ...] = (
    "outlet_id",
    "technician_id",
    "region_id",
    "appointment_start",
    "appointment_end",
    "accept_deadline",
    "visit_deadline",
    "onsite_deadline",
    "callback_deadline",
    "accepted_at",
    "checked_in_at",
    "completed_at",
    "closed_at",
    "visit_count",
    "first_time_fix",
    "approval",
    "hazard_type",
    "hazard_note",
    "satisfaction",
    "routing_note",
)

_MISSING = object()
# Per order id, the fields the steps taken inside ``collecting()`` set.
_collected: ContextVar[dict[int, set[str]] | None] = ContextVar("order_changes", default=None)


def loaded_value(order, attname: str, default=None):
    """``attname`` as the order's row was read from the database (``default`` when the order was
    not read, e.g. just created, or the field was deferred)."""
    loaded = getattr(order, "_loaded", None)
    if loaded is None:
        return default
    names, values = loaded
    try:
        value = values[names.index(attname)]
    except ValueError:
        return default
    return default if value is DEFERRED else value


def changed_fields(order) -> set[str]:
    """The ``STEP_FIELDS`` whose value differs from the row as it was read (none for an order that
    was not read from the database)."""
    if getattr(order, "_loaded", None) is None:
        return set()
    return {name for name in STEP_FIELDS if loaded_value(order, name, _MISSING) not in (_MISSING, getattr(order, name))}


def note_step(order) -> None:
    """Remember what this step set, for the ``collecting()`` around the call (nothing outside one)."""
    collected = _collected.get()
    if collected is not None:
        collected.setdefault(order.pk, set()).update(changed_fields(order))


@contextmanager
def collecting() -> Iterator[dict[int, set[str]]]:
    """``with collecting() as changes: perform_action(...)`` → ``changes[order_id]``: the names of
    the fields the call's steps set on that order."""
    collected: dict[int, set[str]] = {}
    token = _collected.set(collected)
    try:
        yield collected
    finally:
        _collected.reset(token)
