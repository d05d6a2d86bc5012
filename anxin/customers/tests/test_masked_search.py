"""A masked phone cannot be rebuilt through search (decision 0024); customer pages count only the
orders in the viewer's scope (issue 9, item 15)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from anxin.core.tests.apiclient import api
from anxin.orders.worklist.selectors import order_list
from anxin.telephony.selectors import call_list
from anxin.telephony.services import call_event_record

NUMBER = "13012340376"
NANJING = "江苏省南京市玄武区中山路18号"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer(world):
    customer = world.customer(name="张伟", phone=NUMBER)
    world.order(customer=customer)  # in the director's region
    return customer


def test_masked_roles_match_whole_numbers_only(world, customer):
    director = api(world.region_director)
    for partial in ("0376", "40376", "2340376", "3012340376"):
        assert director.get("/customers/search", q=partial).json()["results"] == [], partial
        assert director.get("/customers", q=partial).json()["count"] == 0, partial
    hit = director.get("/customers/search", q=NUMBER).json()["results"]
    assert [h["customer"]["id"] for h in hit] == [customer.pk] and hit[0]["matched_text"] == "130****0376"
    assert director.get("/customers", q=NUMBER).json()["count"] == 1
    # Those who take calls keep last-4 matching.
    assert api(world.agent).get("/customers/search", q="0376").json()["results"][0]["customer"]["id"] == customer.pk


def test_masked_page_never_marks_digits(world, customer):
    browser = Client()
    browser.force_login(world.region_director)
    assert f'data-customer="{customer.pk}"' not in browser.get(reverse("customer_list"), {"q": "40376"}).content.decode()
    html = browser.get(reverse("customer_list"), {"q": NUMBER}).content.decode()
    table = html.split("<tbody>", 1)[1]
    assert "130****0376" in table and "<mark>" not in table


def test_order_search_box_matches_whole_numbers_for_masked_roles(world, customer):
    assert order_list(user=world.region_director, q="2340376").count() == 0
    assert order_list(user=world.region_director, q=NUMBER).count() == 1
    assert order_list(user=world.agent, q="2340376").count() == 1


def test_call_log_number_filter_matches_whole_numbers_for_masked_roles(world, customer):
    call_event_record(actor=world.agent, call_id="C-1", event="ringing", caller=NUMBER, extension="8012")
    assert call_list(user=world.region_director, number="0376").count() == 0
    assert call_list(user=world.region_director, number=NUMBER).count() == 1
    assert call_list(user=world.agent, number="0376").count() == 1


def test_customer_search_is_rate_limited_per_user(world, customer, settings, monkeypatch):
    settings.ANXIN_CUSTOMER_SEARCH_PER_MINUTE = 3
    monkeypatch.setattr("anxin.customers.selectors._minute", lambda: 1000)  # one window, whatever the clock
    agent = api(world.agent)
    for _ in range(3):
        assert agent.get("/customers/search", q="张伟").status_code == 200
    response = agent.get("/customers/search", q="张伟")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"
    assert agent.get("/customers", q="张伟").status_code == 429
    # Per user: another user still searches; a plain list (no query) is not a search.
    assert api(world.callback_agent).get("/customers/search", q="张伟").status_code == 200
    assert agent.get("/customers").status_code == 200
    browser = Client()
    browser.force_login(world.agent)
    page = browser.get(reverse("customer_list"), {"q": "张伟"})
    assert page.status_code == 429
    # Translated, in the page's error box (the refused searches count too: 3 answered, then 3 refused).
    assert "您在一分钟内已查询用户 6 次（上限 3 次）" in page.content.decode()
    assert 'data-error-code="too_many_requests"' in page.content.decode()
    # The next minute opens a new window.
    monkeypatch.setattr("anxin.customers.selectors._minute", lambda: 1001)
    assert agent.get("/customers/search", q="张伟").status_code == 200


def test_merge_page_counts_only_the_orders_in_scope(world):
    here = world.customer(name="张伟", phone="13812345678")
    there = world.customer(name="张伟", phone="13900002222", address=NANJING)
    world.order(customer=there)  # a Nanjing order: the Hangzhou agent sees the customer, not the order
    browser = Client()
    browser.force_login(world.agent)
    html = browser.get(reverse("customer_merge_confirm", args=[here.pk, there.pk])).content.decode()
    counts = [part.split("</dd>", 1)[0] for part in html.split("<dt>工单</dt><dd>")[1:]]
    assert counts == ["0", "0"], counts
