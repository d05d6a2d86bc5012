"""Adding an action is one edit (decision 0042): a throwaway transition declared in ``TRANSITIONS`` only
shows up on the order page (its button and dialog with the reason label), among the bulk actions
(with its bulk label, run by the bulk service), on the technician's phone (as a side step), and is
taken by ``order_transition`` with its apply function."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anxin.accounts.choices import Role
from anxin.orders.choices import OrderStatus as S
from anxin.orders.models import StatusChange
from anxin.orders.workflow.bulk import bulk_actions_for, bulk_apply
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import SIDE, TRANSITIONS, OrderTransition


def _inspect(order, data, actor) -> dict:
    order.routing_note = "inspected"
    return {"inspected": True}


INSPECT = OrderTransition(
    "inspect",
    "Inspect",
    (S.ROUTED,),
    S.ACCEPTED,
    (Role.OUTLET_MANAGER,),
    ("reason",),
    apply=_inspect,
    dialog=True,
    reason_label="What was inspected",
    bulk=True,
    bulk_label="Inspect them",
)
PHONE_AHEAD = OrderTransition("phone_ahead", "Phone ahead", (S.ASSIGNED,), S.ASSIGNED, (Role.TECHNICIAN,), technician_step=SIDE)


@pytest.fixture
def declared(monkeypatch):
    monkeypatch.setitem(TRANSITIONS, "inspect", INSPECT)
    monkeypatch.setitem(TRANSITIONS, "phone_ahead", PHONE_AHEAD)


def test_a_declared_action_is_on_the_order_page_with_its_dialog(world, client, declared):
    order = world.order()
    client.force_login(world.dispatcher)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-open-dialog="action-inspect"' in html
    assert 'data-action-dialog="inspect"' in html and "What was inspected" in html
    client.force_login(world.agent)  # not the action's role: no button
    assert "action-inspect" not in client.get(reverse("order_detail", args=[order.pk])).content.decode()


def test_a_declared_action_is_taken_by_the_service_and_the_page(world, client, declared):
    order = world.order()
    client.force_login(world.dispatcher)
    response = client.post(reverse("order_action", args=[order.pk, "inspect"]), {"expected_version": order.version, "reason": "看过了"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.routing_note) == (S.ACCEPTED, "inspected")
    change = StatusChange.objects.get(order=order, action="inspect")
    assert (change.reason, change.data) == ("看过了", {"inspected": True})


def test_a_declared_bulk_action_is_offered_and_run_by_the_bulk_service(world, declared):
    assert ("inspect", "Inspect them") in bulk_actions_for(world.dispatcher)
    assert "inspect" not in dict(bulk_actions_for(world.agent))
    first, second = world.order(), world.order()
    results = bulk_apply(actor=world.dispatcher, action="inspect", order_ids=[first.pk, second.pk], data={"reason": "批量"})
    assert [r["ok"] for r in results] == [True, True]
    assert StatusChange.objects.filter(action="inspect").count() == 2


def test_a_declared_technician_step_is_on_the_phone(world, client, declared):
    order = world.order()
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(world.users["technician"])
    html = client.get(reverse("technician_jobs")).content.decode()
    assert 'data-side-step="phone_ahead"' in html
