"""The technician's job list refreshes itself in Chromium with conditional GETs (decision 0048): the
browser revalidates its copy of the list (If-None-Match), the server answers 304 without building it
while nothing changed, and a new job appears on the next refresh."""

from __future__ import annotations

import pytest

from anxin.orders.views import detail
from anxin.orders.workflow.services import order_transition
from anxin.testing import PASSWORD
from tests.browser.conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFRESH = "htmx.trigger(document.body, 'anxin:jobs-changed')"  # what the 30 s timer does, now


def _assign(world, **customer):
    order = world.order(customer=world.customer(**customer)) if customer else world.order()
    return order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})


def test_the_job_list_refreshes_with_conditional_gets(world, new_page, monkeypatch):
    first = _assign(world)
    built = []
    original = detail._jobs_context

    def counting(request, **kwargs):
        built.append(request.GET.get("part", "page"))
        return original(request, **kwargs)

    monkeypatch.setattr(detail, "_jobs_context", counting)
    tech = new_page(PHONE)
    login(tech, "technician", PASSWORD)
    tech.goto("/orders/jobs/")
    tech.wait_for_selector(f"article[data-job='{first.number}']")
    assert built == ["page"]

    def refresh():
        with tech.expect_response(lambda r: "part=list" in r.url) as answer:
            tech.evaluate(REFRESH)
        answer.value.finished()
        tech.wait_for_selector("#jobs-live:not(.htmx-request)")
        return answer.value

    refresh()  # the list's first refresh: the browser has no copy of it yet
    assert built == ["page", "list"]
    again = refresh()
    assert "if-none-match" in again.request.all_headers()  # the browser revalidates its copy…
    assert built == ["page", "list"]  # …and the server answered 304 without building the list
    assert tech.locator(f"article[data-job='{first.number}']").count() == 1  # the cached list is shown

    second = _assign(world, name="周杰", phone="13700001234")
    refresh()
    assert built == ["page", "list", "list"]
    tech.wait_for_selector(f"article[data-job='{second.number}']")
    assert tech.locator("article[data-job]").count() == 2
