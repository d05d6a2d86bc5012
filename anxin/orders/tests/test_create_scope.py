"""Registering an order across scopes (decision 0031): every role × a customer, an appliance and an
address outside its scope, through the API and the intake page.

The rule: whoever may register orders may do so for every customer they can see; the order belongs
to the customer's region and is routed there. When it thereby leaves the caller's scope (a hotline
agent's order for another region's customer) the answer is still "created" — 201 with a receipt, or
the customer's page with a message — never a 404 for an order just saved. A refusal saves nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from anxin.core.events import _handlers
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.services import appliance_add
from anxin.orders.choices import OrderStatus
from anxin.orders.models import OrderLine, StatusChange, WorkOrder

NANJING = "江苏省南京市玄武区中山路1号"
HANGZHOU = "浙江省杭州市西湖区文三路90号"

PERSONAS = (
    "hq_manager",
    "tech_lead",
    "quality",
    "settlement",
    "region_director",
    "agent",
    "callback_agent",
    "parts_clerk",
    "dispatcher",
    "technician",
    "senior",
    "dealer",
    "outsider_director",
    "outsider_dispatcher",
    "outsider_technician",
)
CREATORS = ("hq_manager", "region_director", "agent", "dispatcher", "dealer", "outsider_director", "outsider_dispatcher")
# A customer living in Nanjing (the other region), registered by the Hangzhou hotline. What each role
# gets when it registers an order for them: "detail" (created, in scope), "receipt" (created, routed
# out of the caller's scope), "refused" (the customer is not theirs to see), "forbidden" (role).
OTHER_REGION_CUSTOMER = {
    "hq_manager": "detail",
    "tech_lead": "forbidden",
    "quality": "forbidden",
    "settlement": "forbidden",
    "region_director": "refused",
    "agent": "receipt",
    "callback_agent": "forbidden",
    "parts_clerk": "forbidden",
    "dispatcher": "refused",
    "technician": "forbidden",
    "senior": "forbidden",
    "dealer": "refused",
    "outsider_director": "detail",
    "outsider_dispatcher": "refused",
    "outsider_technician": "forbidden",
}
OUTSIDERS = ("outsider_director", "outsider_dispatcher")


def saved_nothing():
    return not (WorkOrder.objects.exists() or OrderLine.objects.exists() or StatusChange.objects.exists())


def with_appliance(world, customer, serial="SN-1"):
    appliance_add(
        actor=world.agent,
        customer=customer,
        product_model=world.model,
        serial=serial,
        purchase_date=timezone.localdate() - timedelta(days=30),
    )
    return customer


def own_customer(world, persona):
    """A customer ``persona`` sees: registered by them (or by the hotline for roles that may not)."""
    user = world.users[persona]
    actor = user if persona in CREATORS else world.agent
    address = NANJING if persona in OUTSIDERS else HANGZHOU
    return with_appliance(world, world.customer(actor=actor, name="自己的客户", phone="13700001111", address=address))


def payload(customer, **extra):
    return {"customer_id": customer.pk, "lines": [{"appliance_id": customer.appliances.get().pk, "symptom": "不制冷"}], **extra}


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_order_for_another_regions_customer(world, persona):
    customer = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING))
    user = world.users[persona]
    response = api(user).post("/orders", payload(customer))
    expected = OTHER_REGION_CUSTOMER[persona]
    if expected == "forbidden":
        assert_error(response, 403, "forbidden")
        assert saved_nothing()
        return
    if expected == "refused":
        assert_error(response, 400, "invalid", fields=("customer",))
        assert saved_nothing()
        return
    assert response.status_code == 201, response.content
    body = response.json()
    order = WorkOrder.objects.get()
    assert body["id"] == order.pk and body["number"] == order.number
    # Routed to the outlet of the customer's region, whoever registered it.
    assert order.region == world.other_region and order.outlet == world.other_outlet and order.status == OrderStatus.ROUTED
    if expected == "detail":
        assert body["visible"] is True and body["outlet_id"] == world.other_outlet.pk
        assert api(user).get(f"/orders/{order.pk}").status_code == 200
    else:
        assert body == {
            "id": order.pk,
            "number": order.number,
            "status": "routed",
            "version": order.version,
            "customer_id": customer.pk,
            "region_id": world.other_region.pk,
            "region": world.other_region.name,
            "outlet_id": None,  # the other region's outlet is not the caller's to see
            "routed": True,
            "visible": False,
            "message": body["message"],
        }
        assert order.number in body["message"] and world.other_region.name in body["message"]
        assert world.other_outlet.name not in body["message"]  # only what the caller may see
        assert_error(api(user).get(f"/orders/{order.pk}"), 404)  # consistent with the receipt


def test_api_detail_is_never_given_for_an_order_out_of_scope(world):
    customer = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING))
    response = api(world.agent).post("/orders?expand=detail", payload(customer))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visible"] is False and body["outlet_id"] is None and "detail" not in body


def test_api_retry_with_the_same_key_replays_the_receipt_and_creates_one_order(world):
    customer = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING))
    client = api(world.agent)
    first = client.post("/orders", payload(customer), key="call-4711")
    again = client.post("/orders", payload(customer), key="call-4711")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json() and first.json()["visible"] is False
    assert WorkOrder.objects.count() == 1


def test_api_an_outlet_managers_walk_in_routed_to_another_region_gets_a_receipt(world):
    # The walk-in lives in Nanjing: the order goes to the Nanjing outlet, out of the Hangzhou outlet's sight.
    customer = with_appliance(world, world.customer(actor=world.dispatcher, name="韩梅梅", phone="13900008888", address=NANJING))
    response = api(world.dispatcher).post("/orders", payload(customer))
    assert response.status_code == 201, response.content
    assert response.json()["visible"] is False and response.json()["routed"] is True
    assert WorkOrder.objects.get().outlet == world.other_outlet


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_foreign_appliance_is_refused_and_saves_nothing(world, persona):
    mine = own_customer(world, persona)
    other = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING), serial="SN-OTHER")
    data = payload(mine)
    data["lines"] = [{"appliance_id": other.appliances.get().pk}]
    response = api(world.users[persona]).post("/orders", data)
    if persona in CREATORS:
        error = assert_error(response, 400, "invalid", fields=("lines.0.appliance",))
        assert "李雷" not in str(error)  # nothing about the other customer
    else:
        assert_error(response, 403, "forbidden")
    assert saved_nothing()


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_foreign_address_is_refused_and_saves_nothing(world, persona):
    mine = own_customer(world, persona)
    other = world.customer(name="李雷", phone="13900009999", address=NANJING)
    response = api(world.users[persona]).post("/orders", payload(mine, address_id=other.addresses.get().pk))
    if persona in CREATORS:
        error = assert_error(response, 400, "invalid", fields=("address",))
        assert "南京" not in str(error)
    else:
        assert_error(response, 403, "forbidden")
    assert saved_nothing()


def test_creation_and_routing_are_one_transaction(world):
    customer = with_appliance(world, world.customer())

    def broken_router(**_payload):
        raise RuntimeError("routing failed")

    _handlers["order.created"].append(broken_router)
    try:
        with pytest.raises(RuntimeError):
            api(world.agent).post("/orders", payload(customer))
    finally:
        _handlers["order.created"].remove(broken_router)
    assert saved_nothing()


# --- the intake page --------------------------------------------------------------------------


def form(customer, **extra):
    start = timezone.localtime() + timedelta(days=1)
    appliance = customer.appliances.get()
    data = {
        "customer": customer.pk,
        "address": customer.addresses.get().pk,
        "order_type": "repair",
        "priority": "normal",
        "appointment_start": start.strftime("%Y-%m-%dT%H:%M"),
        "appointment_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "appliance_id": [appliance.pk],
        f"symptom_{appliance.pk}": "不制冷",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_order_for_another_regions_customer(client, world, persona):
    customer = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING))
    client.force_login(world.users[persona])
    response = client.post(reverse("order_create"), form(customer))
    expected = OTHER_REGION_CUSTOMER[persona]
    if expected in ("forbidden", "refused"):
        assert response.status_code == (403 if expected == "forbidden" else 404)
        assert saved_nothing()
        return
    order = WorkOrder.objects.get()
    assert order.outlet == world.other_outlet
    text = [str(m) for m in get_messages(response.wsgi_request)]
    if expected == "detail":
        assert response["Location"] == reverse("order_detail", args=[order.pk])
        assert text == [f"工单 {order.number} 已创建，已分派至 {world.other_outlet.name}。"]
    else:
        assert response.status_code == 302 and response["Location"] == reverse("customer_detail", args=[customer.pk])
        assert len(text) == 1 and order.number in text[0] and world.other_region.name in text[0]
        assert world.other_outlet.name not in text[0] and "不在您的范围内" in text[0]


@pytest.mark.parametrize("persona", CREATORS)
def test_page_foreign_address_or_appliance_is_refused_and_saves_nothing(client, world, persona):
    mine = own_customer(world, persona)
    other = with_appliance(world, world.customer(name="李雷", phone="13900009999", address=NANJING), serial="SN-OTHER")
    client.force_login(world.users[persona])
    response = client.post(reverse("order_create"), form(mine, address=other.addresses.get().pk))
    assert response.status_code == 400 and 'data-field-error="address"' in response.content.decode()
    response = client.post(reverse("order_create"), form(mine, appliance_id=[other.appliances.get().pk]))
    assert response.status_code == 400 and 'data-field-error="lines"' in response.content.decode()
    assert saved_nothing()
