"""A narrow scope over a common name: the search re-scans the index through the scope's own id sets
(``core.scoping.scope_ids_q``), and those sets are exactly the scope ``visible_to`` gives."""

from __future__ import annotations

import pytest

from anxin.core.scoping import scope_ids_q
from anxin.customers import search
from anxin.customers.models import Customer
from anxin.customers.search import customer_search
from anxin.customers.services import customer_create


@pytest.fixture
def archive(world):
    """Customers reached every way: an order at the outlet (and its technician), an order in the
    other region, registered by the outlet without an order, a region's home customer with none."""
    at_outlet = world.customer(name="王芳", phone="13800000001")
    order = world.order(customer=at_outlet)
    from anxin.orders.workflow.services import order_transition

    order_transition(order_id=order.pk, action="accept", actor=world.dispatcher)
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    elsewhere = world.customer(name="王芳", phone="13800000002", address="江苏省南京市玄武区中山路1号")
    world.order(customer=elsewhere)
    walk_in = customer_create(
        actor=world.dispatcher, name="王芳", phones=["13800000003"], address="浙江省杭州市西湖区文三路1号", registered_by=world.outlet
    )
    home = world.customer(name="王芳", phone="13800000004")
    return {"at_outlet": at_outlet, "elsewhere": elsewhere, "walk_in": walk_in, "home": home}


ROLES = [
    "dispatcher",
    "technician",
    "region_director",
    "outsider_director",
    "outsider_dispatcher",
    "outsider_technician",
    "dealer",
    "hq_manager",
]


@pytest.mark.parametrize("role", ROLES)
def test_scope_id_sets_are_the_scope(world, archive, role):
    user = world.users[role]
    ids = scope_ids_q("pk", Customer, user)
    by_sets = (
        set(Customer.objects.filter(ids).values_list("pk", flat=True))
        if ids is not None
        else set(Customer.objects.values_list("pk", flat=True))
    )
    assert by_sets == set(Customer.objects.visible_to(user).values_list("pk", flat=True))


def test_the_outlet_finds_its_customer_behind_a_full_page_of_others(world, archive, monkeypatch):
    # More same-name customers outside the outlet than the index scan's cap: the first scan sees only
    # them, the re-scan through the scope finds the outlet's own.
    for i in range(4):
        world.customer(name="王芳", phone=f"1390000010{i}", address="江苏省南京市玄武区中山路2号")
    monkeypatch.setattr(search, "CANDIDATES_PER_KIND", 3)
    found = {hit.customer.pk for hit in customer_search(user=world.dispatcher, q="王芳").hits}
    assert found == {archive["at_outlet"].pk, archive["walk_in"].pk}
    found = {hit.customer.pk for hit in customer_search(user=world.users["technician"], q="王芳").hits}
    assert found == {archive["at_outlet"].pk}


@pytest.mark.parametrize("role", ROLES)
def test_visible_among_is_the_scope_cut_to_the_ids(world, archive, role):
    # The search's candidate check and final fetch probe each path for just the candidates; what
    # they keep is exactly ``visible_to`` cut to those ids, merged duplicates dropped.
    user = world.users[role]
    merged = Customer.objects.filter(pk=archive["home"].pk)
    merged.update(merged_into=archive["at_outlet"])
    every = set(Customer.objects.values_list("pk", flat=True))
    for ids in (every, {archive["at_outlet"].pk, archive["walk_in"].pk, archive["home"].pk}, {archive["elsewhere"].pk}, set()):
        expected = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        assert set(Customer.objects.visible_among(user, ids).values_list("pk", flat=True)) == expected
    assert archive["home"].pk not in set(Customer.objects.visible_among(user, every).values_list("pk", flat=True))


def test_visible_among_reads_only_the_candidates_access_rows(world, archive):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        list(Customer.objects.visible_among(world.dispatcher, [archive["at_outlet"].pk]))
    access = [q["sql"] for q in queries.captured_queries if "customer_access" in q["sql"].lower() or "customeraccess" in q["sql"].lower()]
    assert len(access) == 1
    assert f"IN ({archive['at_outlet'].pk})" in access[0].replace("'", "")
