"""The state-machine kit (``anxin.core.statemachine``) on a throwaway machine over existing models.

The machines here are not the complaint or order workflows: their own actions, roles and messages,
so each rule of the kit is seen on its own (scope, lock + version, status, guard, role, required
data, apply, audit, record, event, the nested-step refresh)."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import translation

from anxin.accounts.choices import Role
from anxin.complaints.choices import ComplaintStatus
from anxin.complaints.models import Complaint
from anxin.complaints.services import ComplaintInput, complaint_create
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from anxin.core.events import _handlers, in_transaction
from anxin.core.statemachine import SYSTEM, Machine, Transition
from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder


def _role(user) -> str:
    return SYSTEM if user is None else user.role


def _poke_apply(obj, data, actor) -> dict:
    if data.get("refuse"):
        obj.description = "changed before the refusal"
        raise ValidationFailed(fields={"refuse": "no"})
    obj.description = data.get("text", obj.description)
    return {"text": obj.description}


def kit_machine(*, records: list, role_first: bool = False, event: str = "kit") -> Machine:
    return Machine(
        model=Complaint,
        transitions=(
            Transition("poke", "Poke", (ComplaintStatus.OPEN,), ComplaintStatus.IN_PROGRESS, (Role.QUALITY, SYSTEM), apply=_poke_apply),
            Transition("note", "Note", (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS), None, (Role.QUALITY,), ("text",)),
            Transition(
                "lock",
                "Lock",
                (ComplaintStatus.OPEN,),
                ComplaintStatus.CLOSED,
                (Role.QUALITY,),
                guard=lambda c: "only critical ones" if c.severity != "critical" else "",
            ),
        ),
        role_of=_role,
        record=lambda obj, step: records.append((obj.pk, step.action, step.from_status, obj.status, step.reason, step.recorded)),
        event=event,
        version_field=None,
        not_found="No such thing.",
        forbidden=lambda t, obj: f"not for you: {t.action}",
        role_first=role_first,
    )


@pytest.fixture
def complaint(world):
    return complaint_create(
        actor=world.agent, data=ComplaintInput(description="慢", category="timeliness", customer_id=world.customer().pk)
    )


@pytest.fixture
def published():
    seen = []

    def rule(**payload):
        seen.append(payload)

    in_transaction("kit.poke")(rule)
    yield seen
    _handlers["kit.poke"].remove(rule)


def test_a_step_applies_audits_records_and_publishes(world, complaint, published):
    records = []
    machine = kit_machine(records=records)
    obj = machine.take(pk=complaint.pk, action="poke", actor=world.quality, data={"text": "新说明", "reason": "  为什么  "})
    complaint.refresh_from_db()
    assert (obj.status, complaint.status, complaint.description) == (ComplaintStatus.IN_PROGRESS, ComplaintStatus.IN_PROGRESS, "新说明")
    assert records == [(complaint.pk, "poke", ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS, "为什么", {"text": "新说明"})]
    last = complaint.history.order_by("-history_id").first()
    assert (last.history_user, last.history_change_reason) == (world.quality, "poke")  # the default audit reason: the action
    assert published == [{"kit": obj, "actor": world.quality}]


def test_target_none_keeps_the_status(world, complaint):
    records = []
    obj = kit_machine(records=records).take(pk=complaint.pk, action="note", actor=world.quality, data={"text": "x"})
    assert obj.status == ComplaintStatus.OPEN and records[0][2:4] == (ComplaintStatus.OPEN, ComplaintStatus.OPEN)


def test_refusals_change_nothing(world, complaint):
    records = []
    machine = kit_machine(records=records)
    with pytest.raises(ValidationFailed) as exc:
        machine.take(pk=complaint.pk, action="fly", actor=world.quality)
    assert set(exc.value.fields) == {"action"}
    with pytest.raises(ValidationFailed) as exc, translation.override("en"):
        machine.take(pk=complaint.pk, action="note", actor=world.quality, data={"text": "  "})
    assert exc.value.fields == {"text": ["This field is required."]}
    with pytest.raises(PermissionDenied) as exc:
        machine.take(pk=complaint.pk, action="poke", actor=world.agent)
    assert exc.value.message == "not for you: poke"
    with pytest.raises(InvalidTransition) as exc:
        machine.take(pk=complaint.pk, action="lock", actor=world.quality)
    assert exc.value.message == "only critical ones"
    # The apply function's refusal rolls the step back, its changes to the row included.
    with pytest.raises(ValidationFailed):
        machine.take(pk=complaint.pk, action="poke", actor=world.quality, data={"refuse": True})
    complaint.refresh_from_db()
    assert (complaint.status, complaint.description, records) == (ComplaintStatus.OPEN, "慢", [])
    assert complaint.history.count() == 1


def test_wrong_status_uses_the_default_message_and_the_check_order_is_the_machines(world, complaint):
    machine = kit_machine(records=[])
    machine.take(pk=complaint.pk, action="poke", actor=world.quality)
    with pytest.raises(InvalidTransition) as exc, translation.override("en"):
        machine.take(pk=complaint.pk, action="poke", actor=world.quality)
    assert str(exc.value.message) == "Cannot “Poke” while it is “In progress”."
    # Wrong status AND wrong role: the status is checked first, unless the machine says role first.
    with pytest.raises(InvalidTransition):
        machine.take(pk=complaint.pk, action="poke", actor=world.agent)
    with pytest.raises(PermissionDenied):
        kit_machine(records=[], role_first=True).take(pk=complaint.pk, action="poke", actor=world.agent)


def test_available_actions_apply_status_role_and_guard(world, complaint):
    machine = kit_machine(records=[])
    assert [t.action for t in machine.available_actions(complaint, world.quality)] == ["poke", "note"]
    assert machine.available_actions(complaint, world.agent) == []
    complaint.severity = "critical"
    assert [t.action for t in machine.available_actions(complaint, world.quality)] == ["poke", "note", "lock"]


def test_the_row_is_loaded_through_the_actors_scope_and_where(world, complaint):
    machine = kit_machine(records=[])
    dispatcher = world.dispatcher
    dispatcher.role = Role.QUALITY  # a role that may act, but an outlet that does not see this complaint
    with pytest.raises(NotFound) as exc:
        machine.take(pk=complaint.pk, action="poke", actor=dispatcher)
    assert exc.value.message == "No such thing."
    with pytest.raises(NotFound):
        machine.take(pk=complaint.pk, action="poke", actor=None, where=Q(severity="critical"))
    assert machine.take(pk=complaint.pk, action="poke", actor=None).status == ComplaintStatus.IN_PROGRESS  # the system sees all


def order_machine_for_test(records: list) -> Machine:
    """A throwaway machine over work orders (they have a version)."""
    return Machine(
        model=WorkOrder,
        transitions=(Transition("tick", "Tick", (OrderStatus.ROUTED,), OrderStatus.ROUTED, (Role.OUTLET_MANAGER, SYSTEM)),),
        role_of=_role,
        record=lambda obj, step: records.append(obj.version),
        event="kittest",
    )


def test_the_version_is_checked_and_bumped(world):
    order = world.order()
    records = []
    machine = order_machine_for_test(records)
    with pytest.raises(StaleVersion):
        machine.take(pk=order.pk, action="tick", actor=world.dispatcher, expected_version=order.version + 5)
    with pytest.raises(ValidationFailed) as exc:
        machine.take(pk=order.pk, action="tick", actor=world.dispatcher, expected_version="abc")
    assert set(exc.value.fields) == {"expected_version"}
    done = machine.take(pk=order.pk, action="tick", actor=world.dispatcher, expected_version=order.version)
    assert done.version == order.version + 1 and records == [order.version + 1]


def test_a_nested_step_on_the_same_row_refreshes_the_outer_copy(world):
    """An in-transaction rule that takes a further step on the same row (its own copy) leaves the
    outer caller's copy stale: the kit notices and returns the row as it is now."""
    order = world.order()
    records = []
    machine = order_machine_for_test(records)
    second = order_machine_for_test(records)
    second.event = ""

    def again(*, kittest, actor):
        second.take(pk=kittest.pk, action="tick", actor=None)

    in_transaction("kittest.tick")(again)
    try:
        outer = machine.take(pk=order.pk, action="tick", actor=world.dispatcher)
    finally:
        _handlers["kittest.tick"].remove(again)
    assert outer.version == order.version + 2 == WorkOrder.objects.get(pk=order.pk).version
    assert records == [order.version + 1, order.version + 2]
