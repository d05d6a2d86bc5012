"""``Idempotency-Key`` on API POSTs: a retry replays the first answer and creates nothing twice."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from unittest import mock

from django.test import Client
from django.utils import timezone

from anxin.core.models import IdempotencyRecord
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.models import Customer
from anxin.orders.models import StatusChange, WorkOrder

NEW_CUSTOMER = {"name": "吴敏", "phones": ["13922223333"], "address": "浙江省杭州市西湖区文三路90号"}


def order_payload(world, customer):
    return {"customer_id": customer.pk, "lines": [{"product_model_id": world.model.pk, "symptom": "不制冷"}]}


def test_same_key_same_body_replays_the_response_and_creates_one_customer(world):
    client = api(world.agent)
    first = client.post("/customers", NEW_CUSTOMER, key="k-1")
    second = client.post("/customers", NEW_CUSTOMER, key="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.filter(name="吴敏").count() == 1


def test_same_key_same_body_creates_one_order(world):
    customer = world.customer()
    client = api(world.agent)
    first = client.post("/orders", order_payload(world, customer), key="order-1")
    second = client.post("/orders", order_payload(world, customer), key="order-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.filter(customer=customer).count() == 1
    assert StatusChange.objects.filter(order__customer=customer, action="create").count() == 1


def test_same_key_on_a_transition_does_not_step_twice(world):
    order = world.order()
    client = api(world.dispatcher)
    body = {"action": "accept"}
    first = client.post(f"/orders/{order.pk}/transitions", body, key="accept-1")
    second = client.post(f"/orders/{order.pk}/transitions", body, key="accept-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert StatusChange.objects.filter(order=order, action="accept").count() == 1


def test_same_key_different_body_is_refused_with_422(world):
    client = api(world.agent)
    assert client.post("/customers", NEW_CUSTOMER, key="k-2").status_code == 201
    response = client.post("/customers", {**NEW_CUSTOMER, "name": "郑强"}, key="k-2")
    assert_error(response, 422, "idempotency_key_reused")
    assert not Customer.objects.filter(name="郑强").exists()


def test_different_users_with_the_same_key_are_independent(world):
    first = api(world.agent).post("/customers", NEW_CUSTOMER, key="shared")
    second = api(world.hq_manager).post("/customers", NEW_CUSTOMER, key="shared")
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Customer.objects.filter(name="吴敏").count() == 2


def test_same_key_on_another_route_is_independent(world):
    customer = world.customer()
    client = api(world.agent)
    assert client.post("/customers", NEW_CUSTOMER, key="k-3").status_code == 201
    assert client.post("/orders", order_payload(world, customer), key="k-3").status_code == 201


def test_without_a_key_every_post_creates(world):
    client = api(world.agent)
    client.post("/customers", NEW_CUSTOMER)
    client.post("/customers", NEW_CUSTOMER)
    assert Customer.objects.filter(name="吴敏").count() == 2


def test_a_validation_failure_is_replayed(world):
    client = api(world.agent)
    bad = {**NEW_CUSTOMER, "phones": ["12345"]}
    first = client.post("/customers", bad, key="bad-1")
    assert_error(first, 400, "invalid", fields=("phone",))
    second = client.post("/customers", bad, key="bad-1")
    assert_error(second, 400, "invalid", fields=("phone",))
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert Customer.objects.count() == 0


def test_a_schema_error_is_replayed(world):
    client = api(world.agent)
    first = client.post("/customers", {"name": "x"}, key="bad-2")
    second = client.post("/customers", {"name": "x"}, key="bad-2")
    assert first.status_code == second.status_code == 422
    assert second["Idempotent-Replayed"] == "true"


def test_a_server_error_releases_the_key(world):
    client = api(world.agent, client=Client(raise_request_exception=False))
    with mock.patch("anxin.customers.api.customer_create", side_effect=RuntimeError("database hiccup")):
        failed = client.post("/customers", NEW_CUSTOMER, key="retry-me")
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    retried = client.post("/customers", NEW_CUSTOMER, key="retry-me")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Customer.objects.filter(name="吴敏").count() == 1


def test_a_forbidden_answer_is_not_stored(world):
    # A 403 may be fixed by the admin (a role change); the retry must be evaluated afresh.
    client = api(world.users["technician"])
    assert_error(client.post("/customers", NEW_CUSTOMER, key="perm"), 403)
    assert not IdempotencyRecord.objects.filter(key="perm").exists()


def test_a_request_in_flight_answers_409(world):
    # A claimed key without a stored answer: the first request is still running.
    digest = hashlib.sha256(json.dumps(NEW_CUSTOMER).encode()).hexdigest()
    IdempotencyRecord.objects.create(user=world.agent, key="busy", route="/api/v1/customers", request_hash=digest)
    assert_error(api(world.agent).post("/customers", NEW_CUSTOMER, key="busy"), 409, "idempotency_in_progress")
    assert Customer.objects.count() == 0


def test_an_abandoned_claim_is_released(world):
    # The first request's worker died before answering: after a while the key may be used again.
    digest = hashlib.sha256(json.dumps(NEW_CUSTOMER).encode()).hexdigest()
    record = IdempotencyRecord.objects.create(user=world.agent, key="dead", route="/api/v1/customers", request_hash=digest)
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(hours=1))
    response = api(world.agent).post("/customers", NEW_CUSTOMER, key="dead")
    assert response.status_code == 201
    assert Customer.objects.count() == 1


def test_an_overlong_key_is_refused(world):
    assert_error(api(world.agent).post("/customers", NEW_CUSTOMER, key="k" * 201), 400, "invalid_idempotency_key")


def test_keys_are_ignored_outside_the_api_and_for_anonymous_callers(world):
    response = Client().post("/api/v1/customers", NEW_CUSTOMER, content_type="application/json", headers={"Idempotency-Key": "anon"})
    assert_error(response, 401, "unauthenticated")
    assert not IdempotencyRecord.objects.exists()


def test_purge_drops_records_past_their_keeping_time_and_dead_claims(world, settings):
    from anxin.core import periodic
    from anxin.core.services import idempotency_records_purge

    settings.ANXIN_IDEMPOTENCY_KEEP_HOURS = 24
    now = timezone.now()
    ages = {
        "fresh": timedelta(hours=23),
        "old": timedelta(hours=25),
        "claim-live": timedelta(minutes=5),
        "claim-dead": timedelta(minutes=11),
    }
    for key, age in ages.items():
        record = IdempotencyRecord.objects.create(
            user=world.agent, key=key, route="/api/v1/customers", request_hash="x", status_code=None if key.startswith("claim") else 201
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=now - age)
    assert idempotency_records_purge(now=now, batch=1) == 2
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"fresh", "claim-live"}
    # A purged key is a new request again: it creates a second customer.
    client = api(world.agent)
    assert client.post("/customers", NEW_CUSTOMER, key="k-purge").status_code == 201
    IdempotencyRecord.objects.filter(key="k-purge").update(created_at=now - timedelta(hours=30))
    assert "core.purge_idempotency_records" in [job.name for job in periodic.load_jobs()]
    assert periodic.run_job(periodic.get_job("core.purge_idempotency_records"), force=True)
    assert not IdempotencyRecord.objects.filter(key="k-purge").exists()
    second = client.post("/customers", NEW_CUSTOMER, key="k-purge")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Customer.objects.filter(name="吴敏").count() == 2
