"""The registration points of the customer pages (``customers.pages``, decision 0044): customers
import no app above them; orders, feedback, telephony and sales register what they show."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anxin.core import events
from anxin.customers import pages
from anxin.feedback import customer_panels as feedback_parts
from anxin.orders import customer_panels as order_parts
from anxin.sales import customer_panels as sales_parts
from anxin.telephony import customer_links


def test_the_apps_above_register_their_parts_in_order():
    assert pages.page_parts("detail") == [order_parts.detail_part, feedback_parts.detail_part, customer_links.detail_part]
    assert pages.page_parts("dealer") == [order_parts.dealer_part, sales_parts.dealer_part]
    assert pages.page_parts("merge_side") == [order_parts.merge_side_part]


def test_an_unknown_page_is_refused():
    with pytest.raises(ValueError, match="unknown customer page"):
        pages.register_customer_page_part("profile", order_parts.detail_part)


def test_registering_twice_adds_a_part_once():
    pages.register_customer_page_part("detail", order_parts.detail_part)
    assert pages.page_parts("detail").count(order_parts.detail_part) == 1


@pytest.fixture
def without_parts():
    saved = {page: pages.page_parts(page) for page in pages.PAGES}
    for page, parts in saved.items():
        for part in parts:
            pages.unregister_customer_page_part(page, part)
    yield
    for page, parts in saved.items():
        for part in parts:
            pages.register_customer_page_part(page, part)


def test_the_profile_renders_on_its_own_without_any_part(world, client, without_parts):
    customer = world.customer()
    world.order(customer=customer)
    client.force_login(world.agent)
    response = client.get(reverse("customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    assert response.context["orders"] == [] and response.context["can_order"] is False
    html = response.content.decode()
    assert "data-new-order" not in html and 'id="calls"' not in html


def test_with_the_parts_the_profile_shows_orders_calls_and_the_new_order_button(world, client):
    customer = world.customer()
    order = world.order(customer=customer)
    client.force_login(world.agent)
    response = client.get(reverse("customer_detail", args=[customer.pk]))
    assert [o.pk for o in response.context["orders"]] == [order.pk]
    html = response.content.decode()
    assert f'href="/orders/new/?customer={customer.pk}"' in html and 'id="calls"' in html
    assert reverse("order_detail", args=[order.pk]) in html


def test_telephony_links_the_pop_call_when_customer_created_is_published():
    """The entry form publishes ``customer.created`` with the pop's call id inside the creation's
    transaction; telephony's in-transaction rule links the call (tested end to end in telephony)."""
    assert customer_links.link_call_of_new_customer in events._handlers["customer.created"]
