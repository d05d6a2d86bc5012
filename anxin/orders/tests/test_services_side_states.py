"""What each step of the state machine does to the order beyond its status: side states, approval,
reroute, re-planned windows, the install refusal, field facts (accepted, visits)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.services import appliance_add
from anxin.feedback.services import callback_record
from anxin.orders.choices import OrderStatus as S
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.sla import policy as sla
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import available_actions


def window(days: float = 1, hours: float = 2) -> dict:
    start = timezone.now() + timedelta(days=days)
    return {"appointment_start": start, "appointment_end": start + timedelta(hours=hours)}


def step(order, action, actor, **data):
    return order_transition(order_id=order.pk, action=action, actor=actor, data=data)


def on_site(world, **kw) -> WorkOrder:
    order = world.order(**kw)
    step(order, "assign", world.dispatcher, technician=world.technician.pk)
    return step(order, "check_in", world.users["technician"])


@pytest.fixture
def replans(monkeypatch):
    """Record every re-plan of the SLA deadlines (the engine's body is tested with the SLA)."""
    calls = []
    real = sla.plan_deadlines

    def spy(order, *, now, lines=None):
        calls.append({"order": order.pk, "lines": lines, "start": order.appointment_start})
        return real(order, now=now, lines=lines)

    monkeypatch.setattr(sla, "plan_deadlines", spy)
    return calls


def return_order(world, kind="exchange", days=5):
    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=days)
    )
    return world.order(customer=customer, appliance=appliance, order_type="return_exchange", return_kind=kind)


# --- approval of returns / exchanges ----------------------------------------------------------------


def test_return_exchange_waits_for_approval_then_is_routed(world, replans):
    order = return_order(world)
    assert (order.status, order.approval, order.outlet) == (S.PENDING_APPROVAL, "pending", None)
    assert available_actions(order, world.dispatcher) == []
    replans.clear()
    order = step(order, "approve", world.region_director)
    assert (order.status, order.approval, order.outlet) == (S.ROUTED, "approved", world.outlet)
    assert [c.action for c in order.status_changes.all()] == ["create", "submit_for_approval", "approve", "route"]
    assert [c["order"] for c in replans] == [order.pk]  # the promise starts when it is approved
    assert order.status_changes.get(action="route").actor is None  # routed by the system


def test_approved_order_nobody_covers_stays_created_with_a_note(world):
    order = return_order(world)
    OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.SUSPENDED)
    order = step(order, "approve", world.hq_manager)
    assert (order.status, order.approval, order.outlet) == (S.CREATED, "approved", None)
    assert order.routing_note


def test_refused_return_is_cancelled_with_the_reason(world):
    order = return_order(world, kind="return")
    with pytest.raises(ValidationFailed) as exc:
        step(order, "refuse", world.quality)
    assert set(exc.value.fields) == {"reason"}
    order = step(order, "refuse", world.quality, reason="人为损坏，非质量问题")
    assert (order.status, order.approval) == (S.CANCELLED, "refused")
    assert order.status_changes.last().reason == "人为损坏，非质量问题"


def test_only_approvers_approve(world):
    order = return_order(world)
    for persona in ("agent", "callback_agent", "tech_lead"):
        with pytest.raises(PermissionDenied):
            step(order, "approve", world.users[persona])
    order.refresh_from_db()
    assert order.status == S.PENDING_APPROVAL


def test_api_create_of_a_return_answers_pending_approval(world):
    customer = world.customer()
    appliance = appliance_add(actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate())
    payload = {
        "customer_id": customer.pk,
        "order_type": "return_exchange",
        "return_kind": "return",
        "lines": [{"appliance_id": appliance.pk}],
    }
    response = api(world.agent).post("/orders?expand=detail", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["routed"], body["outlet_id"]) == ("pending_approval", False, None)
    detail = body["detail"]
    assert (detail["status"], detail["approval"], detail["return_kind"]) == ("pending_approval", "pending", "return")
    assert detail["lines"][0]["warranty_basis"] == "policy"
    error = assert_error(api(world.agent).post("/orders", {**payload, "return_kind": ""}), 400, "invalid", fields=("return_kind",))
    assert error["fields"]["return_kind"]


