"""Repeat repair (返修): a repair of the same appliance within 30 days of a completed one is flagged
and linked to it; first-time fix is counted from the visits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from anxin.core.tests.apiclient import api
from anxin.customers.services import appliance_add
from anxin.orders.models import WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import LineInput, OrderInput, order_create, order_transition


def completed_repair(world, appliance, *, days_ago: float) -> WorkOrder:
    order = world.order(customer=appliance.customer, appliance=appliance)
    tech = world.users["technician"]
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="check_in", actor=tech)
    order = order_transition(order_id=order.pk, action="complete", actor=tech, data=minimal_report(order))
    WorkOrder.objects.filter(pk=order.pk).update(completed_at=timezone.now() - timedelta(days=days_ago))
    return order


@pytest.fixture
def appliance(world):
    customer = world.customer()
    return appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=200)
    )


def test_repair_29_days_after_a_completed_one_is_a_repeat_and_linked(world, appliance):
    earlier = completed_repair(world, appliance, days_ago=29)
    again = world.order(customer=appliance.customer, appliance=appliance)
    assert again.is_repeat
    assert again.lines.get().repeat_of == earlier
    assert again.status_changes.first().data == {"repeat_of": {"0": earlier.number}}


def test_repair_31_days_after_is_not_a_repeat(world, appliance):
    completed_repair(world, appliance, days_ago=31)
    again = world.order(customer=appliance.customer, appliance=appliance)
    assert not again.is_repeat and again.lines.get().repeat_of is None


def test_window_is_configurable(world, appliance, settings):
    settings.ANXIN_REPEAT_REPAIR_DAYS = 60
    earlier = completed_repair(world, appliance, days_ago=45)
    assert world.order(customer=appliance.customer, appliance=appliance).lines.get().repeat_of == earlier


def test_other_appliance_is_not_a_repeat(world, appliance):
    completed_repair(world, appliance, days_ago=3)
    other = appliance_add(actor=world.agent, customer=appliance.customer, product_model=world.model, serial="SN-2")
    assert not world.order(customer=appliance.customer, appliance=other).is_repeat


def test_open_or_non_repair_orders_do_not_count(world, appliance):
    world.order(customer=appliance.customer, appliance=appliance)  # open, never completed
    assert not world.order(customer=appliance.customer, appliance=appliance).is_repeat
    # An install of the same appliance is not a repair to repeat; an install order is never a repeat.
    earlier = completed_repair(world, appliance, days_ago=2)
    install = world.order(customer=appliance.customer, appliance=appliance, order_type="install")
    assert not install.is_repeat
    WorkOrder.objects.filter(pk=earlier.pk).update(order_type="install")
    assert not world.order(customer=appliance.customer, appliance=appliance).is_repeat


def test_complete_set_flags_only_the_repeated_line(world, appliance):
    earlier = completed_repair(world, appliance, days_ago=10)
    other = appliance_add(actor=world.agent, customer=appliance.customer, product_model=world.model, serial="SN-2")
    order = order_create(
        actor=world.agent,
        data=OrderInput(customer_id=appliance.customer_id, lines=[LineInput(appliance_id=other.pk), LineInput(appliance_id=appliance.pk)]),
    )
    assert order.is_repeat
    assert [line.repeat_of_id for line in order.lines.order_by("id")] == [None, earlier.pk]


def test_order_page_and_api_show_the_repeat(client, world, appliance):
    earlier = completed_repair(world, appliance, days_ago=5)
    again = world.order(customer=appliance.customer, appliance=appliance)
    client.force_login(world.dispatcher)
    html = client.get(reverse("order_detail", args=[again.pk])).content.decode()
    assert "data-repeat" in html
    assert f'href="{reverse("order_detail", args=[earlier.pk])}"' in html
    assert f'data-line-repeat-of="{earlier.number}"' in html
    body = api(world.dispatcher).get(f"/orders/{again.pk}").json()
    assert body["is_repeat"] is True and body["lines"][0]["repeat_of_id"] == earlier.pk


# --- first-time fix -------------------------------------------------------------------------------


def test_completed_in_the_first_visit_is_a_first_time_fix(world, appliance):
    order = completed_repair(world, appliance, days_ago=0)
    order.refresh_from_db()
    assert (order.visit_count, order.first_time_fix) == (1, True)
    assert order.status_changes.get(action="complete").data["first_time_fix"] is True


def test_a_second_visit_is_not_a_first_time_fix(world, appliance):
    order = world.order(customer=appliance.customer, appliance=appliance)
    tech = world.users["technician"]
    start = timezone.now() + timedelta(days=1)
    window = {"appointment_start": start, "appointment_end": start + timedelta(hours=2)}
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="check_in", actor=tech)
    order_transition(order_id=order.pk, action="pending_parts", actor=tech, data={"reason": "主板"})
    order_transition(order_id=order.pk, action="parts_arrived", actor=world.dispatcher, data=window)
    order_transition(order_id=order.pk, action="check_in", actor=tech)
    order = order_transition(order_id=order.pk, action="complete", actor=tech, data=minimal_report(order))
    assert (order.visit_count, order.first_time_fix) == (2, False)
    client_body = api(world.dispatcher).get(f"/orders/{order.pk}").json()
    assert (client_body["visit_count"], client_body["first_time_fix"]) == (2, False)
