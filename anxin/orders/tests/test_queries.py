"""The list pages run a fixed number of SQL queries whatever the page size (no N+1)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anxin.orders.workflow.services import order_transition

ORDERS = 12


def count_queries(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@pytest.fixture
def many_orders(world):
    orders = []
    for i in range(ORDERS):
        order = world.order(customer=world.customer(name=f"客户{i:02d}", phone=f"139000{i:05d}"))
        technician = world.technician if i % 2 else world.senior_technician
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": technician.pk})
        orders.append(order)
    return orders


@pytest.mark.parametrize("user", ["hq_manager", "region_director", "dispatcher", "agent"])
def test_html_list_queries_do_not_grow_with_the_page_size(client, world, many_orders, settings, django_assert_num_queries, user):
    client.force_login(world.users[user])
    url = reverse("order_list")

    def rows(size):
        settings.ANXIN_PAGE_SIZE = size
        response = client.get(url)
        assert response.status_code == 200
        return len(re.findall(r'data-order-number="', response.content.decode()))

    rows(5)  # the first request fills the identity cache (session, user: decision 0050)
    small, shown = count_queries(lambda: rows(5))
    assert shown == 5
    with django_assert_num_queries(small):
        assert rows(50) == ORDERS


def test_api_list_queries_do_not_grow_with_the_page_size(client, world, many_orders, django_assert_num_queries):
    from anxin.accounts.services import api_token_create

    _token_obj, token = api_token_create(actor=world.hq_manager, user=world.hq_manager, name="test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def rows(size):
        response = client.get("/api/v1/orders", {"page_size": size}, **headers)
        assert response.status_code == 200, response.content
        return len(response.json()["results"])

    rows(5)  # warm the token lookup's caches, if any
    rows(5)  # the first request fills the identity cache (session, user: decision 0050)
    small, shown = count_queries(lambda: rows(5))
    assert shown == 5
    with django_assert_num_queries(small):
        assert rows(50) == ORDERS


def test_technician_jobs_queries_do_not_grow_with_the_jobs(client, world, many_orders, django_assert_num_queries):
    # The technician has ORDERS / 2 jobs; the senior technician gets two more, the page must not cost more.
    client.force_login(world.senior)
    client.get(reverse("technician_jobs"))  # fills the identity cache (decision 0050)
    few, _response = count_queries(lambda: client.get(reverse("technician_jobs")))
    for i in range(4):
        order = world.order(customer=world.customer(name=f"新客户{i}", phone=f"137000{i:05d}"))
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    with django_assert_num_queries(few):
        response = client.get(reverse("technician_jobs"))
    assert response.status_code == 200


def test_api_order_detail_queries_do_not_grow_with_the_lines(world, django_assert_num_queries):
    from anxin.core.tests.apiclient import api
    from anxin.orders.models import OrderLine

    one = world.order(fault=world.fault_easy)
    three = world.order(customer=world.customer(name="成套客户", phone="13900002222"), fault=world.fault_easy)
    for _ in range(2):
        OrderLine.objects.create(order=three, product_model=world.model, symptom="安装", fault_code=world.fault_easy)
    client = api(world.hq_manager)
    client.get(f"/orders/{one.pk}")  # warm the token lookup
    few, response = count_queries(lambda: client.get(f"/orders/{one.pk}"))
    assert response.status_code == 200 and len(response.json()["lines"]) == 1
    with django_assert_num_queries(few):
        response = client.get(f"/orders/{three.pk}")
    assert len(response.json()["lines"]) == 3
