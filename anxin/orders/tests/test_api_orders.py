"""Work-order API: create, list, detail, transitions with versions, the callback, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from anxin.accounts.choices import OrgKind
from anxin.accounts.models import OrgUnit
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.services import appliance_add
from anxin.feedback.models import Callback
from anxin.orders.choices import OrderStatus
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition
from anxin.orders.worklist.selectors import order_created_summary


def new_order(world, customer, **extra):
    return {"customer_id": customer.pk, "lines": [{"product_model_id": world.model.pk, "symptom": "不制冷"}], **extra}


def test_create_routes_and_answers_what_became_of_the_order(world):
    customer = world.customer()
    start = timezone.now() + timedelta(days=1)
    payload = new_order(
        world,
        customer,
        priority="urgent",
        appointment_start=start.isoformat(),
        appointment_end=(start + timedelta(hours=2)).isoformat(),
    )
    response = api(world.agent).post("/orders", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    order = WorkOrder.objects.get(pk=body["id"])
    assert order.created_by == world.agent and order.priority == "urgent" and order.channel == "api"
    # The slim answer (decision 0049): no detail unless asked for.
    assert body == {
        "id": order.pk,
        "number": order.number,
        "status": "routed",
        "version": 2,
        "customer_id": customer.pk,
        "region_id": world.region.pk,
        "region": world.region.name,
        "outlet_id": world.outlet.pk,
        "routed": True,
        "visible": True,
        "message": order_created_summary(order=order, user=world.agent)[1],
    }


def test_create_answers_the_detail_when_asked(world):
    response = api(world.agent).post("/orders?expand=detail", new_order(world, world.customer(), priority="urgent"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "routed" and body["outlet_id"] == world.outlet.pk
    detail = body["detail"]
    assert detail["id"] == body["id"] and detail["version"] == body["version"] == 2
    assert detail["priority"] == "urgent"
    assert detail["channel"] == "api"
    assert [h["to_status"] for h in detail["history"]] == ["created", "routed"]
    assert detail["lines"][0]["product_model"] == world.model.code


def test_create_with_an_appliance_line_sets_the_warranty(world):
    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=30)
    )
    response = api(world.agent).post("/orders?expand=detail", {"customer_id": customer.pk, "lines": [{"appliance_id": appliance.pk}]})
    assert response.status_code == 201
    assert response.json()["detail"]["lines"][0]["in_warranty"] is True
    assert response.json()["detail"]["lines"][0]["appliance_id"] == appliance.pk


def test_create_validation_names_the_fields_and_saves_nothing(world):
    customer = world.customer()
    start = timezone.now() + timedelta(days=1)
    payload = new_order(
        world,
        customer,
        appointment_start=start.isoformat(),
        appointment_end=(start - timedelta(hours=1)).isoformat(),
        lines=[{"product_model_id": 999999}],
    )
    error = assert_error(api(world.agent).post("/orders", payload), 400, "invalid")
    assert {"appointment_end", "lines.0.product_model"} <= set(error["fields"])
    # A value outside a documented enum is refused by the schema (422) before the service runs.
    assert_error(api(world.agent).post("/orders", {**payload, "order_type": "teleport"}), 422, "invalid", fields=("order_type",))
    assert not WorkOrder.objects.exists()


def test_create_needs_at_least_one_line(world):
    customer = world.customer()
    assert_error(api(world.agent).post("/orders", {"customer_id": customer.pk, "lines": []}), 400, "invalid", fields=("lines",))


def test_create_for_an_out_of_scope_customer_is_refused(world):
    customer = world.customer()
    # An outsider dealer does not see the customer at all; they learn nothing about it.
    assert_error(api(world.users["dealer"]).post("/orders", new_order(world, customer)), 400, "invalid", fields=("customer",))
    assert not WorkOrder.objects.exists()


def test_create_schema_error_is_422(world):
    assert_error(api(world.agent).post("/orders", {"customer_id": "abc"}), 422, "invalid", fields=("customer_id", "lines"))


@pytest.mark.parametrize("persona", ["technician", "parts_clerk", "callback_agent", "quality", "settlement", "tech_lead"])
def test_roles_that_do_not_register_orders_get_403(world, persona):
    customer = world.customer()
    assert_error(api(world.users[persona]).post("/orders", new_order(world, customer)), 403, "forbidden")


def test_dealer_orders_are_the_dealers(world):
    dealer = world.users["dealer"]
    customer = world.customer(actor=dealer)
    response = api(dealer).post("/orders", new_order(world, customer, order_type="install"))
    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(pk=response.json()["id"])
    assert order.dealer == world.dealer
    assert api(dealer).get("/orders").json()["count"] == 1


def test_list_filters_and_pages(world):
    first = world.order()
    second = world.order(customer=world.customer(name="李娜", phone="13700001111"))
    order_transition(order_id=second.pk, action="accept", actor=world.dispatcher)
    client = api(world.dispatcher)
    page = client.get("/orders").json()
    assert page["count"] == 2 and page["more"] is False
    assert [o["number"] for o in page["results"]] == [second.number, first.number]  # newest first
    assert [o["id"] for o in client.get("/orders", status="accepted").json()["results"]] == [second.pk]
    assert [o["id"] for o in client.get("/orders", q="李娜").json()["results"]] == [second.pk]
    assert [o["id"] for o in client.get("/orders", q=first.number).json()["results"]] == [first.pk]
    assert len(client.get("/orders", page_size=1, page=2).json()["results"]) == 1
    assert page["results"][0]["actions"] == ["reject", "assign", "resolve_by_phone"]


def test_list_count_is_bounded_like_the_page(world, monkeypatch):
    from anxin.orders.worklist import queues

    for i in range(3):
        world.order(customer=world.customer(name=f"客户{i}", phone=f"1370000222{i}"))
    monkeypatch.setattr(queues, "COUNT_LIMIT", 2)
    page = api(world.dispatcher).get("/orders", page_size=1).json()
    assert (page["count"], page["more"], len(page["results"])) == (2, True, 1)
    monkeypatch.setattr(queues, "COUNT_LIMIT", 3)
    page = api(world.dispatcher).get("/orders").json()
    assert (page["count"], page["more"], len(page["results"])) == (3, False, 3)


@pytest.mark.parametrize("persona", ["agent", "dispatcher", "technician"])
def test_list_query_count_does_not_grow_with_rows(world, persona):
    client = api(world.users[persona])

    def add_order(i: int) -> None:
        order = world.order(customer=world.customer(name=f"客户{i}", phone=f"1370000111{i}"))
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/orders").status_code == 200
        return len(ctx.captured_queries)

    add_order(0)
    queries_for_list()  # warm up the session
    few = queries_for_list()
    for i in range(1, 6):
        add_order(i)
    assert client.get("/orders").json()["count"] == 6
    assert queries_for_list() == few


def test_detail_has_history_and_actions(world):
    order = world.order()
    body = api(world.dispatcher).get(f"/orders/{order.pk}").json()
    assert body["id"] == order.pk
    assert body["actions"] == ["accept", "reject", "assign", "resolve_by_phone"]
    assert body["history"][0]["action"] == "create"
    assert body["history"][0]["actor"] == "agent"


def test_detail_out_of_scope_is_404(world):
    order = world.order()
    assert_error(api(world.outsider_dispatcher).get(f"/orders/{order.pk}"), 404, "not_found")


def test_transition_answers_the_new_state(world):
    order = world.order()
    response = api(world.dispatcher).post(
        f"/orders/{order.pk}/transitions", {"action": "assign", "technician": world.technician.pk, "expected_version": order.version}
    )
    assert response.status_code == 200, response.content
    # What changed and nothing else (decision 0049): the step set the technician.
    assert response.json() == {
        "id": order.pk,
        "number": order.number,
        "status": "assigned",
        "version": order.version + 1,
        "action": "assign",
        "technician_id": world.technician.pk,
    }


def test_transition_answers_each_field_the_step_set(world):
    order = world.order()
    client = api(world.dispatcher)
    body = client.post(f"/orders/{order.pk}/transitions", {"action": "accept"}).json()
    assert set(body) == {"id", "number", "status", "version", "action", "accepted_at"}
    assert body["status"] == "accepted" and body["action"] == "accept"
    # (JSON keeps milliseconds)
    assert abs(parse_datetime(body["accepted_at"]) - WorkOrder.objects.get(pk=order.pk).accepted_at) < timedelta(milliseconds=1)
    client.post(f"/orders/{order.pk}/transitions", {"action": "assign", "technician": world.technician.pk})
    start = timezone.now() + timedelta(days=2)
    window = {"appointment_start": start.isoformat(), "appointment_end": (start + timedelta(hours=2)).isoformat()}
    body = api(world.users["technician"]).post(f"/orders/{order.pk}/transitions", {"action": "confirm", **window}).json()
    assert body["status"] == "confirmed"
    assert {"appointment_start", "appointment_end", "visit_deadline"} <= set(body)
    assert "technician_id" not in body and "outlet_id" not in body  # not set by this step
    order.refresh_from_db()
    assert body["version"] == order.version
    # A reroute takes the technician away: the answer says so with a null.
    other = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="拱墅网点", city="杭州市")
    body = api(world.agent).post(f"/orders/{order.pk}/transitions", {"action": "reroute", "outlet": other.pk, "reason": "客户搬家"}).json()
    assert body["status"] == "routed"
    assert body["outlet_id"] == other.pk
    assert body["technician_id"] is None


def test_transition_answers_the_detail_when_asked(world):
    order = world.order()
    response = api(world.dispatcher).post(
        f"/orders/{order.pk}/transitions?expand=detail", {"action": "assign", "technician": world.technician.pk}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["technician_id"] == world.technician.pk
    detail = body["detail"]
    assert detail["status"] == "assigned" and detail["version"] == body["version"]
    assert detail["technician"] == world.technician.name
    assert [h["to_status"] for h in detail["history"]] == ["created", "routed", "assigned"]
    assert "lines" in detail and "actions" in detail


def test_the_slim_answer_reads_nothing_back(world):
    from anxin.accounts.services import api_token_create

    order = world.order()
    _token, raw = api_token_create(actor=world.hq_manager, user=world.dispatcher, name="t")
    with CaptureQueriesContext(connection) as ctx:
        response = api(token=raw).post(f"/orders/{order.pk}/transitions", {"action": "accept"})
    assert response.status_code == 200, response.content
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    # The step's own locked read of the order, nothing re-read for the answer (lines, history…).
    assert any('FROM "orders_workorder"' in sql for sql in reads)
    assert not [sql for sql in reads if "orders_statuschange" in sql or "orders_orderline" in sql]
    with CaptureQueriesContext(connection) as ctx:
        api(token=raw).post(
            f"/orders/{world.order(customer=world.customer(name='乙', phone='13700000003')).pk}/transitions?expand=detail",
            {"action": "accept"},
        )
    assert any("orders_statuschange" in q["sql"] and q["sql"].startswith("SELECT") for q in ctx.captured_queries)


def test_a_step_that_leaves_the_scope_still_answers(world):
    # The outlet rejects the order: it leaves the outlet's scope; the answer is still what changed
    # (before, re-reading the detail through the scope answered 404 to a step that was taken).
    order = world.order()
    response = api(world.dispatcher).post(f"/orders/{order.pk}/transitions?expand=detail", {"action": "reject", "reason": "超出服务范围"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected"
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED


def test_stale_expected_version_is_409_and_changes_nothing(world):
    order = world.order()
    seen = order.version
    order_transition(order_id=order.pk, action="accept", actor=world.dispatcher)
    response = api(world.dispatcher).post(
        f"/orders/{order.pk}/transitions", {"action": "assign", "technician": world.technician.pk, "expected_version": seen}
    )
    assert_error(response, 409, "stale_version")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert order.technician is None
    assert order.version == seen + 1


def test_unknown_action_is_a_field_error(world):
    order = world.order()
    assert_error(api(world.dispatcher).post(f"/orders/{order.pk}/transitions", {"action": "teleport"}), 422, "invalid", fields=("action",))


def test_transition_on_an_out_of_scope_order_is_404(world):
    order = world.order()
    response = api(world.outsider_dispatcher).post(f"/orders/{order.pk}/transitions", {"action": "accept"})
    assert_error(response, 404, "not_found")
    order.refresh_from_db()
    assert order.status == OrderStatus.ROUTED


def test_technician_not_eligible_is_a_field_error(world):
    order = world.order(fault=world.fault_hard)
    response = api(world.dispatcher).post(f"/orders/{order.pk}/transitions", {"action": "assign", "technician": world.technician.pk})
    assert_error(response, 400, "technician_not_eligible", fields=("technician",))


def _completed(world):
    order = world.order()
    technician = world.users["technician"]
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="check_in", actor=technician)
    return order_transition(order_id=order.pk, action="complete", actor=technician, data=minimal_report(order))


def test_callback_satisfied_closes_the_order(world):
    order = _completed(world)
    response = api(world.callback_agent).post(
        f"/orders/{order.pk}/callback", {"satisfaction": "satisfied", "comment": "师傅很专业", "expected_version": order.version}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Both steps of the call in one answer: the callback set the satisfaction, the close its time.
    assert body["status"] == "closed" and body["action"] == "record_callback"
    assert body["satisfaction"] == "satisfied"
    assert body["closed_at"] is not None
    assert body["version"] == order.version + 2
    assert "detail" not in body
    history = StatusChange.objects.filter(order=order).order_by("pk").values_list("to_status", flat=True)
    assert list(history)[-2:] == ["callback_done", "closed"]
    callback = Callback.objects.get(order=order)
    assert callback.agent == world.callback_agent
    assert callback.comment == "师傅很专业"


def test_callback_unsatisfied_keeps_the_order_open(world):
    order = _completed(world)
    response = api(world.callback_agent).post(f"/orders/{order.pk}/callback", {"satisfaction": "unsatisfied", "problem_solved": False})
    assert response.json()["status"] == "callback_done"


def test_callback_needs_a_known_satisfaction(world):
    order = _completed(world)
    assert_error(
        api(world.callback_agent).post(f"/orders/{order.pk}/callback", {"satisfaction": "meh"}), 422, "invalid", fields=("satisfaction",)
    )
    assert not Callback.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_callback_before_completion_is_409(world):
    order = world.order()
    assert_error(api(world.callback_agent).post(f"/orders/{order.pk}/callback", {"satisfaction": "satisfied"}), 409, "invalid_transition")
    assert not Callback.objects.exists()


def test_callback_with_a_stale_version_is_409(world):
    order = _completed(world)
    response = api(world.callback_agent).post(f"/orders/{order.pk}/callback", {"satisfaction": "satisfied", "expected_version": 1})
    assert_error(response, 409, "stale_version")
    assert not Callback.objects.exists()


# --- audit --------------------------------------------------------------------------------------


def test_transitions_write_history_with_the_actor(world):
    order = world.order()
    api(world.dispatcher).post(f"/orders/{order.pk}/transitions", {"action": "reject", "reason": "超出服务范围"})
    order.refresh_from_db()
    latest = order.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == world.dispatcher
    assert latest.status == OrderStatus.REJECTED
    assert latest.history_change_reason == "超出服务范围"
    change = StatusChange.objects.filter(order=order).latest("id")
    assert (change.action, change.from_status, change.to_status) == ("reject", "routed", "rejected")
    assert change.actor == world.dispatcher
    assert change.reason == "超出服务范围"


def test_service_transitions_record_actor_and_reason(world):
    order = world.order()
    order_transition(order_id=order.pk, action="cancel", actor=world.region_director, data={"reason": "客户已自行修好"})
    record = order.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == world.region_director
    assert record.history_change_reason == "客户已自行修好"
    change = StatusChange.objects.filter(order=order).latest("id")
    assert change.actor == world.region_director
    assert change.reason == "客户已自行修好"


def test_every_order_version_is_in_the_history(world):
    order = _completed(world)
    statuses = list(order.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert statuses[-3:] == ["assigned", "on_site", "completed"]
    users = list(order.history.order_by("history_date", "history_id").values_list("history_user__username", flat=True))
    assert users[0] == "agent"
    assert users[-1] == "technician"


def test_order_created_through_the_api_names_the_token_user(world):
    from anxin.accounts.services import api_token_create

    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    customer = world.customer()
    response = api(token=raw).post("/orders", new_order(world, customer))
    order = WorkOrder.objects.get(pk=response.json()["id"])
    assert order.history.order_by("history_date", "history_id").first().history_user == world.agent


def test_list_by_sla_state_and_work_list_like_the_page(world):
    now = timezone.now()
    breached = [world.order(customer=world.customer(name=f"超时{i}", phone=f"1370000333{i}")) for i in range(2)]
    on_track = world.order(customer=world.customer(name="按时", phone="13700003339"))
    for i, order in enumerate(breached):
        WorkOrder.objects.filter(pk=order.pk).update(
            created_at=now - timedelta(hours=30), visit_deadline=now - timedelta(hours=6 - i), visit_risk_at=now - timedelta(hours=12)
        )
    client = api(world.dispatcher)
    page = client.get("/orders", sla="breached").json()
    assert [o["id"] for o in page["results"]] == [breached[0].pk, breached[1].pk]  # most overdue first
    assert {o["sla_state"] for o in page["results"]} == {"breached"}
    assert [o["id"] for o in client.get("/orders", sla="on_track").json()["results"]] == [on_track.pk]
    accepted = order_transition(order_id=on_track.pk, action="accept", actor=world.dispatcher)
    assert [o["id"] for o in client.get("/orders", queue="to_assign").json()["results"]] == [accepted.pk]
    assert {o["id"] for o in client.get("/orders", queue="to_accept").json()["results"]} == {o.pk for o in breached}
    assert client.get(f"/orders/{breached[0].pk}").json()["sla_state"] == "breached"
    # Bad values name the field and list what is allowed.
    error = assert_error(client.get("/orders", sla="late"), 422, fields=("sla",))
    assert "breached" in str(error["fields"]["sla"])
    error = assert_error(client.get("/orders", queue="repeats"), 400, fields=("queue",))  # not an outlet manager's list
    assert "to_accept" in str(error["fields"]["queue"])
