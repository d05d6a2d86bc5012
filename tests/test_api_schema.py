"""Schemathesis against the live API (WSGI, the test world's data): for every operation of the
OpenAPI document, as an HQ token and as an outlet token, generated requests — valid ones, ones
with the world's real ids in the path, and invalid ones — must never answer 5xx, and every answer
must match what the document says (status code, content type, body schema).

Bounded and deterministic: ``EXAMPLES`` cases per operation and persona, derandomized, no shrinking,
no example database. A failure prints each operation, the check that failed and a curl line.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from anxin.accounts.services import api_token_create
from anxin.api import api
from anxin.complaints.services import ComplaintInput, complaint_create
from anxin.notifications.services import notify

EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = ("hq_manager", "dispatcher")  # an HQ token and an outlet token

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = WSGIHandler()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
def live_wsgi():
    """Requests run in the test's transaction: the WSGI handler must not close the connection
    between them (Django's own test client disconnects the same receivers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _world_ids(world) -> dict[str, list[int]]:
    """Ids that exist, so that generated requests reach the handlers and not only their 404."""
    order = world.order()
    other = world.order(customer=world.customer(name="李雷", phone="13900009999", address="江苏省南京市玄武区中山路1号"))
    complaint = complaint_create(
        actor=world.agent,
        data=ComplaintInput(customer_id=order.customer_id, order_id=order.pk, category="timeliness", description="迟到"),
    )
    notify([world.hq_manager, world.dispatcher], kind="test", title="t", order=order)
    token, _ = api_token_create(actor=world.hq_manager, user=world.agent, name="spare")
    return {
        "order_id": [order.pk, other.pk],
        "customer_id": [order.customer_id, other.customer_id],
        "complaint_id": [complaint.pk],
        "token_id": [token.pk],
    }


def _strategy(operation, ids: dict[str, list[int]]):
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = [p.name for p in operation.path_parameters]
    if names and all(n in ids for n in names):
        for i in range(max(len(ids[n]) for n in names)):
            fixed = {n: ids[n][min(i, len(ids[n]) - 1)] for n in names}
            strategies.insert(0, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    return st.one_of(strategies)


def _run(operation, ids, headers) -> list[str]:
    failures: dict[str, str] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, ids))
    def check(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collected and reported below, one per kind
            # The first 3,000 characters say what failed and how to reproduce it (bodies can be MBs).
            failures.setdefault(type(exc).__name__ + str(exc)[:120], f"{operation.label}: {str(exc)[:3000]}")

    check()
    return list(failures.values())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_api_answers_as_documented(world, live_wsgi, operation, persona):
    ids = _world_ids(world)
    _, raw = api_token_create(actor=world.hq_manager, user=world.users[persona], name="schemathesis")
    failures = _run(operation, ids, {"Authorization": f"Bearer {raw}"})
    assert not failures, "\n\n".join(failures)


def test_the_document_lists_every_error_response():
    """Every operation documents the error format for its error statuses."""
    document = api.get_openapi_schema()
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"400", "401", "403", "422", "429", "503"}
            expected |= {"404"} if "{" in path else set()
            expected |= {"409"} if method != "get" else set()
            assert expected <= codes, (method, path, codes)
            for code in expected:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error"


def test_closed_sets_are_documented_as_enums():
    document = api.get_openapi_schema()

    def query_enum(path, name):
        (param,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        schema = param["schema"]
        return next(s["enum"] for s in schema.get("anyOf", [schema]) if "enum" in s)

    assert set(query_enum("/api/v1/orders", "sla")) == {"on_track", "at_risk", "breached"}
    assert {"to_accept", "my_jobs", "repeats"} <= set(query_enum("/api/v1/orders", "queue"))
    assert "created" in query_enum("/api/v1/orders", "status")
    schemas = document["components"]["schemas"]
    assert {"accept", "complete", "record_callback"} <= set(schemas["TransitionIn"]["properties"]["action"]["enum"])
    assert {"ringing", "answered", "ended"} == set(schemas["CallEventIn"]["properties"]["event"]["enum"])
    (param,) = [
        p for p in document["paths"]["/api/v1/complaints/{complaint_id}/actions/{action}"]["post"]["parameters"] if p["name"] == "action"
    ]
    assert set(param["schema"]["enum"]) == {"assign", "escalate", "resolve", "close", "reopen"}
