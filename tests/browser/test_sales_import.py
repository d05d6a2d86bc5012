"""Dealer sale registration and the customer import, in Chromium (Chinese UI)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from anxin.imports.models import ImportJob
from anxin.imports.services import HEADERS
from anxin.sales.models import SaleRegistration
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, PHONE, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dealer_registers_a_sale_with_an_added_row(world, new_page):
    page = new_page(PHONE)
    login(page, "dealer", PASSWORD)
    page.goto("/sales/new/")
    page.fill("input[name=customer_name]", "陈静")
    page.fill("input[name=phone]", "139 5555 6666")
    page.fill("input[name=address]", "浙江省杭州市西湖区文三路100号")
    page.fill("input[name=purchase_date]", "2026-01-05")
    page.select_option("select[name=items-0-product_model]", str(world.model.pk))
    page.fill("input[name=items-0-quantity]", "1")
    page.fill("textarea[name=items-0-serials]", "SN-1\nSN-2")  # two serials for one unit: an error
    page.click("[data-add-item]")
    page.select_option("select[name=items-5-product_model]", str(world.model.pk))
    page.click("[data-sale-form] button[type=submit]")
    page.wait_for_selector('[data-item-row="0"].has-error')
    screenshot(page, "sale-form-errors-phone")
    assert not SaleRegistration.objects.exists()
    page.fill("input[name=items-0-quantity]", "2")
    page.click("[data-sale-form] button[type=submit]")
    page.wait_for_selector("[data-sale-list]")
    screenshot(page, "sale-list-phone")
    sale = SaleRegistration.objects.get()
    assert sale.appliances.count() == 3 and sale.order.lines.count() == 3


def test_import_shows_the_result_and_the_error_report_link(world, new_page, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["王芳", "13900001111", "", "浙江省杭州市西湖区文三路10号", "", "KFR-35GW", "SN-100", "2025-05-01", "", "", "", ""])
    sheet.append(["刘洋", "12345", "", "", "", "", "", "", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / "customers.xlsx"
    path.write_bytes(out.getvalue())

    page = new_page(LAPTOP)
    login(page, "agent", PASSWORD)
    page.goto("/imports/customers/")
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-import-form] button[type=submit]")
    page.wait_for_selector('[data-job-progress="rejected"]')
    assert "手机" in page.inner_text("[data-import-errors]")
    screenshot(page, "import-rejected-laptop")
    assert ImportJob.objects.get().error_count == 2
