"""The Content-Security-Policy in Chromium (decision 0034): injected script does not run, the
collector of the ``new_page`` fixture sees every refusal, and the behaviours that used to be inline
(language switch, select-all, return-kind field, tag colours) work from the static files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anxin.customers.models import Tag
from anxin.testing import PASSWORD
from tests.browser.conftest import LAPTOP, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECT = """() => new Promise(function (resolve) {
  var seen = [];
  document.addEventListener("securitypolicyviolation", function (e) {
    seen.push(e.effectiveDirective);
    if (seen.length === 3) resolve(seen.sort());
  });
  document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__pwned = 1">');
  var script = document.createElement("script");
  script.textContent = "window.__pwned = 2";
  document.body.appendChild(script);
  document.body.insertAdjacentHTML("beforeend", '<p id="restyled" style="color: rgb(255, 0, 0)">x</p>');
})"""


def test_injected_script_and_style_are_refused_and_reported(world, new_page):
    page = new_page(LAPTOP)
    page.goto("/accounts/login/")
    assert new_page.violations == []  # the page itself needs nothing the policy refuses
    directives = page.evaluate(INJECT)
    assert directives == ["script-src-attr", "script-src-elem", "style-src-attr"]
    assert page.evaluate("window.__pwned") is None
    assert page.eval_on_selector("#restyled", "el => getComputedStyle(el).color") != "rgb(255, 0, 0)"
    new_page.settle()
    assert len([v for v in new_page.violations if "CSP violation:" in v]) == 3
    new_page.violations.clear()  # provoked on purpose


def test_behaviours_moved_out_of_inline_code_still_work(world, new_page):
    customer = world.customer(name="王芳", phone="13912345678")
    customer.tags.add(Tag.objects.create(name="高端", colour="#d97706"))
    world.order(customer=customer)

    agent = new_page(LAPTOP)
    login(agent, "agent", PASSWORD)
    chart = agent.wait_for_selector("[data-chart] canvas")  # ECharts on the dashboard
    chart.hover()  # its tooltip too
    agent.goto(reverse("customer_detail", args=[customer.pk]))
    assert agent.eval_on_selector("[data-tag]", "el => getComputedStyle(el).backgroundColor") == "rgb(217, 119, 6)"
    agent.goto(f"{reverse('order_create')}?customer={customer.pk}")
    field = agent.locator("[data-return-kind-field]")
    assert field.is_hidden()
    agent.select_option("select[name=order_type]", "return_exchange")
    assert field.is_visible()
    agent.select_option("select[name=order_type]", "repair")
    assert field.is_hidden()
    agent.select_option("select[name=language]", "en")  # submits on change
    agent.wait_for_function("document.documentElement.lang === 'en'")

    dispatcher = new_page(LAPTOP)
    login(dispatcher, "dispatcher", PASSWORD)
    dispatcher.goto(reverse("order_list"))
    dispatcher.check("[data-bulk-all]")
    boxes = dispatcher.locator("[data-bulk-id]")
    assert boxes.count() >= 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
