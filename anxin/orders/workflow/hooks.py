"""Registration points for the apps above orders (issue 10: orders never imports them).

- **Action handlers.** A step that is more than a status change for an app above orders — a
  callback is recorded by ``feedback`` (its Callback row, and a satisfied customer closes the order)
  — is handed to the handler that app registers for the action. Pages and the API call
  ``perform_action``; without a handler it is the plain ``order_transition``.
- **Order sources.** An order registered from something an app above orders owns — a hotline call's
  screen pop (``telephony``) — names it in the new-order form (``?call=<id>``); after the order is
  created, the app's ``link(actor, source_id, order)`` ties the two together.

The apps register in their ``AppConfig.ready()`` (``feedback.order_hooks``, ``telephony.order_links``).
"""

from __future__ import annotations

from collections.abc import Callable

from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import order_transition

# handler(*, actor, order_id, data, expected_version) -> WorkOrder
ActionHandler = Callable[..., WorkOrder]
_action_handlers: dict[str, ActionHandler] = {}
# link(*, actor, source_id: int, order) -> None, by the form field that names the source ("call")
_order_sources: dict[str, Callable[..., object]] = {}


def register_action_handler(action: str, handler: ActionHandler) -> None:
    _action_handlers[action] = handler


def perform_action(*, order_id: int, action: str, actor, data: dict | None = None, expected_version=None) -> WorkOrder:
    """Take ``action`` the way the owning app wants it taken (its handler), else as a plain step."""
    handler = _action_handlers.get(action)
    if handler is None:
        return order_transition(order_id=order_id, action=action, actor=actor, data=data, expected_version=expected_version)
    return handler(actor=actor, order_id=order_id, data=dict(data or {}), expected_version=expected_version)


def register_order_source(field: str, link: Callable[..., object]) -> None:
    _order_sources[field] = link


def link_order_source(*, field: str, source_id: int, actor, order: WorkOrder) -> None:
    """Tie a new order to what it was registered from (nothing when no app handles ``field``)."""
    link = _order_sources.get(field)
    if link is not None:
        link(actor=actor, source_id=source_id, order=order)
