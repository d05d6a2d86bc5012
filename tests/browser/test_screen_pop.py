"""Screen pop (来电弹屏) in Chromium: the PBX reports a ringing call for extension 8012, the agent's
dashboard pops the caller's archive within 2 s (pushed over server-sent events, decision 0051), and a repair order is registered from the pop."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.accounts.services import api_token_create
from anxin.customers.services import appliance_add
from anxin.telephony.models import Call
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _post_event(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(  # noqa: S310 (the test's own live server)
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (the test's own live server)
        assert resp.status == 200
        return json.loads(resp.read())


def test_ringing_call_pops_and_becomes_an_order(world, new_page, live_server):
    customer = world.customer(name="张伟", phone="13812345678", group="vip")
    appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="KFR35-POP-1")
    _token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")

    agent = new_page(LAPTOP)
    login(agent, "agent", PASSWORD)
    agent.goto("/")
    assert agent.locator("[data-screen-pop]").count() == 0

    _post_event(
        live_server.url + "/api/v1/telephony/call-events",
        raw,
        {"call_id": "PBX-20261124-0001", "event": "ringing", "caller": "+86 138 1234 5678", "called": "4008999315", "extension": "8012"},
    )
    pop = agent.wait_for_selector("[data-screen-pop]", timeout=2000)  # pushed: within 2 s of the event
    assert pop.query_selector(f'[data-pop-customer="{customer.pk}"]') is not None
    assert pop.query_selector("[data-vip]") is not None
    assert "13812345678" in pop.inner_text()
    screenshot(agent, "screen-pop-1-ringing")

    agent.click(f'[data-pop-customer="{customer.pk}"] [data-pop-new-order]')
    agent.wait_for_selector("[data-order-create]")
    start = timezone.now() + timedelta(hours=3)
    agent.fill("input[name=appointment_start]", _local(start))
    agent.fill("input[name=appointment_end]", _local(start + timedelta(hours=2)))
    row = agent.locator("tr[data-appliance-row]").first
    appliance_id = row.get_attribute("data-appliance-id")
    assert row.locator("input[name=appliance_id]").is_checked()
    agent.fill(f"input[name=symptom_{appliance_id}]", "不制冷")
    agent.click("[data-submit=order_create]")
    header = agent.wait_for_selector("h1[data-order-number]")
    number = header.get_attribute("data-order-number")
    screenshot(agent, "screen-pop-2-order")

    call = Call.objects.get(call_id="PBX-20261124-0001")
    assert call.agent == world.agent and call.customer == customer
    assert call.order is not None and call.order.number == number
    # The call has its order: the pop does not come back.
    agent.wait_for_timeout(1500)
    assert agent.locator("[data-screen-pop]").count() == 0


def test_unknown_caller_pop_offers_new_customer_and_esc_dismisses(world, new_page, live_server):
    _token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    url = live_server.url + "/api/v1/telephony/call-events"
    agent = new_page(LAPTOP)
    login(agent, "agent", PASSWORD)
    agent.goto("/orders/")

    _post_event(url, raw, {"call_id": "PBX-2", "event": "ringing", "caller": "13700001111", "extension": "8012"})
    agent.wait_for_selector("[data-screen-pop]", timeout=2000)
    agent.keyboard.press("Escape")
    agent.wait_for_selector("[data-screen-pop]", state="detached", timeout=3000)
    assert Call.objects.get(call_id="PBX-2").dismissed_at is not None

    _post_event(url, raw, {"call_id": "PBX-3", "event": "ringing", "caller": "13700002222", "extension": "8012"})
    agent.click("[data-screen-pop] [data-pop-new-customer]", timeout=3000)
    agent.wait_for_selector("[data-customer-form]")
    assert agent.input_value("[data-customer-form] input[name=phone]") == "13700002222"
    # Registering the caller from the pop links the call to the new customer (decision 0026).
    agent.fill("[data-customer-form] input[name=name]", "王五")
    agent.fill("[data-customer-form] input[name=address]", "浙江省杭州市西湖区文三路90号")
    agent.click("[data-customer-form] button[type=submit]")
    agent.wait_for_url("**/customers/*/")
    call = Call.objects.get(call_id="PBX-3")
    assert call.customer is not None and call.customer.name == "王五"
