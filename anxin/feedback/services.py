from __future__ import annotations

from django.db import transaction

from anxin.accounts.models import User
from anxin.feedback.models import Callback
from anxin.orders.choices import Satisfaction
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import order_transition


@transaction.atomic
def callback_record(
    *,
    actor: User,
    order_id: int,
    satisfaction: str,
    problem_solved: bool = True,
    comment: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Record the callback; a satisfied customer whose problem is solved closes the order,
    otherwise it stays open (callback done) for follow-up."""
    order = order_transition(
        order_id=order_id,
        action="record_callback",
        actor=actor,
        data={"satisfaction": satisfaction, "reason": comment},
        expected_version=expected_version,
    )
    Callback.objects.create(order=order, agent=actor, satisfaction=satisfaction, problem_solved=problem_solved, comment=comment.strip())
    if problem_solved and satisfaction != Satisfaction.UNSATISFIED:
        order = order_transition(order_id=order.pk, action="close", actor=None)
    return order
