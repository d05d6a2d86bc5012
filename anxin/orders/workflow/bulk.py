"""Bulk actions on the queue (批量操作): the transitions declared ``bulk=True`` run on several orders.

Each order goes through ``order_transition`` in its own transaction: one refused order does not undo
the others, and the result names it with the reason. Ids outside the user's scope are reported as
not found, exactly like ids that do not exist. Which actions, with which label and data, is read
from the declared transitions (``orders.workflow.transitions``, decision 0042).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from anxin.core.errors import ApplicationError, NotFound
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import TRANSITIONS, OrderTransition, role_of

MAX_BULK = 200


def bulk_transitions() -> dict[str, OrderTransition]:
    """The bulk actions by key (the action's name), in declaration order."""
    return {t.action: t for t in TRANSITIONS.values() if t.bulk}


def bulk_label(transition: OrderTransition):
    return transition.bulk_label or transition.label


def bulk_fields(action: str) -> tuple[str, ...]:
    """The data a bulk action asks for: what its transition requires."""
    return bulk_transitions()[action].required


def _runs(transition: OrderTransition) -> list[OrderTransition]:
    return [transition, *(TRANSITIONS[a] for a in transition.bulk_also)]


def bulk_actions_for(user) -> list[tuple[str, object]]:
    """The bulk actions ``user``'s role may take (same roles as the transitions they run)."""
    role = role_of(user)
    return [(key, bulk_label(t)) for key, t in bulk_transitions().items() if any(role in r.roles for r in _runs(t))]


def transition_for(action: str, status: str) -> str:
    """The transition a bulk action runs on an order in ``status``: its own, or one of ``bulk_also``
    whose sources hold the status (rerouting an order not routed yet or rejected is a ``route``)."""
    transition = bulk_transitions()[action]
    if status not in transition.sources:
        for other in _runs(transition)[1:]:
            if status in other.sources:
                return other.action
    return transition.action


def bulk_apply(*, actor, action: str, order_ids: list[int], data: dict) -> list[dict]:
    """Run ``action`` on each order separately; one result per id: ``{"id", "number", "ok", "error"}``."""
    results = []
    visible = {o.pk: o for o in WorkOrder.objects.visible_to(actor).filter(pk__in=order_ids).only("pk", "number", "status")}
    for order_id in order_ids:
        order = visible.get(order_id)
        if order is None:
            results.append({"id": order_id, "number": f"#{order_id}", "ok": False, "error": _("Work order not found.")})
            continue
        number = order.number or f"#{order_id}"
        try:
            order_transition(order_id=order_id, action=transition_for(action, order.status), actor=actor, data=dict(data))
        except NotFound:
            results.append({"id": order_id, "number": number, "ok": False, "error": _("Work order not found.")})
        except ApplicationError as exc:
            results.append({"id": order_id, "number": number, "ok": False, "error": error_text(exc)})
        else:
            results.append({"id": order_id, "number": number, "ok": True, "error": ""})
    return results


def error_text(exc: ApplicationError) -> str:
    fields = getattr(exc, "fields", None) or {}
    parts = [str(exc.message) if getattr(exc, "message", None) else str(exc)]
    for name, problem in fields.items():
        problems = problem if isinstance(problem, list | tuple) else [problem]
        parts.append(f"{name}: {' '.join(str(p) for p in problems)}")
    return " — ".join(p for p in parts if p)
