"""POST /api/v1/sales (idempotent) and GET /api/v1/sales (scoped)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.models import Appliance, Customer
from anxin.orders.models import WorkOrder
from anxin.sales.models import SaleRegistration


def payload(world, **kw):
    start = timezone.now() + timedelta(days=1)
    data = {
        "customer_name": "陈静",
        "phones": ["13955556666"],
        "address": "浙江省杭州市西湖区文三路100号",
        "purchase_date": timezone.localdate().isoformat(),
        "store_name": "国美文三路店",
        "items": [{"product_model_id": world.model.pk, "quantity": 2, "serials": ["AC-1"]}, {"model": "KFR-35GW", "quantity": 1}],
        "appointment_start": start.isoformat(),
        "appointment_end": (start + timedelta(hours=2)).isoformat(),
    }
    data.update(kw)
    return data


def test_register_answers_201_with_ids_and_replays_with_the_same_key(world):
    client = api(world.users["dealer"])
    body_in = payload(world)
    first = client.post("/sales", body_in, key="sale-1")
    assert first.status_code == 201, first.content
    body = first.json()
    sale = SaleRegistration.objects.get()
    assert body["id"] == sale.pk
    assert body["customer_id"] == sale.customer_id
    assert body["order_id"] == sale.order_id and body["order_number"] == sale.order.number
    assert body["appliance_ids"] == sorted(Appliance.objects.values_list("pk", flat=True))
    assert len(body["appliance_ids"]) == 3

    second = client.post("/sales", body_in, key="sale-1")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == body
    assert SaleRegistration.objects.count() == 1
    assert WorkOrder.objects.count() == 1
    assert Appliance.objects.count() == 3
    assert Customer.objects.count() == 1


def test_response_for_someone_elses_customer_echoes_what_was_typed(world):
    existing = world.customer(phone="13812345678")
    response = api(world.users["dealer"]).post("/sales", payload(world, phones=["13812345678"]))
    assert response.status_code == 201
    body = response.json()
    # Linked to the archive's customer, but the answer is what the dealer typed, never the archive's name.
    assert body["customer_id"] == existing.pk and body["customer_name"] == payload(world)["customer_name"]
    text = json.dumps(body, ensure_ascii=False)
    assert existing.name not in text and "文三路90号" not in text


def test_all_errors_in_one_answer(world):
    response = api(world.users["dealer"]).post(
        "/sales",
        payload(world, items=[{"product_model_id": world.model.pk, "quantity": 1, "serials": ["A", "B"]}, {"model": "X", "quantity": 0}]),
    )
    assert_error(response, 400, "invalid", fields=("items.0.serials", "items.1.product_model", "items.1.quantity"))
    assert not Customer.objects.exists()


def test_other_roles_get_403(world):
    response = api(world.agent).post("/sales", payload(world))
    assert_error(response, 403, "forbidden")
    assert not SaleRegistration.objects.exists()


def test_list_is_scoped(world):
    api(world.users["dealer"]).post("/sales", payload(world))
    mine = api(world.users["dealer"]).get("/sales").json()
    assert mine["count"] == 1
    assert api(world.outsider_director).get("/sales").json()["count"] == 0
    assert api(world.hq_manager).get("/sales").json()["count"] == 1
