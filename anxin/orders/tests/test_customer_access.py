"""The customer access table the order side keeps (decision 0046): who reaches a customer through its
orders appears on routing and assignment, moves on reroute, loses the full contact when the order
leaves the field, and a full ``rebuild()`` gives exactly the rows the steps left."""

from __future__ import annotations

import pytest

from anxin.accounts.choices import OrgKind, OutletKind
from anxin.accounts.models import OrgUnit
from anxin.customers.models import Customer, CustomerAccess
from anxin.customers.search import search_sources
from anxin.customers.selectors import contact_visible, contact_visible_ids
from anxin.customers.services import customer_merge
from anxin.network.models import OutletCoverage
from anxin.orders import customer_access
from anxin.orders.choices import FIELD_STATUSES
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db


def rows(customer=None) -> set[tuple]:
    qs = CustomerAccess.objects.all() if customer is None else CustomerAccess.objects.filter(customer=customer)
    return set(qs.values_list("customer_id", "unit_id", "user_id", "in_field"))


def second_outlet(world) -> OrgUnit:
    unit = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="滨江网点", outlet_kind=OutletKind.AUTHORIZED
    )
    OutletCoverage.objects.create(outlet=unit, division_prefix="330108")
    return unit


def assign(world, order, technician=None):
    technician = technician or world.technician
    return order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": technician.pk})


def test_routing_gives_the_outlet_and_its_region_the_customer(world):
    customer = world.customer()
    assert rows(customer) == set()
    assert not Customer.objects.visible_to(world.dispatcher).filter(pk=customer.pk).exists()
    order = world.order(customer=customer)
    assert order.status == "routed" and order.outlet == world.outlet
    assert rows(customer) == {(customer.pk, world.outlet.pk, None, False)}
    assert Customer.objects.visible_to(world.dispatcher).filter(pk=customer.pk).exists()
    assert Customer.objects.visible_to(world.region_director).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.outsider_dispatcher).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.outsider_director).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.technician).filter(pk=customer.pk).exists()


def test_assignment_gives_the_technician_the_customer_and_the_full_contact(world):
    customer = world.customer()
    order = assign(world, world.order(customer=customer))
    assert rows(customer) == {(customer.pk, world.outlet.pk, None, False), (customer.pk, None, world.technician.user_id, True)}
    tech = world.technician.user
    assert Customer.objects.visible_to(tech).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.senior).filter(pk=customer.pk).exists()
    assert contact_visible(user=tech, customer=customer)
    assert contact_visible_ids(user=tech, customer_ids=[customer.pk]) == {customer.pk}
    assert order.status in FIELD_STATUSES


def test_reroute_moves_the_access_and_ends_the_technicians(world):
    binjiang = second_outlet(world)
    customer = world.customer()
    order = assign(world, world.order(customer=customer))
    order_transition(order_id=order.pk, action="reroute", actor=world.agent, data={"outlet": binjiang.pk, "reason": "网点满负荷"})
    assert rows(customer) == {(customer.pk, binjiang.pk, None, False)}
    assert not Customer.objects.visible_to(world.dispatcher).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.technician.user).filter(pk=customer.pk).exists()
    assert Customer.objects.visible_to(world.region_director).filter(pk=customer.pk).exists()  # still the region's outlet


def test_the_outlet_keeps_the_customer_while_another_order_stays(world):
    binjiang = second_outlet(world)
    customer = world.customer()
    first = world.order(customer=customer)
    world.order(customer=customer)
    order_transition(order_id=first.pk, action="reroute", actor=world.agent, data={"outlet": binjiang.pk, "reason": "x"})
    assert rows(customer) == {(customer.pk, world.outlet.pk, None, False), (customer.pk, binjiang.pk, None, False)}


@pytest.mark.parametrize(("action", "data"), [("cancel", {"reason": "客户取消"}), ("resolve_by_phone", {"reason": "电话指导解决"})])
def test_the_full_contact_ends_when_the_order_leaves_the_field(world, action, data):
    customer = world.customer()
    order = assign(world, world.order(customer=customer))
    tech = world.technician.user
    assert contact_visible(user=tech, customer=customer)
    order = order_transition(order_id=order.pk, action=action, actor=world.agent, data=data)
    assert order.status not in FIELD_STATUSES
    assert (customer.pk, None, tech.pk, False) in rows(customer)
    assert not contact_visible(user=tech, customer=customer)
    assert contact_visible_ids(user=tech, customer_ids=[customer.pk]) == set()
    # The customer of a past job stays in the technician's scope, masked (as before the table).
    assert Customer.objects.visible_to(tech).filter(pk=customer.pk).exists()


def test_every_step_into_or_out_of_the_field_is_an_access_event():
    field = set(FIELD_STATUSES)
    for t in TRANSITIONS.values():
        if any((s in field) != (t.target in field) for s in t.sources) or t.action in ("route", "reroute", "assign"):
            assert f"order.{t.action}" in customer_access.ACCESS_EVENTS, t.action
    assert "order.created" in customer_access.ACCESS_EVENTS
    assert {"order.check_in", "order.depart", "order.confirm"}.isdisjoint(customer_access.ACCESS_EVENTS)  # field to field


def test_rebuild_equals_what_the_steps_left(world):
    binjiang = second_outlet(world)
    a, b, c = world.customer(name="甲", phone="13800000001"), world.customer(name="乙", phone="13800000002"), world.customer(name="丙")
    assign(world, world.order(customer=a))
    done = assign(world, world.order(customer=a), world.senior_technician)
    order_transition(order_id=done.pk, action="cancel", actor=world.agent, data={"reason": "x"})
    moved = assign(world, world.order(customer=b))
    order_transition(order_id=moved.pk, action="reroute", actor=world.agent, data={"outlet": binjiang.pk, "reason": "x"})
    world.order(customer=c)
    world.customer(name="丁", phone="13800000004")  # no order: no row
    incremental = rows()
    assert len(incremental) == 5
    CustomerAccess.objects.all().delete()
    assert customer_access.rebuild() == len(incremental)
    assert rows() == incremental


def test_a_merge_folds_the_duplicates_access_into_the_survivors(world):
    survivor = world.customer(name="张伟", phone="13812345678")
    duplicate = world.customer(name="张伟伟", phone="13912345678")
    world.order(customer=survivor)
    assign(world, world.order(customer=duplicate))
    customer_merge(actor=world.agent, survivor=survivor, duplicate=duplicate, reason="同一个人")
    expected = rows()
    assert expected == {(survivor.pk, world.outlet.pk, None, False), (survivor.pk, None, world.technician.user_id, True)}
    customer_access.rebuild()
    assert rows() == expected


def test_the_lookup_finds_customers_by_order_number_through_the_registered_source(world):
    from anxin.customers.search import customer_search

    assert "order" in {s.name for s in search_sources()}
    order = world.order(customer=world.customer())
    hits = customer_search(user=world.dispatcher, q=order.number).hits
    assert [(h.customer.pk, h.matched) for h in hits] == [(order.customer_id, "order")]
    assert customer_search(user=world.outsider_dispatcher, q=order.number).hits == []
