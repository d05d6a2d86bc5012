"""The queue's search box: order number (or its beginning, with or without the letters), the
customer's name (1–3 characters or whole) or phone (whole or last 7+ digits); scoped; indexed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anxin.customers.services import customer_update
from anxin.orders.models import WorkOrder
from anxin.orders.worklist.selectors import order_list


def found(user, q) -> set[int]:
    return set(order_list(user=user, q=q).values_list("pk", flat=True))


@pytest.fixture
def orders(world):
    li = world.customer(name="欧阳娜娜", phone="13712345678")
    wang = world.customer(name="王喆", phone="13900001111")
    a, b, c = world.order(customer=li), world.order(customer=li), world.order(customer=wang)
    WorkOrder.objects.filter(pk=a.pk).update(number="WO202612010000204")
    WorkOrder.objects.filter(pk=b.pk).update(number="WO202612010000205")
    WorkOrder.objects.filter(pk=c.pk).update(number="WO202611300000099")
    return {"a": a.pk, "b": b.pk, "c": c.pk, "li": li, "wang": wang}


def test_order_number_whole_beginning_lowercase_or_digits_only(world, orders):
    hq = world.hq_manager
    assert found(hq, "WO202612010000204") == {orders["a"]}
    assert found(hq, "wo20261201") == {orders["a"], orders["b"]}
    assert found(hq, "202612010000205") == {orders["b"]}
    assert found(hq, " WO2026 1130 ") == {orders["c"]}  # spaces typed inside are ignored
    assert found(hq, "WO2099") == set()


def test_customer_name_any_part_or_whole_and_phone(world, orders):
    hq = world.hq_manager
    both = {orders["a"], orders["b"]}
    assert found(hq, "欧阳") == both
    assert found(hq, "娜") == both
    assert found(hq, "欧阳娜娜") == both
    assert found(hq, "喆") == {orders["c"]}
    assert found(hq, "张三") == set()
    assert found(hq, "13712345678") == both
    assert found(hq, "2345678") == both  # the last 7 digits
    assert found(hq, "45678") == set()  # too few digits to be a phone: only order numbers
    # Renamed: the index follows, so does the search.
    wang = orders["wang"]
    customer_update(actor=world.agent, customer=wang, name="王磊", group=wang.group, marketing_consent=wang.marketing_consent)
    assert found(hq, "喆") == set() and found(hq, "王磊") == {orders["c"]}


def test_search_stays_in_scope(world, orders):
    assert found(world.outsider_dispatcher, "欧阳娜娜") == set()
    assert found(world.outsider_dispatcher, "WO20261201") == set()
    assert found(world.dispatcher, "欧阳娜娜") == {orders["a"], orders["b"]}


def test_search_runs_on_indexes_and_a_broad_name_becomes_a_subquery(world, orders, monkeypatch):
    from anxin.orders.worklist import selectors

    with CaptureQueriesContext(connection) as ctx:
        assert set(order_list(user=world.hq_manager, q="欧阳").prefetch_related(None).values_list("pk", flat=True)) == {
            orders["a"],
            orders["b"],
        }
    tokens, rows = (q["sql"].upper() for q in ctx.captured_queries)
    assert "CUSTOMERS_SEARCHTOKEN" in tokens and "CUSTOMERS_SEARCHTOKEN" not in rows
    assert "LIKE '%" not in rows and "UPPER(" not in rows  # no substring scan of numbers or names
    with CaptureQueriesContext(connection) as ctx:
        assert found(world.hq_manager, "WO202612010000204") == {orders["a"]}
    numbers, rows = (q["sql"].upper() for q in ctx.captured_queries)
    assert "NUMBER" in numbers and "NUMBER" not in rows.split("WHERE")[1]  # the row query takes the ids
    # More matches than a plain list holds: the same rows through the conditions themselves.
    monkeypatch.setattr(selectors, "SEARCH_MATCHES_MAX", 0)
    assert found(world.hq_manager, "欧阳") == {orders["a"], orders["b"]}
    assert found(world.hq_manager, "13712345678") == {orders["a"], orders["b"]}
    assert found(world.hq_manager, "wo20261201") == {orders["a"], orders["b"]}
