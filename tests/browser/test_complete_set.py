"""Issue 4 acceptance in Chromium: a complete-set install order (成套服务) of 3 appliances goes from
creation to closed — agent registers it, dispatcher assigns, technician on a phone departs, checks in
and fills the completion report (3 lines, the 1+5 checklist, the customer's signature drawn on the
pad), the callback agent records the callback, the order closes; the printed slip is a PDF that
names the order and the 1+5 services."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from anxin.catalog.models import FaultCode, LabourItem, ProductCategory, ProductModel
from anxin.customers.services import appliance_add
from anxin.orders.choices import OrderStatus, OrderType
from anxin.orders.models import CompletionReport, WorkOrder
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, PHONE, draw_signature, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _complete_set_customer(world):
    """A customer who bought an air conditioner, a fridge and a washing machine two days ago."""
    fridge = ProductCategory.objects.create(code="RF", name="冰箱")
    washer = ProductCategory.objects.create(code="WM", name="洗衣机")
    models = [
        world.model,
        ProductModel.objects.create(category=fridge, code="BCD-470WDPG", name="对开门冰箱"),
        ProductModel.objects.create(category=washer, code="EG100HB", name="滚筒洗衣机"),
    ]
    FaultCode.objects.create(category=fridge, code="RF-E2", name="不制冷", difficulty=1)
    LabourItem.objects.create(code="L-INSTALL", name="安装调试", price=Decimal("120.00"))
    world.technician.skills.add(fridge, washer)
    customer = world.customer(name="刘建国", phone="13906661234", address="浙江省杭州市西湖区文三路100号5幢")
    bought = timezone.localdate() - timedelta(days=2)
    appliances = [
        appliance_add(actor=world.agent, customer=customer, product_model=m, serial=f"SET-{i + 1:03d}", purchase_date=bought)
        for i, m in enumerate(models)
    ]
    return customer, appliances


def test_complete_set_install_from_creation_to_closed_with_checklist_signature_and_slip(world, new_page):
    customer, appliances = _complete_set_customer(world)

    # 1. Agent (laptop): one install order for the whole set.
    agent = new_page(LAPTOP)
    login(agent, "agent", PASSWORD)
    agent.goto(f"/orders/new/?customer={customer.pk}")
    agent.select_option("[data-order-create] select[name=order_type]", OrderType.INSTALL)
    start = timezone.now() + timedelta(hours=3)
    agent.fill("input[name=appointment_start]", _local(start))
    agent.fill("input[name=appointment_end]", _local(start + timedelta(hours=3)))
    for a in appliances:
        agent.check(f"input[name=appliance_id][value='{a.pk}']")
    agent.click("[data-submit=order_create]")
    number = agent.wait_for_selector("h1[data-order-number]").get_attribute("data-order-number")
    order = WorkOrder.objects.get(number=number)
    assert order.order_type == OrderType.INSTALL and order.lines.count() == 3
    assert order.status == OrderStatus.ROUTED and order.outlet == world.outlet

    # 2. Dispatcher (laptop): one dispatch for the set.
    dispatcher = new_page(LAPTOP)
    login(dispatcher, "dispatcher", PASSWORD)
    dispatcher.goto(f"/orders/{order.pk}/")
    dispatcher.click("[data-actions] [data-action=assign]")
    dispatcher.select_option("dialog#action-assign select[name=technician]", str(world.technician.pk))
    dispatcher.click("dialog#action-assign [data-submit=assign]")
    dispatcher.wait_for_selector(f"[data-status={OrderStatus.ASSIGNED}]")

    # 3. Technician (phone): depart, check in, then the completion report.
    tech = new_page(PHONE)
    login(tech, "technician", PASSWORD)
    tech.goto("/orders/jobs/")
    card = f"article[data-job='{number}']"
    tech.click(f"{card} [data-action=depart]")
    tech.click(f"{card} [data-action=check_in]")
    tech.click(f"{card} [data-action=complete]")  # the job card opens the completion report
    tech.wait_for_url(f"**/orders/{order.pk}/complete/")
    assert tech.locator("[data-line-card]").count() == 3
    assert tech.locator("[data-warranty=in]").count() == 3
    actions = ["挂机安装，打孔走管，抽真空试机", "冰箱就位调平，通电试运行", "拆除运输螺栓，接进排水管，试洗"]
    for i, text in enumerate(actions):
        tech.fill(f"textarea[name=lines-{i}-action]", text)
    tech.select_option("select[name=lines-0-labour-0-item]", label="L-INSTALL 安装调试 · ¥120.00")
    draw_signature(tech)
    assert tech.input_value("input[name=signature]").startswith("data:image/png;base64,")
    # First try without the checklist: refused, every item named next to its row, nothing lost.
    tech.click("[data-submit=complete]")
    tech.wait_for_selector("[data-field-error='checklist.A']")
    assert tech.locator("[data-field-error^='checklist.']").count() == 5
    assert tech.input_value("textarea[name=lines-1-action]") == actions[1]
    assert tech.input_value("input[name=signature]").startswith("data:image/png;base64,")
    for item in "ABCE":
        tech.check(f"[data-check={item}] input[value=done]")
    tech.check("[data-check=D] input[value=na]")
    tech.fill("input[name=checklist-D-reason]", "客户家中无其他本品牌家电")
    screenshot(tech, "complete-set-1-report-phone")
    tech.click("[data-submit=complete]")
    tech.wait_for_url("**/orders/jobs/")
    assert number in tech.inner_text(".content")  # the success message names the order
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    report = CompletionReport.objects.get(order=order)
    assert report.checklist["A"]["done"] and report.checklist["D"] == {"done": False, "reason": "客户家中无其他本品牌家电"}
    png = report.signature.file.read()
    assert png.startswith(b"\x89PNG") and len(png) > 1000  # the strokes, not an empty pad
    assert [line.resolution for line in order.lines.order_by("id")] == actions
    assert order.lines.order_by("id").first().labour.get().charged == 0  # new appliances: in warranty

    # 4. Callback agent (laptop): very satisfied → the order closes.
    callback = new_page(LAPTOP)
    login(callback, "callback_agent", PASSWORD)
    callback.goto("/callbacks/")
    callback.click(f"tr[data-order-number='{number}'] a[data-action=record_callback]")
    callback.check("[data-callback-form] input[name=satisfaction][value=very_satisfied]")
    callback.click("[data-callback-form] [data-submit=record_callback]")
    callback.goto(f"/orders/{order.pk}/")
    callback.wait_for_selector(f"[data-status={OrderStatus.CLOSED}]")
    screenshot(callback, "complete-set-2-closed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED

    # 5. The printed slip (A4 and A5): a PDF naming the order and the 1+5 services.
    from pypdf import PdfReader

    for size in ("a4", "a5"):
        response = callback.request.get(f"/orders/{order.pk}/slip.pdf?size={size}")
        assert response.status == 200, response.status
        assert response.headers["content-type"] == "application/pdf"
        body = response.body()
        assert body.startswith(b"%PDF")
        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        assert number in text and "1+5" in text, text[:500]
    # The signature the customer drew is served back to whoever sees the order.
    signature = callback.request.get(f"/orders/attachments/{report.signature.pk}/")
    assert signature.status == 200 and signature.headers["content-type"] == "image/png"
    assert base64.b64encode(signature.body()) == base64.b64encode(png)
