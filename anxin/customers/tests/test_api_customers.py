"""Customers API: list, detail, create; validation as field errors with nothing saved."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.models import Customer, CustomerAddress, CustomerPhone

NEW_CUSTOMER = {"name": "孙丽", "phones": ["138 1234 5678", "0571-88001234"], "address": "浙江省杭州市西湖区文三路90号"}


def test_create_normalises_and_parses(world):
    response = api(world.agent).post("/customers", NEW_CUSTOMER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "孙丽"
    assert [(p["number"], p["kind"], p["is_primary"]) for p in body["phones"]] == [
        ("13812345678", "mobile", True),
        ("057188001234", "landline", False),
    ]
    (address,) = body["addresses"]
    assert address["division_code"].startswith("3301")
    assert address["needs_review"] is False
    assert body["region"] == world.region.name
    assert body["contact_masked"] is False
    customer = Customer.objects.get(pk=body["id"])
    assert customer.created_by == world.agent
    assert customer.registered_by == world.agent.org_unit


@pytest.mark.parametrize("phone", ["12345", "1381234567", "abc", "+86 999 0000 0000"])
def test_invalid_phone_is_a_field_error_and_saves_nothing(world, phone):
    response = api(world.agent).post("/customers", {**NEW_CUSTOMER, "phones": [phone]})
    error = assert_error(response, 400, "invalid", fields=("phone",))
    assert phone.strip() in error["fields"]["phone"][0]
    assert Customer.objects.count() == 0
    assert CustomerPhone.objects.count() == 0
    assert CustomerAddress.objects.count() == 0


def test_second_invalid_phone_names_its_position(world):
    response = api(world.agent).post("/customers", {**NEW_CUSTOMER, "phones": ["13812345678", "999"]})
    assert_error(response, 400, "invalid", fields=("phones.1",))
    assert Customer.objects.count() == 0


def test_missing_values_are_field_errors_together(world):
    response = api(world.agent).post("/customers", {"name": " ", "phones": [], "address": ""})
    error = assert_error(response, 400, "invalid", fields=("name", "phone", "address"))
    assert set(error["fields"]) == {"name", "phone", "address"}
    # A group outside the documented enum is refused by the schema (422), before the service runs.
    error = assert_error(api(world.agent).post("/customers", {**NEW_CUSTOMER, "group": "gold"}), 422, "invalid", fields=("group",))
    assert Customer.objects.count() == 0


def test_schema_error_is_422(world):
    assert_error(api(world.agent).post("/customers", {"name": "x", "address": "y"}), 422, "invalid", fields=("phones",))


@pytest.mark.parametrize("persona", ["technician", "parts_clerk", "settlement", "quality", "tech_lead", "callback_agent"])
def test_roles_that_do_not_register_customers_get_403(world, persona):
    assert_error(api(world.users[persona]).post("/customers", NEW_CUSTOMER), 403, "forbidden")
    assert Customer.objects.count() == 0


def test_unresolved_address_is_kept_and_flagged(world):
    response = api(world.agent).post("/customers", {**NEW_CUSTOMER, "address": "老地方小卖部后面"})
    assert response.status_code == 201
    (address,) = response.json()["addresses"]
    assert address["needs_review"] is True
    assert address["division_code"] == ""
    assert response.json()["region"] is None


def test_list_pages_and_searches(world):
    for i in range(3):
        world.customer(name=f"客户{i}", phone=f"1391111000{i}")
    client = api(world.agent)
    page = client.get("/customers", page_size=2).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert len(client.get("/customers", page_size=2, page=2).json()["results"]) == 1
    assert [c["name"] for c in client.get("/customers", q="10002").json()["results"]] == ["客户2"]
    assert [c["name"] for c in client.get("/customers", q="客户1").json()["results"]] == ["客户1"]


@pytest.mark.parametrize("persona", ["agent", "quality"])
def test_list_query_count_does_not_grow_with_rows(world, persona):
    client = api(world.users[persona])

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/customers").status_code == 200
        return len(ctx.captured_queries)

    world.customer(name="客户0", phone="13911110000")
    queries_for_list()  # warm up the session
    few = queries_for_list()
    for i in range(1, 6):
        world.customer(name=f"客户{i}", phone=f"1391111000{i}")
    assert queries_for_list() == few


def test_detail(world):
    customer = world.customer()
    body = api(world.agent).get(f"/customers/{customer.pk}").json()
    assert body["id"] == customer.pk
    assert body["phones"][0]["number"] == "13812345678"


def test_detail_out_of_scope_is_404(world):
    customer = world.customer()
    assert_error(api(world.outsider_dispatcher).get(f"/customers/{customer.pk}"), 404, "not_found")


def test_masked_for_roles_that_do_not_talk_to_customers(world):
    customer = world.customer()
    body = api(world.quality).get(f"/customers/{customer.pk}").json()
    assert body["contact_masked"] is True
    assert body["phones"][0]["number"] == "138****5678"
    assert "文三路90号" not in body["addresses"][0]["text"]
    assert body["addresses"][0]["text"].endswith("****")
