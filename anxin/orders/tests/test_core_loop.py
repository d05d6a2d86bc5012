import pytest

from anxin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from anxin.feedback.services import callback_record
from anxin.orders.choices import OrderStatus
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition


def test_order_is_routed_to_the_outlet_covering_the_address(world):
    order = world.order()
    assert order.status == OrderStatus.ROUTED
    assert order.outlet == world.outlet
    assert order.region == world.region
    assert order.number.startswith("WO")
    assert order.visit_deadline is not None


def test_full_loop_closes_the_order(world):
    order = world.order(fault=world.fault_easy)
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    assert order.status == OrderStatus.ASSIGNED
    order = order_transition(order_id=order.pk, action="check_in", actor=world.users["technician"])
    assert order.checked_in_at is not None
    order = order_transition(order_id=order.pk, action="complete", actor=world.users["technician"], data=minimal_report(order))
    assert order.status == OrderStatus.COMPLETED
    order = callback_record(actor=world.callback_agent, order_id=order.pk, satisfaction="very_satisfied")
    assert order.status == OrderStatus.CLOSED
    assert [c.to_status for c in order.status_changes.all()] == [
        "created",
        "routed",
        "assigned",
        "on_site",
        "completed",
        "callback_done",
        "closed",
    ]


def test_completing_without_check_in_is_refused_and_changes_nothing(world):
    order = world.order()
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    with pytest.raises(InvalidTransition):
        order_transition(order_id=order.pk, action="complete", actor=world.users["technician"], data=minimal_report(order))
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED
    assert order.version == 3


def test_grade_must_cover_the_fault_difficulty(world):
    order = world.order(fault=world.fault_hard)
    with pytest.raises(ValidationFailed) as exc:
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    assert exc.value.code == "technician_not_eligible"
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    assert order.technician == world.senior_technician


def test_agent_may_not_assign(world):
    order = world.order()
    with pytest.raises(PermissionDenied):
        order_transition(order_id=order.pk, action="assign", actor=world.agent, data={"technician": world.technician.pk})
