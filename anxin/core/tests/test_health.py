from __future__ import annotations

from unittest import mock

from django.db import OperationalError, connections
from django.test import Client


def test_healthz_checks_the_database(db):
    with mock.patch.object(connections["default"], "cursor", wraps=connections["default"].cursor) as cursor:
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert cursor.called  # a real round trip, not a constant answer
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable(db):
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("connection refused")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unreachable"


def test_healthz_needs_no_login(db):
    assert Client().get("/healthz").status_code == 200


def test_healthz_refuses_post(db):
    assert Client().post("/healthz").status_code == 405
