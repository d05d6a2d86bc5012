"""Callback pages: the queue of completed orders and recording a callback through the form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from anxin.feedback.models import Callback
from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition

NANJING = "江苏省南京市玄武区中山路1号"


def completed_order(world, **kw):
    order = world.order(**kw)
    tech_user = world.users["technician"] if order.outlet == world.outlet else world.users["outsider_technician"]
    tech = world.technician if order.outlet == world.outlet else world.outsider_technician
    order_transition(
        order_id=order.pk,
        action="assign",
        actor=world.users["dispatcher" if order.outlet == world.outlet else "outsider_dispatcher"],
        data={"technician": tech.pk},
    )
    order_transition(order_id=order.pk, action="check_in", actor=tech_user)
    return order_transition(order_id=order.pk, action="complete", actor=tech_user, data=minimal_report(order))


def numbers_on(response) -> set[str]:
    return set(re.findall(r'data-order-number="([^"]+)"', response.content.decode()))


def record(client, order, **data):
    data.setdefault("expected_version", order.version)
    return client.post(reverse("callback_record", args=[order.pk]), data)


def test_queue_lists_completed_orders_in_scope_oldest_first(client, world):
    first = completed_order(world)
    second = completed_order(world)
    nanjing = completed_order(world, customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    open_order = world.order()
    client.force_login(world.callback_agent)
    response = client.get(reverse("callback_queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert numbers_on(response) == {first.number, second.number}
    assert html.index(first.number) < html.index(second.number)
    assert open_order.number not in html and nanjing.number not in html
    assert 'data-sla="on_track"' in html  # the 72 h clock
    client.force_login(world.hq_manager)
    assert numbers_on(client.get(reverse("callback_queue"))) == {first.number, second.number, nanjing.number}


@pytest.mark.parametrize("persona", ["technician", "dispatcher", "agent", "dealer"])
def test_queue_is_refused_to_other_roles(client, world, persona):
    client.force_login(world.users[persona])
    assert client.get(reverse("callback_queue")).status_code == 403


def test_very_satisfied_closes_the_order(client, world):
    order = completed_order(world)
    client.force_login(world.callback_agent)
    page = client.get(reverse("callback_record", args=[order.pk])).content.decode()
    assert 'name="satisfaction" value="very_satisfied"' in page and "13812345678" in page
    response = record(client, order, satisfaction="very_satisfied", problem_solved="on", comment="师傅很专业")
    assert response.status_code == 302 and response["Location"] == reverse("callback_queue")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.closed_at is not None
    callback = Callback.objects.get(order=order)
    assert (callback.satisfaction, callback.problem_solved, callback.agent) == ("very_satisfied", True, world.callback_agent)


def test_unsatisfied_keeps_the_order_open_for_follow_up(client, world):
    order = completed_order(world)
    client.force_login(world.callback_agent)
    assert record(client, order, satisfaction="unsatisfied", comment="还是不制冷").status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CALLBACK_DONE
    assert Callback.objects.get(order=order).problem_solved is False
    # The order page now offers to close it.
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-action="close"' in html


def test_missing_satisfaction_is_400_and_changes_nothing(client, world):
    order = completed_order(world)
    client.force_login(world.callback_agent)
    response = record(client, order, comment="无人接听")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-field="satisfaction"' in html and "无人接听" in html
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert not Callback.objects.exists()


def test_stale_or_repeated_callback_is_409(client, world):
    order = completed_order(world)
    client.force_login(world.callback_agent)
    assert record(client, order, satisfaction="satisfied", expected_version=order.version - 1).status_code == 409
    assert record(client, order, satisfaction="satisfied", problem_solved="on").status_code == 302
    response = record(client, order, satisfaction="satisfied", problem_solved="on")  # the same form sent twice
    assert response.status_code == 409
    assert Callback.objects.filter(order=order).count() == 1


def test_callback_page_out_of_scope_is_404(client, world):
    order = completed_order(world, customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    client.force_login(world.callback_agent)  # Hangzhou region
    assert client.get(reverse("callback_record", args=[order.pk])).status_code == 404
    assert record(client, order, satisfaction="satisfied").status_code == 404
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.COMPLETED


def test_record_callback_through_the_generic_action_also_records_the_callback(client, world):
    order = completed_order(world)
    client.force_login(world.hq_manager)
    response = client.post(
        reverse("order_action", args=[order.pk, "record_callback"]),
        {"satisfaction": "satisfied", "problem_solved": "on", "expected_version": order.version},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).status == OrderStatus.CLOSED
    assert Callback.objects.filter(order=order, satisfaction="satisfied").count() == 1