# --- reroute ---------------------------------------------------------------------------------------


@pytest.fixture
def second_outlet(world):
    return OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="拱墅特约网点", city="杭州市")


def test_reroute_moves_the_order_and_clears_the_technician(world, second_outlet):
    order = world.order()
    step(order, "accept", world.dispatcher)
    step(order, "assign", world.dispatcher, technician=world.technician.pk)
    order = step(order, "reroute", world.agent, outlet=second_outlet.pk, reason="原网点人手不足")
    assert (order.status, order.outlet, order.technician, order.accepted_at) == (S.ROUTED, second_outlet, None, None)
    change = order.status_changes.last()
    assert change.reason == "原网点人手不足"
    assert change.data == {"outlet": second_outlet.pk, "outlet_name": second_outlet.name, "from_outlet": world.outlet.pk}
    # The old outlet no longer sees it.
    assert not WorkOrder.objects.visible_to(world.dispatcher).filter(pk=order.pk).exists()


def test_reroute_refuses_the_same_an_unworking_or_a_foreign_outlet(world, second_outlet):
    order = world.order()
    for outlet, actor in ((world.outlet, world.agent), (world.other_outlet, world.agent)):
        with pytest.raises(ValidationFailed) as exc:
            step(order, "reroute", actor, outlet=outlet.pk, reason="x")
        assert set(exc.value.fields) == {"outlet"}
    OrgUnit.objects.filter(pk=second_outlet.pk).update(status=OutletStatus.SUSPENDED)
    with pytest.raises(ValidationFailed):
        step(order, "reroute", world.hq_manager, outlet=second_outlet.pk, reason="x")
    order.refresh_from_db()
    assert (order.status, order.outlet) == (S.ROUTED, world.outlet)


# --- field facts ---------------------------------------------------------------------------------


def test_accept_and_check_in_record_when_and_how_many(world):
    order = world.order()
    order = step(order, "accept", world.dispatcher)
    assert order.accepted_at is not None
    step(order, "assign", world.dispatcher, technician=world.technician.pk)
    order = step(order, "check_in", world.users["technician"])
    assert (order.visit_count, order.checked_in_at is not None) == (1, True)
    assert order.status_changes.last().data == {"visit": 1}


def test_confirm_may_move_the_window_and_replans(world, replans):
    order = world.order()
    step(order, "assign", world.dispatcher, technician=world.technician.pk)
    replans.clear()
    with pytest.raises(ValidationFailed) as exc:
        step(
            order,
            "confirm",
            world.users["technician"],
            appointment_start=window()["appointment_end"],
            appointment_end=window()["appointment_start"],
        )
    assert "appointment_end" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        step(order, "confirm", world.users["technician"], appointment_start=window()["appointment_start"])
    assert "appointment_start" in exc.value.fields  # "give both the start and the end"
    assert replans == []
    new = window(days=2)
    order = step(order, "confirm", world.users["technician"], **new)
    assert (order.status, order.appointment_start, order.appointment_end) == (S.CONFIRMED, new["appointment_start"], new["appointment_end"])
    assert replans == [{"order": order.pk, "lines": 1, "start": new["appointment_start"]}]


def test_confirm_without_a_window_keeps_the_agreed_one(world, replans):
    order = world.order()
    step(order, "assign", world.dispatcher, technician=world.technician.pk)
    before = (order.appointment_start, order.appointment_end)
    replans.clear()
    order = step(order, "confirm", world.dispatcher)
    assert (order.appointment_start, order.appointment_end) == before and replans == []


# --- side states ---------------------------------------------------------------------------------


def test_resolved_by_phone_counts_as_done_and_gets_a_callback(world):
    order = world.order()
    order = step(order, "resolve_by_phone", world.agent, reason="指导用户重新设置遥控器")
    assert order.status == S.RESOLVED_BY_PHONE
    assert order.callback_deadline is not None and order.completed_at is None
    assert order.status_changes.last().reason == "指导用户重新设置遥控器"
    order = callback_record(actor=world.callback_agent, order_id=order.pk, satisfaction="satisfied")
    assert order.status == S.CLOSED


