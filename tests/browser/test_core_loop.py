"""The core service loop in Chromium, in Chinese, one role at a time (each in its own session):
agent registers customer + appliance + repair order → dispatcher assigns → technician (phone)
departs, checks in, completes with a fault code → callback agent records 非常满意 → closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, PHONE, draw_signature, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_core_loop_in_four_roles(world, new_page):
    world.senior_technician.skills.add(world.aircon)

    # 1. Agent (laptop): register the caller, their air conditioner, and a repair order.
    agent = new_page(LAPTOP)
    login(agent, "agent", PASSWORD)
    assert agent.locator("html").get_attribute("lang") == "zh-hans"
    agent.goto("/customers/new/")
    agent.fill("[data-customer-form] input[name=name]", "陈晓燕")
    agent.fill("[data-customer-form] input[name=phone]", "139 0571 2233")
    agent.fill("[data-customer-form] input[name=address]", "浙江省杭州市西湖区文三路90号3号楼")
    agent.click("[data-customer-form] button[type=submit]")
    agent.wait_for_selector("[data-add-appliance]")
    assert "13905712233" in agent.inner_text("[data-phones]")
    agent.click("[data-add-appliance]")
    agent.select_option("[data-appliance-form] select[name=product_model]", str(world.model.pk))
    agent.fill("[data-appliance-form] input[name=serial]", "KFR35-2026-0001")
    agent.fill("[data-appliance-form] input[name=purchase_date]", (timezone.localdate() - timedelta(days=200)).isoformat())
    agent.click("[data-appliance-form] button[type=submit]")
    agent.wait_for_selector("[data-appliance]")
    agent.click("[data-new-order]")
    start = timezone.now() + timedelta(hours=3)
    agent.fill("input[name=appointment_start]", _local(start))
    agent.fill("input[name=appointment_end]", _local(start + timedelta(hours=2)))
    row = agent.locator("tr[data-appliance-row]").first
    appliance_id = row.get_attribute("data-appliance-id")
    assert row.locator("input[name=appliance_id]").is_checked()
    agent.fill(f"input[name=symptom_{appliance_id}]", "不制冷，有异响")
    agent.click("[data-submit=order_create]")
    header = agent.wait_for_selector("h1[data-order-number]")
    number = header.get_attribute("data-order-number")
    assert agent.locator(f"[data-status={OrderStatus.ROUTED}]").count() == 1
    screenshot(agent, "loop-1-agent-order")
    order = WorkOrder.objects.get(number=number)
    assert order.outlet == world.outlet and order.customer.name == "陈晓燕"

    # 2. Dispatcher (laptop): assign a technician whose grade covers the fault.
    dispatcher = new_page(LAPTOP)
    login(dispatcher, "dispatcher", PASSWORD)
    dispatcher.goto(f"/orders/{order.pk}/")
    dispatcher.click("[data-actions] [data-action=assign]")
    dispatcher.select_option("dialog#action-assign select[name=technician]", str(world.technician.pk))
    dispatcher.click("dialog#action-assign [data-submit=assign]")
    dispatcher.wait_for_selector(f"[data-status={OrderStatus.ASSIGNED}]")
    screenshot(dispatcher, "loop-2-dispatcher-assigned")

    # 3. Technician (phone): depart, check in, fill the completion report (fault, cause, action,
    #    the 1+5 checklist, the customer's signature).
    tech = new_page(PHONE)
    login(tech, "technician", PASSWORD)
    tech.goto("/orders/jobs/")
    card = f"article[data-job='{number}']"
    tech.click(f"{card} [data-action=depart]")
    tech.click(f"{card} [data-action=check_in]")
    tech.click(f"{card} [data-action=complete]")
    tech.wait_for_url(f"**/orders/{order.pk}/complete/")
    tech.select_option("select[name=lines-0-fault_code]", str(world.fault_easy.pk))
    tech.fill("[name=lines-0-cause]", "冷凝器积灰，冷媒不足")
    tech.fill("[name=lines-0-action]", "清洗冷凝器，补充冷媒")
    for item in "ABCDE":
        tech.check(f"[data-check={item}] input[value=done]")
    draw_signature(tech)
    screenshot(tech, "loop-3-technician-phone")
    tech.click("[data-submit=complete]")
    tech.wait_for_url("**/orders/jobs/")
    tech.wait_for_selector("[data-completed-today]")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.checked_in_at is not None
    assert order.first_time_fix is True

    # 4. Callback agent (laptop): the customer is very satisfied → the order closes.
    callback = new_page(LAPTOP)
    login(callback, "callback_agent", PASSWORD)
    callback.goto("/callbacks/")
    callback.click(f"tr[data-order-number='{number}'] a[data-action=record_callback]")
    callback.check("[data-callback-form] input[name=satisfaction][value=very_satisfied]")
    callback.click("[data-callback-form] [data-submit=record_callback]")
    callback.goto(f"/orders/{order.pk}/")
    callback.wait_for_selector(f"[data-status={OrderStatus.CLOSED}]")
    badge = callback.inner_text(f"[data-status={OrderStatus.CLOSED}]")
    assert badge == "已关闭"
    screenshot(callback, "loop-4-closed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.satisfaction == "very_satisfied"


def test_illegal_step_shows_a_translated_error_and_changes_nothing(world, new_page):
    order = world.order()
    from anxin.orders.workflow.services import order_transition

    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    page = new_page(LAPTOP)
    login(page, "dispatcher", PASSWORD)
    page.goto(f"/orders/{order.pk}/")
    version = page.get_attribute("h1[data-order-number]", "data-order-version")
    # Someone else cancels meanwhile: the dispatcher's stale form must be refused.
    order_transition(order_id=order.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    page.evaluate(
        """([url, version]) => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
        const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
        for (const [k, v] of [['csrfmiddlewaretoken', csrf], ['expected_version', version]]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""",
        [f"/orders/{order.pk}/actions/confirm/", version],
    )
    error = page.wait_for_selector(".alert-error[data-error-code]")
    assert error.get_attribute("data-error-code") in ("stale_version", "invalid_transition")
    assert "请" in error.inner_text() or "无法" in error.inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
