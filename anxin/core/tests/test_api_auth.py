"""API authentication (session + CSRF, bearer token), the one error format, and the OpenAPI pages."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anxin.accounts.services import api_token_create
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.models import Customer

NEW_CUSTOMER = {"name": "周芳", "phones": ["13911112222"], "address": "浙江省杭州市西湖区文三路90号"}


@pytest.mark.parametrize("path", ["/me", "/orders", "/customers", "/orders/1", "/customers/1", "/tokens"])
def test_reads_without_auth_answer_401_in_the_error_format(db, path):
    assert_error(api().get(path), 401, "unauthenticated")


@pytest.mark.parametrize("path", ["/orders", "/customers", "/orders/1/transitions", "/orders/1/callback", "/tokens"])
def test_writes_without_auth_answer_401_not_403(db, path):
    # Ninja's SessionAuth checks CSRF before the session; an anonymous caller must still learn "log in".
    client = Client(enforce_csrf_checks=True)
    assert_error(api(client=client).post(path, {}), 401, "unauthenticated")


def test_session_auth_reads(world):
    response = api(world.hq_manager).get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "hq_manager"
    assert response.json()["role"] == "hq_manager"


def test_session_post_without_csrf_token_is_refused_and_saves_nothing(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    before = Customer.objects.count()
    response = api(client=client).post("/customers", NEW_CUSTOMER)
    assert_error(response, 403, "csrf_failed")
    assert Customer.objects.count() == before


def test_session_post_with_csrf_token_is_accepted(world):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))  # the login form sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    client.force_login(world.agent)
    response = api(client=client).post("/customers", NEW_CUSTOMER, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "周芳"


def test_token_auth_needs_no_csrf_and_acts_as_its_user(world):
    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    client = Client(enforce_csrf_checks=True)
    me = api(token=raw, client=client).get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == "agent"
    response = api(token=raw, client=client).post("/customers", NEW_CUSTOMER)
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.created_by == world.agent
    assert customer.history.get().history_user == world.agent


def test_token_is_scoped_exactly_like_its_user(world):
    order = world.order()
    _, raw = api_token_create(actor=world.hq_manager, user=world.outsider_dispatcher, name="ERP")
    assert_error(api(token=raw).get(f"/orders/{order.pk}"), 404, "not_found")
    assert api(token=raw).get("/orders").json()["count"] == 0
    _, raw_inside = api_token_create(actor=world.hq_manager, user=world.dispatcher, name="ERP")
    assert api(token=raw_inside).get(f"/orders/{order.pk}").status_code == 200


def test_token_records_last_use(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert token.last_used_at is None
    api(token=raw).get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer ax_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "ax_missing_scheme"])
def test_bad_authorization_header_answers_401(db, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert_error(response, 401, "unauthenticated")


def test_revoked_token_answers_401(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")
    assert_error(api(token=raw).post("/customers", NEW_CUSTOMER), 401, "unauthenticated")


def test_token_of_a_deactivated_user_answers_401(world):
    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    world.agent.is_active = False
    world.agent.save()
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")


def test_schema_errors_answer_422_in_the_error_format(world):
    response = api(world.agent).post("/customers", {"phones": "not-a-list", "address": 5})
    error = assert_error(response, 422, "invalid", fields=("name", "phones"))
    assert all(isinstance(m, str) for messages in error["fields"].values() for m in messages)


def test_query_parameter_errors_answer_422(world):
    assert_error(api(world.agent).get("/orders", page="first"), 422, "invalid", fields=("page",))


def test_path_parameter_errors_answer_422(world):
    assert_error(api(world.agent).get("/orders/not-a-number"), 422, "invalid")


def test_malformed_json_is_refused_in_the_error_format(world):
    response = api(world.agent).post("/customers", raw=b"{not json")
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)
    assert Customer.objects.count() == 0


def test_unknown_object_answers_404_in_the_error_format(world):
    assert_error(api(world.hq_manager).get("/orders/999999"), 404, "not_found")
    assert_error(api(world.hq_manager).get("/customers/999999"), 404, "not_found")


def test_server_errors_answer_500_in_the_error_format(world):
    client = Client(raise_request_exception=False)
    with mock.patch("anxin.customers.api.customer_list", side_effect=RuntimeError("boom")):
        response = api(world.agent, client=client).get("/customers")
    error = assert_error(response, 500, "server_error")
    assert "boom" not in error["message"]


def test_openapi_schema_lists_the_paths(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/transitions",
        "/api/v1/orders/{order_id}/callback",
    ):
        assert path in paths, path


def test_docs_page_renders(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