def test_pending_parts_then_parts_arrived_with_a_new_window(world, replans):
    order = on_site(world)
    tech = world.users["technician"]
    order = step(order, "pending_parts", tech, reason="压缩机启动电容")
    assert order.status == S.PENDING_PARTS
    assert order.status_changes.last().data == {"part": "压缩机启动电容"}
    replans.clear()
    # The new visit needs a window: missing, past and reversed windows are refused, nothing changes.
    bad = [
        ({}, {"appointment_start", "appointment_end"}),
        (window(days=-1), {"appointment_end"}),
        ({"appointment_start": window()["appointment_end"], "appointment_end": window()["appointment_start"]}, {"appointment_end"}),
        ({"appointment_start": "tomorrow", "appointment_end": "later"}, {"appointment_start"}),
    ]
    for data, fields in bad:
        with pytest.raises(ValidationFailed) as exc:
            step(order, "parts_arrived", world.parts_clerk, **data)
        assert fields <= set(exc.value.fields), data
    order.refresh_from_db()
    assert order.status == S.PENDING_PARTS and replans == []
    new = window(days=3)
    order = step(order, "parts_arrived", world.parts_clerk, **new)
    assert (order.status, order.appointment_start, order.technician) == (S.ASSIGNED, new["appointment_start"], world.technician)
    assert order.checked_in_at is None  # the new visit's clock runs until the next check-in
    assert len(replans) == 1
    change = order.status_changes.last()
    assert change.data["appointment_start"] == new["appointment_start"].isoformat()


def test_window_as_iso_text_is_accepted(world):
    order = on_site(world)
    step(order, "revisit", world.users["technician"], reason="需带梯子")
    start = timezone.localtime() + timedelta(days=1)
    order = step(
        order,
        "schedule_revisit",
        world.dispatcher,
        appointment_start=start.isoformat(),
        appointment_end=(start + timedelta(hours=1)).isoformat(),
    )
    assert order.status == S.ASSIGNED and order.appointment_start == start


def test_revisit_then_schedule_revisit(world):
    order = on_site(world)
    tech = world.users["technician"]
    order = step(order, "revisit", tech, reason="需要两人抬装")
    assert order.status == S.REVISIT
    assert S.REVISIT in [c.to_status for c in order.status_changes.all()]
    order = step(order, "schedule_revisit", tech, **window())
    assert order.status == S.ASSIGNED
    order = step(order, "check_in", tech)
    assert order.visit_count == 2


def test_refuse_install_only_on_install_orders(world):
    repair = on_site(world)
    tech = world.users["technician"]
    assert "refuse_install" not in {t.action for t in available_actions(repair, tech)}
    with pytest.raises(InvalidTransition):
        step(repair, "refuse_install", tech, hazard_type="no_earth", reason="无接地")
    repair.refresh_from_db()
    assert (repair.status, repair.hazard_type) == (S.ON_SITE, "")


def test_refuse_install_records_the_hazard(world):
    order = on_site(world, order_type="install")
    tech = world.users["technician"]
    assert "refuse_install" in {t.action for t in available_actions(order, tech)}
    for hazard in ("", "none", "ghosts"):
        with pytest.raises(ValidationFailed) as exc:
            step(order, "refuse_install", tech, hazard_type=hazard, reason="x")
        assert set(exc.value.fields) == {"hazard_type"}
    order = step(order, "refuse_install", tech, hazard_type="no_earth", reason="插座无可靠接地，已告知用户整改")
    assert (order.status, order.hazard_type, order.hazard_note) == (S.INSTALL_REFUSED, "no_earth", "插座无可靠接地，已告知用户整改")
    # The customer fixes the wiring: the outlet plans another visit.
    order = step(order, "schedule_revisit", world.dispatcher, **window())
    assert order.status == S.ASSIGNED


def test_every_refused_step_changes_nothing(world):
    order = on_site(world)
    before = (order.status, order.version, StatusChange.objects.filter(order=order).count())
    for action, data in (("pending_parts", {}), ("revisit", {"reason": "  "}), ("parts_arrived", window())):
        with pytest.raises((ValidationFailed, InvalidTransition)):
            step(order, action, world.users["technician"], **data)
    order.refresh_from_db()
    assert (order.status, order.version, StatusChange.objects.filter(order=order).count()) == before
