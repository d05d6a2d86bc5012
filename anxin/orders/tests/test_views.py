"""Work-order pages: scoping, the action guard, refused actions changing nothing, new order, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anxin.core.models import ActivityLog
from anxin.customers.services import appliance_add
from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.sla.clocks import AT_RISK, BREACHED, ON_TRACK, sla_state
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import available_actions
from anxin.orders.worklist.selectors import order_list

NANJING = "江苏省南京市玄武区中山路1号"


def numbers_on(response) -> set[str]:
    return set(re.findall(r'data-order-number="([^"]+)"', response.content.decode()))


def actions_on(response) -> set[str]:
    return set(re.findall(r'data-action="([^"]+)"', response.content.decode()))


def act(client, order, action, **data):
    data.setdefault("expected_version", order.version)
    return client.post(reverse("order_action", args=[order.pk, action]), data)


@pytest.fixture
def two_orders(world):
    """One order routed to the Hangzhou outlet, one to the Nanjing outlet."""
    hangzhou = world.order()
    nanjing = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    assert hangzhou.outlet == world.outlet and nanjing.outlet == world.other_outlet
    return hangzhou, nanjing


# --- queue ---------------------------------------------------------------------------------


def test_queue_shows_exactly_the_orders_in_scope(client, world, two_orders):
    hangzhou, nanjing = two_orders
    order_transition(order_id=hangzhou.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    expected = {
        "dispatcher": {hangzhou.number},
        "outsider_dispatcher": {nanjing.number},
        "technician": {hangzhou.number},
        "senior": set(),
        "hq_manager": {hangzhou.number, nanjing.number},
        "region_director": {hangzhou.number},
    }
    for persona, numbers in expected.items():
        client.force_login(world.users[persona])
        response = client.get(reverse("order_list"))
        assert response.status_code == 200
        assert numbers_on(response) == numbers, persona


def test_queue_filters_and_sorting(client, world, two_orders):
    hangzhou, nanjing = two_orders
    client.force_login(world.hq_manager)
    url = reverse("order_list")
    assert numbers_on(client.get(url, {"outlet": world.other_outlet.pk})) == {nanjing.number}
    assert numbers_on(client.get(url, {"status": "routed", "order_type": "repair"})) == {hangzhou.number, nanjing.number}
    assert numbers_on(client.get(url, {"status": "closed"})) == set()
    assert numbers_on(client.get(url, {"vip": "1"})) == set()
    assert numbers_on(client.get(url, {"q": "李雷"})) == {nanjing.number}
    today = timezone.localdate()
    assert numbers_on(client.get(url, {"created_from": today, "created_to": today})) == {hangzhou.number, nanjing.number}
    assert numbers_on(client.get(url, {"created_to": today - timedelta(days=1)})) == set()
    for sort in ("number", "-customer", "status", "-sla", "outlet", "technician", "appointment", "-created", "bogus"):
        assert client.get(url, {"sort": sort}).status_code == 200
    # Garbage in the filters is ignored, never a server error.
    assert client.get(url, {"outlet": "x", "created_from": "yesterday", "page": "999"}).status_code == 200


def test_sla_state_in_sql_matches_python(world):
    now = timezone.now()
    cases = {
        ON_TRACK: (now - timedelta(hours=1), now + timedelta(hours=23)),
        AT_RISK: (now - timedelta(hours=20), now + timedelta(hours=4)),
        BREACHED: (now - timedelta(hours=30), now - timedelta(hours=6)),
    }
    orders = {}
    for state, (created, deadline) in cases.items():
        order = world.order()
        # No stored "at risk" moment: the clock falls back to the 25 %-of-the-span rule.
        WorkOrder.objects.filter(pk=order.pk).update(created_at=created, visit_deadline=deadline, visit_risk_at=None)
        orders[state] = order.pk
    for state, pk in orders.items():
        row = order_list(user=world.hq_manager, now=now).get(pk=pk)
        assert row.sla_state == state == sla_state(row, now)
        assert {o.pk for o in order_list(user=world.hq_manager, sla=state, now=now)} == {pk}
    # Urgency puts the breached order first, then the one at risk.
    ranked = [o.pk for o in order_list(user=world.hq_manager, sort="urgency", now=now)]
    assert ranked == [orders[BREACHED], orders[AT_RISK], orders[ON_TRACK]]
    # Once the technician is on site the visit clock stops.
    breached = WorkOrder.objects.get(pk=orders[BREACHED])
    WorkOrder.objects.filter(pk=breached.pk).update(checked_in_at=now)
    assert order_list(user=world.hq_manager, now=now).get(pk=breached.pk).sla_state == ""


def test_queue_has_no_n_plus_one(client, world):
    client.force_login(world.hq_manager)
    url = reverse("order_list")
    client.get(url)  # fills the identity cache (session, user: decision 0050)

    def queries_for(total):
        while WorkOrder.objects.count() < total:
            order = world.order()
            order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert len(numbers_on(response)) == total
        return len(ctx.captured_queries)

    assert queries_for(3) == queries_for(15)


# --- export --------------------------------------------------------------------------------


def test_export_is_scoped_masked_and_logged(client, world, two_orders):
    hangzhou, nanjing = two_orders
    client.force_login(world.dispatcher)
    response = client.get(reverse("order_export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == [hangzhou.number]
    assert nanjing.number not in text
    assert "文三路90号" not in text and "13812345678" not in text
    assert "西湖区****" in text
    log = ActivityLog.objects.get(action="orders.export")
    assert log.actor == world.dispatcher and log.detail["rows"] == 1 and log.detail["format"] == "csv"


def test_excel_export_matches_the_csv(client, world, two_orders):
    from openpyxl import load_workbook

    client.force_login(world.hq_manager)
    response = client.get(reverse("order_export"), {"format": "xlsx", "outlet": world.outlet.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in values[1:]] == [two_orders[0].number]
    assert all("文三路90号" not in str(cell) for row in values for cell in row)


@pytest.mark.parametrize("persona", ["technician", "callback_agent", "dealer", "settlement"])
def test_export_is_refused_to_other_roles(client, world, persona):
    client.force_login(world.users[persona])
    assert client.get(reverse("order_export"), {"format": "csv"}).status_code == 403
    assert not ActivityLog.objects.filter(action="orders.export").exists()


# --- order page ------------------------------------------------------------------------------


def test_order_page_out_of_scope_is_404(client, world, two_orders):
    hangzhou, nanjing = two_orders
    for persona in ("outsider_dispatcher", "outsider_director", "outsider_technician", "technician", "dealer"):
        client.force_login(world.users[persona])
        assert client.get(reverse("order_detail", args=[hangzhou.pk])).status_code == 404, persona
    client.force_login(world.dispatcher)
    response = client.get(reverse("order_detail", args=[hangzhou.pk]))
    assert response.status_code == 200
    assert f'data-order-number="{hangzhou.number}"' in response.content.decode()
    assert client.get(reverse("order_detail", args=[nanjing.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["dispatcher", "agent", "hq_manager", "region_director", "callback_agent", "quality"])
def test_action_buttons_are_exactly_the_available_actions(client, world, persona):
    order = world.order()
    user = world.users[persona]
    client.force_login(user)
    response = client.get(reverse("order_detail", args=[order.pk]))
    assert actions_on(response) == {t.action for t in available_actions(order, user)}


def test_action_buttons_follow_the_order_through_the_loop(client, world):
    order = world.order()
    tech = world.users["technician"]
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(tech)
    assert actions_on(client.get(reverse("order_detail", args=[order.pk]))) == {"confirm", "depart", "check_in", "resolve_by_phone"}
    order = order_transition(order_id=order.pk, action="check_in", actor=tech)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert actions_on_html(html) == {"complete", "pending_parts", "revisit"}  # no install refusal on a repair
    # Completing is the completion report's page, not a dialog.
    assert f'href="{reverse("order_complete", args=[order.pk])}" data-action="complete"' in html
    order = order_transition(order_id=order.pk, action="complete", actor=tech, data=minimal_report(order))
    assert actions_on(client.get(reverse("order_detail", args=[order.pk]))) == set()
    client.force_login(world.callback_agent)
    assert actions_on(client.get(reverse("order_detail", args=[order.pk]))) == {"record_callback"}


def test_order_page_shows_lines_timeline_and_masked_contact(client, world):
    order = world.order(fault=world.fault_easy)
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(world.region_director)  # not a contact role: masked
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "KFR-35GW" in html and "AC-E1" in html and "不制冷" in html
    assert 'data-timeline-status="assigned"' in html and 'data-timeline-status="routed"' in html
    assert "李师傅" in html  # the technician change, resolved to a name
    assert "138****5678" in html and "13812345678" not in html
    assert "文三路90号" not in html
    client.force_login(world.dispatcher)  # outlet staff talk to the customer: full contact
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "13812345678" in html and "文三路90号" in html


def test_assign_dialog_offers_eligible_technicians_and_explains_the_others(client, world):
    order = world.order(fault=world.fault_hard)
    client.force_login(world.dispatcher)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert f'<option value="{world.senior_technician.pk}">' in html
    assert f'<option value="{world.technician.pk}" disabled>' in html
    assert f'data-ineligible-technician="{world.technician.pk}"' in html


def test_illegal_action_is_409_and_changes_nothing(client, world):
    order = world.order()
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(world.users["technician"])
    response = act(client, order, "complete", fault_code=world.fault_easy.pk)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-error-code="invalid_transition"' in html
    assert f'data-order-number="{order.number}"' in html
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.version, fresh.completed_at) == (OrderStatus.ASSIGNED, order.version, None)
    assert fresh.status_changes.count() == order.status_changes.count()


def test_stale_version_is_409_and_changes_nothing(client, world):
    order = world.order()
    client.force_login(world.dispatcher)
    response = act(client, order, "accept", expected_version=order.version - 1)
    assert response.status_code == 409
    assert 'data-error-code="stale_version"' in response.content.decode()
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.version) == (OrderStatus.ROUTED, order.version)


def test_assigning_an_ineligible_technician_is_400_and_changes_nothing(client, world):
    order = world.order(fault=world.fault_hard)
    client.force_login(world.dispatcher)
    response = act(client, order, "assign", technician=world.technician.pk)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-code="technician_not_eligible"' in html
    assert "data-open-on-load" in html  # the assign dialog reopens with the field error
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.technician_id, fresh.version) == (OrderStatus.ROUTED, None, order.version)


def test_missing_data_is_400_naming_the_field(client, world):
    order = world.order()
    client.force_login(world.dispatcher)
    response = act(client, order, "reject")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-code="invalid"' in html and 'data-error-field="reason"' in html
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.ROUTED
    # A form without the version it was rendered from is refused too.
    response = client.post(reverse("order_action", args=[order.pk, "accept"]), {})
    assert response.status_code == 400
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.ROUTED


def test_actions_out_of_scope_or_unknown(client, world, two_orders):
    hangzhou, _nanjing = two_orders
    client.force_login(world.outsider_dispatcher)
    assert act(client, hangzhou, "accept").status_code == 404
    client.force_login(world.dispatcher)
    assert act(client, hangzhou, "teleport").status_code == 400
    assert client.get(reverse("order_action", args=[hangzhou.pk, "accept"])).status_code == 405
    client.force_login(world.agent)
    assert act(client, hangzhou, "assign", technician=world.technician.pk).status_code == 403
    assert WorkOrder.objects.get(pk=hangzhou.pk).status == OrderStatus.ROUTED


def test_successful_action_redirects_back_with_a_message(client, world):
    order = world.order()
    client.force_login(world.dispatcher)
    response = act(client, order, "assign", technician=world.technician.pk)
    assert response.status_code == 302 and response["Location"] == reverse("order_detail", args=[order.pk])
    page = client.get(response["Location"]).content.decode()
    assert "alert-success" in page
    assert WorkOrder.objects.get(pk=order.pk).technician == world.technician


def test_reject_takes_the_order_out_of_the_outlets_queue(client, world):
    order = world.order()
    client.force_login(world.dispatcher)
    response = act(client, order, "reject", reason="区域外")
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.REJECTED
    assert WorkOrder.objects.get(pk=order.pk).status_changes.last().reason == "区域外"


# --- new order -----------------------------------------------------------------------------


def _new_order_form(world, customer, appliance, **extra):
    start = timezone.localtime() + timedelta(days=1)
    data = {
        "customer": customer.pk,
        "address": customer.addresses.get().pk,
        "order_type": "repair",
        "priority": "normal",
        "description": "",
        "appointment_start": start.strftime("%Y-%m-%dT%H:%M"),
        "appointment_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "appliance_id": [appliance.pk],
        f"symptom_{appliance.pk}": "不制冷",
        f"fault_code_id_{appliance.pk}": "",
    }
    data.update(extra)
    return data


@pytest.fixture
def customer_with_appliance(world):
    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent,
        customer=customer,
        product_model=world.model,
        serial="SN-9",
        purchase_date=timezone.localdate() - timedelta(days=30),
    )
    return customer, appliance


def test_new_order_form_shows_the_customers_appliances_with_warranty(client, world, customer_with_appliance):
    customer, appliance = customer_with_appliance
    client.force_login(world.agent)
    response = client.get(reverse("order_create"), {"customer": customer.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-appliance-id="{appliance.pk}"' in html and 'data-warranty="in"' in html
    assert f'name="symptom_{appliance.pk}"' in html and f'name="fault_code_id_{appliance.pk}"' in html


def test_new_order_creates_routes_and_redirects(client, world, customer_with_appliance):
    customer, appliance = customer_with_appliance
    client.force_login(world.agent)
    data = _new_order_form(world, customer, appliance, **{f"fault_code_id_{appliance.pk}": world.fault_easy.pk})
    response = client.post(f"{reverse('order_create')}?customer={customer.pk}", data)
    order = WorkOrder.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("order_detail", args=[order.pk])
    assert order.status == OrderStatus.ROUTED and order.outlet == world.outlet
    assert order.lines.get().fault_code == world.fault_easy and order.lines.get().in_warranty
    page = client.get(response["Location"]).content.decode()
    assert order.number in page and world.outlet.name in page and "alert-success" in page


def test_new_order_with_a_reversed_window_saves_nothing(client, world, customer_with_appliance):
    customer, appliance = customer_with_appliance
    client.force_login(world.agent)
    data = _new_order_form(world, customer, appliance)
    data["appointment_start"], data["appointment_end"] = data["appointment_end"], data["appointment_start"]
    response = client.post(reverse("order_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field-error="appointment_end"' in html
    assert f'name="symptom_{appliance.pk}" value="不制冷"' in html  # what was typed survives
    assert not WorkOrder.objects.filter(customer=customer).exists()


def test_new_order_without_appliance_or_with_foreign_fault(client, world, customer_with_appliance):
    customer, appliance = customer_with_appliance
    client.force_login(world.agent)
    data = _new_order_form(world, customer, appliance)
    data.pop("appliance_id")
    response = client.post(reverse("order_create"), data)
    assert response.status_code == 400 and 'data-field-error="lines"' in response.content.decode()
    from anxin.catalog.models import FaultCode, ProductCategory

    fridge = ProductCategory.objects.create(code="RF", name="冰箱")
    foreign = FaultCode.objects.create(category=fridge, code="RF-E1", name="不制冷", difficulty=1)
    data = _new_order_form(world, customer, appliance, **{f"fault_code_id_{appliance.pk}": foreign.pk})
    response = client.post(reverse("order_create"), data)
    assert response.status_code == 400 and 'data-field-error="line"' in response.content.decode()
    assert not WorkOrder.objects.filter(customer=customer).exists()


def test_new_order_requires_a_role_and_a_visible_customer(client, world, customer_with_appliance):
    customer, _appliance = customer_with_appliance
    client.force_login(world.users["technician"])
    assert client.get(reverse("order_create"), {"customer": customer.pk}).status_code == 403
    client.force_login(world.outsider_dispatcher)  # an outlet sees only customers of its own orders
    assert client.get(reverse("order_create"), {"customer": customer.pk}).status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("order_create")).status_code == 302


# --- technician's jobs and the whole loop through the pages ----------------------------------


def test_jobs_page_shows_own_open_jobs_with_the_next_step(client, world):
    mine = world.order()
    order_transition(order_id=mine.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    other = world.order()
    order_transition(order_id=other.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    client.force_login(world.users["technician"])
    html = client.get(reverse("technician_jobs")).content.decode()
    assert f'data-job="{mine.number}"' in html and f'data-job="{other.number}"' not in html
    assert actions_on_html(html) == {"depart"}
    assert "文三路90号" in html and "13812345678" in html  # full contact on own open jobs
    client.force_login(world.dispatcher)
    assert client.get(reverse("technician_jobs")).status_code == 403


def actions_on_html(html: str) -> set[str]:
    return set(re.findall(r'data-action="([^"]+)"', html))


def test_complete_without_fault_code_on_jobs_page_is_400(client, world):
    order = world.order()
    tech = world.users["technician"]
    order = order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order = order_transition(order_id=order.pk, action="check_in", actor=tech)
    client.force_login(tech)
    response = act(client, order, "complete", next=reverse("technician_jobs"))
    assert response.status_code == 400
    assert "data-jobs-summary" in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.ON_SITE


def test_full_loop_through_the_pages_ends_closed(client, world, customer_with_appliance):
    customer, appliance = customer_with_appliance
    # Agent registers the order from the customer.
    client.force_login(world.agent)
    client.post(reverse("order_create"), _new_order_form(world, customer, appliance))
    order = WorkOrder.objects.get(customer=customer)
    # Dispatcher assigns.
    client.force_login(world.dispatcher)
    assert act(client, order, "assign", technician=world.technician.pk).status_code == 302
    # Technician: depart → check in from My jobs; "complete" opens the completion report.
    tech = world.users["technician"]
    client.force_login(tech)
    jobs = reverse("technician_jobs")
    for step in ("depart", "check_in"):
        order.refresh_from_db()
        assert actions_on_html(client.get(jobs).content.decode()) == {step}
        response = act(client, order, step, next=jobs)
        assert response.status_code == 302 and response["Location"] == jobs, step
    page = client.get(jobs).content.decode()
    assert actions_on_html(page) == {"complete"}
    assert f'href="{reverse("order_complete", args=[order.pk])}"' in page
    assert 'data-side-step="pending_parts"' in page and 'data-side-step="revisit"' in page
    order.refresh_from_db()
    report = minimal_report(order)
    report["lines"][0]["action"] = "加氟"
    order_transition(order_id=order.pk, action="complete", actor=tech, data=report)
    page = client.get(jobs).content.decode()
    assert "data-completed-today>1<" in page
    # Callback agent: very satisfied closes the order.
    client.force_login(world.callback_agent)
    queue = client.get(reverse("callback_queue")).content.decode()
    assert f'data-order-number="{order.number}"' in queue
    order.refresh_from_db()
    response = client.post(
        reverse("callback_record", args=[order.pk]),
        {"satisfaction": "very_satisfied", "problem_solved": "on", "comment": "", "expected_version": order.version},
    )
    assert response.status_code == 302 and response["Location"] == reverse("callback_queue")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.satisfaction == "very_satisfied"
    assert order.status_changes.filter(action="complete").exists()
    assert f'data-order-number="{order.number}"' not in client.get(reverse("callback_queue")).content.decode()


def test_jobs_page_has_no_n_plus_one(client, world):
    tech = world.users["technician"]
    client.force_login(tech)
    client.get(reverse("technician_jobs"))  # fills the identity cache (decision 0050)

    def queries_for(total):
        while WorkOrder.objects.filter(technician=world.technician).count() < total:
            order = world.order(fault=world.fault_easy)
            order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("technician_jobs")).content.decode()
        assert html.count("data-job=") == total
        return len(ctx.captured_queries)

    assert queries_for(1) == queries_for(4)


# --- side states on the pages ------------------------------------------------------------------


def _dialog_html(html: str, action: str) -> str:
    start = html.index(f'<dialog id="action-{action}"')
    return html[start : html.index("</dialog>", start)]


def _on_site(world, **kw):
    order = world.order(**kw)
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    return order_transition(order_id=order.pk, action="check_in", actor=world.users["technician"])


def test_dialogs_ask_for_the_data_each_action_needs(client, world):
    from anxin.accounts.choices import OrgKind
    from anxin.accounts.models import OrgUnit

    second = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="拱墅特约网点")
    order = world.order()
    client.force_login(world.agent)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    reroute = _dialog_html(html, "reroute")
    assert 'name="outlet"' in reroute and 'name="reason"' in reroute
    assert f'value="{second.pk}"' in reroute and f'value="{world.outlet.pk}"' not in reroute  # not where it is now
    assert 'name="reason"' in _dialog_html(html, "resolve_by_phone") and 'name="reason"' in _dialog_html(html, "cancel")
    # A technician on an install: wait for parts, revisit, refuse the install with a hazard type.
    install = _on_site(world, order_type="install")
    client.force_login(world.users["technician"])
    html = client.get(reverse("order_detail", args=[install.pk])).content.decode()
    refuse = _dialog_html(html, "refuse_install")
    assert 'name="hazard_type"' in refuse and 'value="no_earth"' in refuse and 'value=""' in refuse
    assert 'name="reason"' in _dialog_html(html, "pending_parts") and 'name="reason"' in _dialog_html(html, "revisit")
    # Opening the page with ?action= opens that dialog (the jobs page links here).
    html = client.get(reverse("order_detail", args=[install.pk]), {"action": "pending_parts"}).content.decode()
    assert "data-open-on-load" in _dialog_html(html, "pending_parts")
    html = client.get(reverse("order_detail", args=[install.pk]), {"action": "approve"}).content.decode()
    assert "data-open-on-load" not in html


def test_refuse_install_through_the_page_and_revisit_with_a_window(client, world):
    order = _on_site(world, order_type="install")
    client.force_login(world.users["technician"])
    response = act(client, order, "refuse_install", reason="无接地")
    assert response.status_code == 400 and 'data-error-field="hazard_type"' in response.content.decode()
    response = act(client, order, "refuse_install", hazard_type="no_earth", reason="插座无接地")
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.hazard_type) == (OrderStatus.INSTALL_REFUSED, "no_earth")
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-hazard="no_earth"' in html
    schedule = _dialog_html(html, "schedule_revisit")
    assert 'name="appointment_start"' in schedule and "required" in schedule
    start = timezone.localtime() + timedelta(days=1)
    response = act(
        client,
        order,
        "schedule_revisit",
        appointment_start=start.strftime("%Y-%m-%dT%H:%M"),
        appointment_end=(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 400 and 'data-error-field="appointment_end"' in response.content.decode()
    assert "data-open-on-load" in _dialog_html(response.content.decode(), "schedule_revisit")
    response = act(
        client,
        order,
        "schedule_revisit",
        appointment_start=start.strftime("%Y-%m-%dT%H:%M"),
        appointment_end=(start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED
    assert timezone.localtime(order.appointment_start).strftime("%Y-%m-%dT%H:%M") == start.strftime("%Y-%m-%dT%H:%M")


def test_jobs_page_sends_pending_parts_to_the_window_dialog(client, world):
    order = _on_site(world)
    tech = world.users["technician"]
    order_transition(order_id=order.pk, action="pending_parts", actor=tech, data={"reason": "主板"})
    client.force_login(tech)
    html = client.get(reverse("technician_jobs")).content.decode()
    assert actions_on_html(html) == {"parts_arrived"}
    assert f'href="{reverse("order_detail", args=[order.pk])}?action=parts_arrived"' in html


def test_order_page_shows_approval_visits_and_first_time_fix(client, world):
    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=3)
    )
    order = world.order(customer=customer, appliance=appliance, order_type="return_exchange", return_kind="return")
    client.force_login(world.region_director)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-approval="pending"' in html and 'data-return-kind="return"' in html
    assert actions_on_html(html) == {"approve", "refuse", "cancel"}
    response = act(client, order, "approve")
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.outlet) == (OrderStatus.ROUTED, world.outlet)
    done = _on_site(world)
    done = order_transition(order_id=done.pk, action="complete", actor=world.users["technician"], data=minimal_report(done))
    html = client.get(reverse("order_detail", args=[done.pk])).content.decode()
    assert 'data-visits="1"' in html and 'data-first-time-fix="yes"' in html
    assert 'data-warranty-basis="policy"' in html


def test_new_order_page_shows_eligibility_and_refuses_a_late_return(client, world):
    from anxin.customers.contracts import contract_add

    customer = world.customer()
    fresh = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=20)
    )
    old = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=800)
    )
    today = timezone.localdate()
    contract_add(actor=world.agent, appliance=old, kind="extended_warranty", starts_on=today, ends_on=today + timedelta(days=365))
    client.force_login(world.agent)
    html = client.get(reverse("order_create"), {"customer": customer.pk}).content.decode()
    assert 'name="return_kind"' in html and "data-return-kind-field hidden" in html
    row = html[html.index(f'data-appliance-id="{fresh.pk}"') :]
    assert 'data-warranty-basis="policy"' in row[:3000]
    assert 'data-return-allowed="0" data-exchange-allowed="1"' in row[:3000]
    row = html[html.index(f'data-appliance-id="{old.pk}"') :]
    assert 'data-warranty-basis="contract"' in row[:3000]
    # A return 20 days after purchase: refused on the line, with the limit; nothing saved.
    data = _new_order_form(world, customer, fresh, order_type="return_exchange", return_kind="return")
    response = client.post(reverse("order_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "15" in html and 'data-field-error="line"' in html
    assert "data-return-kind-field hidden" not in html  # shown again for the chosen type
    assert not WorkOrder.objects.filter(customer=customer).exists()
    # An exchange is still allowed: created, waiting for approval.
    response = client.post(reverse("order_create"), {**data, "return_kind": "exchange"})
    order = WorkOrder.objects.get(customer=customer)
    assert response.status_code == 302 and order.status == OrderStatus.PENDING_APPROVAL and order.return_kind == "exchange"
