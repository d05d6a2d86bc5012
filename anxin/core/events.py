"""Domain events: a producer publishes, consumers registered by name react — in two ways.

``publish("order.approve", order=order, actor=actor)`` is the producer's one call. Consumers choose
when they run:

- ``@in_transaction("order.created")`` — a **rule that must hold at commit**: called synchronously,
  with the keyword arguments exactly as published, inside the publisher's transaction (it commits or
  rolls back with the change; its exception fails the step). Only for such rules: ``dispatch``
  routes a new order so that the order leaves creation routed or with a routing note (decision 0003).
- ``@after_commit("order.approve", name="settlement.accrue")`` — a **durable handler** (the outbox,
  decision 0039): ``publish`` writes an ``OutboxEvent`` row and one ``OutboxDelivery`` per such
  handler in the publisher's transaction; after commit a runner (``manage.py run_periodic``, Celery
  in production: ``anxin.core.outbox.drain``) calls ``handler(event)`` with the stored event
  (``event.id``, ``event.name``, ``event.payload``, ``event.occurred_at``) inside a transaction that
  also marks the delivery done, retries a failure with backoff and shows it as stuck after N tries.
  The ``name`` is the handler's identity in the progress table: keep it when the code moves.

The stored payload is JSON: model instances become their primary key under the same keyword, aware
datetimes / dates ISO strings, UUIDs strings; anything else (a naive datetime, a ``Decimal``, a set,
an arbitrary object) is refused at ``publish`` time with ``EventPayloadError`` — for every event,
whether or not a durable handler listens yet, so a bad payload fails in the first test that
publishes it.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from django.db import models

# Rules that run inside the publisher's transaction, called with the published keyword arguments.
_handlers: dict[str, list[Callable]] = defaultdict(list)
# Durable handlers by event, then by their registered name: ``handler(event: OutboxEvent)``.
_durable: dict[str, dict[str, Callable]] = defaultdict(dict)

HANDLER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
NAME_MAX_LENGTH = 100  # OutboxEvent.name / OutboxDelivery.handler


class EventPayloadError(TypeError):
    """A published payload that cannot be stored as JSON (a programming error, never a user's)."""


def in_transaction(event: str):
    """Register the decorated function as a rule run inside the publisher's transaction."""

    def register(fn: Callable) -> Callable:
        if fn not in _handlers[event]:
            _handlers[event].append(fn)
        return fn

    return register


def after_commit(event: str, *, name: str):
    """Register the decorated ``fn(event)`` as a durable handler of ``event``, known as ``name``
    (e.g. ``"settlement.accrue_on_approve"``). It runs after the publisher commits, at least once
    and — for its database writes — exactly once; an effect outside the database (an SMS, a call
    to another system) should pass ``event.id`` on as its idempotency key."""
    if not HANDLER_NAME.match(name) or len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"durable handler name {name!r}: dotted lower-case words (app.handler), at most {NAME_MAX_LENGTH} characters")
    if len(event) > NAME_MAX_LENGTH:
        raise ValueError(f"event name {event!r} is longer than {NAME_MAX_LENGTH} characters")

    def register(fn: Callable) -> Callable:
        known = _durable[event].get(name)
        if known is not None and _identity(known) != _identity(fn):
            raise ValueError(f"{event}: the durable handler name {name!r} is already taken by {_identity(known)}")
        _durable[event][name] = fn
        return fn

    return register


def _identity(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def unregister(event: str, name: str) -> None:
    """Drop a durable handler (tests; a handler retired from the code keeps its rows, see 0039)."""
    _durable[event].pop(name, None)


def durable_handler(event: str, name: str) -> Callable | None:
    return _durable.get(event, {}).get(name)


def durable_handlers(event: str) -> list[str]:
    """The names of the durable handlers of ``event``, sorted."""
    return sorted(_durable.get(event, {}))


def has_subscribers(event: str) -> bool:
    """Whether anything handles ``event``, in the transaction or after it (e.g. an SMS channel for
    ``order.completion_code``)."""
    return bool(_handlers.get(event)) or bool(_durable.get(event))


def event_payload(event: str, payload: dict) -> dict:
    """The JSON form of a published payload, or ``EventPayloadError`` naming the bad keyword."""
    return {key: _json_value(event, key, value) for key, value in payload.items()}


def _json_value(event: str, path: str, value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EventPayloadError(f"publish({event!r}): {path} is {value!r}, which JSON cannot hold")
        return value
    if isinstance(value, models.Model):
        if value.pk is None:
            raise EventPayloadError(f"publish({event!r}): {path} is an unsaved {type(value).__name__} (no primary key)")
        return _json_value(event, path, value.pk)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise EventPayloadError(f"publish({event!r}): {path} is a naive datetime; pass an aware one (timezone.now())")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple, models.QuerySet)):
        return [_json_value(event, f"{path}[{i}]", item) for i, item in enumerate(value)]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventPayloadError(f"publish({event!r}): {path} has the key {key!r}; JSON keys are strings")
            result[key] = _json_value(event, f"{path}.{key}", item)
        return result
    raise EventPayloadError(
        f"publish({event!r}): {path} is a {type(value).__name__}; an event payload holds ids, strings, numbers, "
        "booleans, aware datetimes / dates and lists or dicts of these (pass e.g. str(amount) for a Decimal)"
    )


def publish(event: str, **payload) -> None:
    """Raise ``event``: run the in-transaction rules now; queue the durable handlers in the outbox.

    Call it inside the transaction of the change (a rolled-back change then leaves no event)."""
    stored = event_payload(event, payload)
    for handler in list(_handlers[event]):
        handler(**payload)
    names = durable_handlers(event)
    if names:
        from anxin.core.outbox import event_record

        event_record(name=event, payload=stored, handlers=names)
