"""The database does not answer: the API says 503 in its error format, pages show a translated
503 page — whichever layer reaches the database first (token middleware, session, view).
Issue 9, item 6."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse

from anxin.accounts.services import api_token_create
from anxin.core.tests.apiclient import assert_error


@pytest.fixture
def database_down():
    """Every new cursor fails as when the server is gone (the connection itself stays for teardown)."""
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=OperationalError("server closed the connection")):
        yield


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_api_with_a_token_answers_503_when_the_token_cannot_be_checked(world, database_down):
    # ApiTokenMiddleware looks the token up before the API's own error handling runs.
    response = _client().get("/api/v1/orders", headers={"Authorization": "Bearer ax_whatever"})
    error = assert_error(response, 503, "unavailable")
    assert "暂时不可用" in error["message"]
    assert response["Retry-After"] == "60"


def test_api_with_a_session_answers_503(world):
    client = _client(world.agent)
    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="ERP")
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=OperationalError("down")):
        assert_error(client.get("/api/v1/customers"), 503, "unavailable")
        assert_error(client.post("/api/v1/customers", "{}", content_type="application/json"), 503, "unavailable")
        assert_error(_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}), 503, "unavailable")


def test_a_page_shows_a_translated_503_page(world):
    client = _client(world.agent)
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=OperationalError("down")):
        response = client.get(reverse("customer_list"))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "服务暂时不可用" in html and "请几分钟后再试" in html


def test_other_server_errors_stay_500(world):
    client = _client(world.agent)
    with mock.patch("anxin.customers.views.customer_list", side_effect=RuntimeError("bug")):
        response = client.get(reverse("customer_list"))
    assert response.status_code == 500
    assert "出错了" in response.content.decode()
