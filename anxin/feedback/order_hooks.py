"""Feedback's part in an order's steps: ``record_callback`` is recorded by the callback service.

Orders offers the registration point (``orders.workflow.hooks``) and never imports feedback; the
order page, ``POST /orders/{id}/transitions`` with ``record_callback`` and ``POST /orders/{id}/callback``
all reach ``callback_record`` through the handler registered here (``FeedbackConfig.ready``).
"""

from __future__ import annotations

from anxin.feedback.services import callback_record
from anxin.orders.workflow.hooks import register_action_handler


def record_callback_action(*, actor, order_id: int, data: dict, expected_version=None):
    return callback_record(
        actor=actor,
        order_id=order_id,
        satisfaction=data.get("satisfaction") or "",
        problem_solved=bool(data.get("problem_solved", True)),
        comment=data.get("comment") or "",
        expected_version=expected_version,
    )


def register() -> None:
    register_action_handler("record_callback", record_callback_action)
