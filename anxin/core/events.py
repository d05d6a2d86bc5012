"""A small in-process event registry: a producer publishes, consumers registered by name react.

``orders`` publishes ``order.created``; ``dispatch`` subscribes and routes the order. Handlers run
inside the producer's transaction (so routing commits or rolls back with the order) — external side
effects (SMS, e-mail) must themselves use ``transaction.on_commit``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str):
    def register(fn: Callable) -> Callable:
        if fn not in _handlers[event]:
            _handlers[event].append(fn)
        return fn

    return register


def publish(event: str, **payload) -> None:
    for handler in list(_handlers[event]):
        handler(**payload)
