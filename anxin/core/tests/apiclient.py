"""A thin JSON client for API tests: ``api(user)`` logs in by session, ``api(token=raw)`` sends a bearer token."""

from __future__ import annotations

import json

from django.test import Client

BASE = "/api/v1"


class ApiClient:
    def __init__(self, user=None, *, token: str | None = None, client: Client | None = None):
        self.client = client or Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def _url(self, path: str) -> str:
        return path if path.startswith(BASE) else f"{BASE}{path}"

    def get(self, path: str, **params):
        return self.client.get(self._url(path), params, headers=self.headers)

    def post(self, path: str, data=None, *, key: str | None = None, raw: bytes | str | None = None, headers: dict | None = None):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        all_headers = {**self.headers, **(headers or {})}
        if key is not None:
            all_headers["Idempotency-Key"] = key
        return self.client.post(self._url(path), body, content_type="application/json", headers=all_headers)

    def delete(self, path: str):
        return self.client.delete(self._url(path), headers=self.headers)


def api(user=None, *, token: str | None = None, client: Client | None = None) -> ApiClient:
    return ApiClient(user, token=token, client=client)


def assert_error(response, status: int, code: str | None = None, *, fields: tuple[str, ...] = ()) -> dict:
    """The one API error format: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["fields"], dict), error
    if code is not None:
        assert error["code"] == code, error
    for name in fields:
        assert name in error["fields"], error
        assert error["fields"][name], error
    return error
