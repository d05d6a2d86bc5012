"""Complaints in Chromium: the quality specialist files a complaint on an order and resolves it;
the order's printable slip downloads as a PDF with the order number in its text."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.urls import reverse

from anxin.complaints.models import Complaint
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quality_files_a_complaint_on_an_order_and_resolves_it(world, new_page):
    order = world.order()
    page = new_page(viewport=LAPTOP)
    login(page, "quality", PASSWORD)

    page.goto(f"{reverse('complaint_create')}?order={order.pk}")
    assert page.locator(f'[data-complaint-order="{order.number}"]').is_visible()
    page.select_option("select[name=severity]", "critical")
    page.select_option("select[name=category]", "timeliness")
    page.fill("textarea[name=description]", "约好上午，师傅下午才到")
    page.click('[data-submit="complaint"]')
    page.wait_for_url("**/complaints/*/")
    complaint = Complaint.objects.get()
    assert page.locator(f'h1[data-complaint-number="{complaint.number}"]').is_visible()
    assert page.locator('[data-complaint-status="open"]').first.is_visible()
    assert page.locator('[data-complaint-event="follow_up"]').is_visible()

    # Resolving without a root cause is refused, naming it.
    page.fill('[data-action-form="resolve"] textarea[name=resolution]', "已致歉，补偿延保一年")
    page.click('button[data-action="resolve"]')
    assert page.locator('[data-error-field="root_cause"]').is_visible()
    page.fill('[data-action-form="resolve"] textarea[name=resolution]', "已致歉，补偿延保一年")
    page.select_option('[data-action-form="resolve"] select[name=root_cause]', "late_visit")
    page.select_option('[data-action-form="resolve"] select[name=responsible_party]', "outlet")
    page.click('button[data-action="resolve"]')
    page.wait_for_selector('[data-complaint-status="resolved"]')
    assert page.locator('[data-complaint-root-cause="late_visit"]').is_visible()
    screenshot(page, "complaint-resolved")
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.responsible_party == "outlet"

    # The order's slip prints (A5) with the order number as real text.
    response = page.request.get(f"{reverse('order_slip', args=[order.pk])}?size=a5")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.body())).pages)
    assert order.number in text
