"""Bulk actions on the queue: each order in its own transaction, failures named, ids scoped."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.views.bulk import bulk_actions_for, bulk_apply
from anxin.orders.workflow.services import order_transition

NANJING = "江苏省南京市玄武区中山路100号"


def post(client, **data):
    return client.post(reverse("order_bulk"), data)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_actions_follow_the_roles(world):
    assert [k for k, _ in bulk_actions_for(world.dispatcher)] == ["accept"]
    assert [k for k, _ in bulk_actions_for(world.agent)] == ["reroute", "cancel"]
    assert [k for k, _ in bulk_actions_for(world.region_director)] == ["reroute", "cancel"]
    assert bulk_actions_for(world.users["technician"]) == []


def test_bulk_reroute_moves_every_order(client, world):
    orders = [world.order() for _ in range(3)]
    client.force_login(world.hq_manager)
    response = post(client, action="reroute", ids=[o.pk for o in orders], outlet=world.other_outlet.pk, reason="网点满负荷")
    assert response.status_code == 302
    for order in orders:
        order.refresh_from_db()
        assert order.status == "routed" and order.outlet_id == world.other_outlet.pk
        change = StatusChange.objects.filter(order=order).latest("id")
        assert change.action == "reroute" and change.reason == "网点满负荷" and change.actor == world.hq_manager
    [message] = texts(response)
    assert all(o.number in message for o in orders)


def test_bulk_reroute_partial_failure_is_named_and_does_not_undo_the_others(client, world):
    ok_a, ok_b, on_site = world.order(), world.order(), world.order()
    order_transition(order_id=on_site.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=on_site.pk, action="check_in", actor=world.users["technician"])
    client.force_login(world.hq_manager)
    response = post(client, action="reroute", ids=[ok_a.pk, on_site.pk, ok_b.pk], outlet=world.other_outlet.pk, reason="调整")
    assert response.status_code == 302
    assert set(WorkOrder.objects.filter(outlet=world.other_outlet).values_list("pk", flat=True)) == {ok_a.pk, ok_b.pk}
    on_site.refresh_from_db()
    assert on_site.status == "on_site" and on_site.outlet_id == world.outlet.pk
    messages = texts(response)
    assert len(messages) == 2
    done, failed = messages
    assert ok_a.number in done and ok_b.number in done and on_site.number not in done
    assert on_site.number in failed and on_site.get_status_display() in failed


def test_rejected_order_is_routed_again(world):
    order = world.order()
    order_transition(order_id=order.pk, action="reject", actor=world.dispatcher, data={"reason": "超出范围"})
    [result] = bulk_apply(actor=world.agent, action="reroute", order_ids=[order.pk], data={"outlet": world.outlet.pk, "reason": "重新派单"})
    assert result["ok"], result
    order.refresh_from_db()
    assert order.status == "routed" and StatusChange.objects.filter(order=order).latest("id").action == "route"


def test_ids_outside_the_scope_are_not_found(client, world):
    mine = world.order()
    nanjing = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    assert nanjing.outlet == world.other_outlet
    client.force_login(world.dispatcher)
    response = post(client, action="accept", ids=[mine.pk, nanjing.pk, 999999])
    mine.refresh_from_db()
    nanjing.refresh_from_db()
    assert mine.status == "accepted" and nanjing.status == "routed"
    messages = texts(response)
    assert mine.number in messages[0]
    # The other outlet's order is reported exactly like an id that does not exist: no number leaks.
    assert nanjing.number not in " ".join(messages)
    assert f"#{nanjing.pk}" in messages[1] and "#999999" in messages[2]


def test_bulk_cancel_needs_a_reason_and_a_permitted_role(client, world):
    order = world.order()
    client.force_login(world.agent)
    post(client, action="cancel", ids=[order.pk], reason="")
    order.refresh_from_db()
    assert order.status == "routed"
    post(client, action="cancel", ids=[order.pk], reason="客户取消")
    order.refresh_from_db()
    assert order.status == "cancelled"
    # An outlet manager may not cancel: the action is refused as a whole.
    other = world.order()
    client.force_login(world.dispatcher)
    post(client, action="cancel", ids=[other.pk], reason="x")
    other.refresh_from_db()
    assert other.status == "routed"


def test_bulk_needs_post_and_login(client, world):
    order = world.order()
    assert client.post(reverse("order_bulk"), {"action": "accept", "ids": [order.pk]}).status_code == 302  # to login
    client.force_login(world.dispatcher)
    assert client.get(reverse("order_bulk")).status_code == 405
    order.refresh_from_db()
    assert order.status == "routed"
