"""Home dashboards: every persona gets one, figures are counted in scope, queries stay few."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anxin.dashboards import selectors
from anxin.orders.models import WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition

HOME = reverse("home")


def _tiles(response) -> dict[str, str]:
    return {t.key: t.value for t in response.context["tiles"]}


def test_every_persona_gets_a_dashboard(client, world):
    world.order()
    for name, user in world.users.items():
        client.force_login(user)
        response = client.get(HOME)
        assert response.status_code == 200, name
        assert response.context["tiles"], name
        page = response.content.decode()
        if not response.context["chart"]["empty"]:
            assert 'id="dash-chart-data"' in page and "vendor/echarts.min.js" in page, name
        # Every script and stylesheet is served locally (no CDN): no absolute asset URLs.
        assert not re.search(r'(src|href)="(https?:)?//', page), name


def test_agent_dashboard_has_search_and_new_customer(client, world):
    client.force_login(world.agent)
    page = client.get(HOME).content.decode()
    assert "data-search" in page
    assert f'action="{reverse("customer_list")}"' in page and 'name="q"' in page
    assert f'href="{reverse("customer_create")}"' in page


def test_technician_dashboard_links_my_jobs(client, world):
    client.force_login(world.users["technician"])
    page = client.get(HOME).content.decode()
    assert f'href="{reverse("technician_jobs")}" data-my-jobs' in page
    assert client.get(HOME).context["chart"]["kind"] == "status"


def test_dealer_dashboard_counts_its_registered_customers(client, world):
    dealer = world.users["dealer"]
    world.customer(name="甲", phone="13811110001", actor=dealer)
    world.customer(name="乙", phone="13811110002", actor=dealer, registered_by=world.dealer)
    world.customer(name="丙", phone="13811110003")  # registered by the hotline: not the dealer's
    client.force_login(dealer)
    assert _tiles(client.get(HOME))["registered_customers"] == "2"


def test_figures_are_scoped(world):
    world.order()  # routed to world.outlet
    nanjing = world.customer(name="陈静", phone="13955556666", address="江苏省南京市玄武区中山路1号")
    world.order(customer=nanjing)  # routed to the other outlet
    assert selectors.order_figures(user=world.hq_manager).open == 2
    assert selectors.order_figures(user=world.region_director).open == 1
    assert selectors.order_figures(user=world.dispatcher).to_accept == 1
    assert selectors.order_figures(user=world.outsider_dispatcher).to_accept == 1
    assert selectors.order_figures(user=world.users["technician"]).open == 0
    assert selectors.order_figures(user=world.users["dealer"]).open == 0


def test_overdue_completed_callbacks_and_satisfaction(world):
    late = world.order()
    WorkOrder.objects.filter(pk=late.pk).update(visit_deadline=timezone.now() - timedelta(hours=1))
    done = world.order(fault=world.fault_easy)
    tech = world.users["technician"]
    order_transition(order_id=done.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=done.pk, action="check_in", actor=tech)
    order_transition(order_id=done.pk, action="complete", actor=tech, data=minimal_report(done))
    rated = world.order()
    WorkOrder.objects.filter(pk=rated.pk).update(status="closed", satisfaction="very_satisfied", completed_at=timezone.now())

    f = selectors.order_figures(user=world.dispatcher)
    assert f.overdue == 1
    assert f.completed_today == 2
    assert f.callbacks_pending == 1
    assert (f.rated, f.very_satisfied, f.very_satisfied_rate) == (1, 1, 1.0)
    assert selectors.order_figures(user=tech).completed_today == 1

    trend = selectors.order_trend(user=world.dispatcher)
    assert len(trend["days"]) == 14 and trend["created"][-1] == 3 and trend["completed"][-1] == 2
    assert dict(selectors.orders_by_status(user=world.dispatcher)) == {"routed": 1, "completed": 1}


def test_very_satisfied_rate_is_blank_without_ratings(client, world):
    client.force_login(world.hq_manager)
    assert _tiles(client.get(HOME))["very_satisfied"] == "—"


def test_chart_data_is_passed_as_json(client, world):
    world.order()
    client.force_login(world.hq_manager)
    response = client.get(HOME)
    page = response.content.decode()
    tag = '<script id="dash-chart-data" type="application/json">'
    start = page.index(tag) + len(tag)
    data = json.loads(page[start : page.index("</script>", start)])
    assert data["kind"] == "trend" and data["series"][0]["data"][-1] == 1


@pytest.mark.parametrize("persona", ["hq_manager", "dispatcher", "technician", "dealer"])
def test_dashboard_queries_are_few_and_fixed(client, world, persona):
    client.force_login(world.users[persona])
    client.get(HOME)
    with CaptureQueriesContext(connection) as before:
        client.get(HOME)
    for i in range(3):
        world.order(customer=world.customer(name=f"客户{i}", phone=f"1381111000{i}"))
    with CaptureQueriesContext(connection) as after:
        client.get(HOME)
    assert len(after) == len(before) <= 8
