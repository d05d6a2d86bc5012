"""Database connections are reused across requests (issue 11 item 5, decision 0050): a request
through the real WSGI handler — which closes connections past their age at each request's start and
end — opens no new connection, so SQLite's PRAGMAs run once per connection, not once per request."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.backends.signals import connection_created
from django.test.client import RequestFactory


def wsgi_get(handler: WSGIHandler, path: str) -> str:
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    response = handler(environ, start_response)
    b"".join(response)
    response.close()  # request_finished: where a connection past its age is closed
    return answer["status"]


@pytest.mark.django_db(transaction=True)  # outside a test transaction, as in production
def test_requests_reuse_one_connection():
    handler = WSGIHandler()
    assert wsgi_get(handler, "/healthz").startswith("200")  # /healthz runs a query
    first = connection.connection
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(count)
    try:
        for _ in range(3):
            assert wsgi_get(handler, "/healthz").startswith("200")
    finally:
        connection_created.disconnect(count)
    assert opened == []
    assert connection.connection is first
    if connection.vendor == "sqlite":  # the PRAGMAs run when the connection opened still hold
        with connection.cursor() as cursor:
            pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "foreign_keys", "busy_timeout")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 20000}
