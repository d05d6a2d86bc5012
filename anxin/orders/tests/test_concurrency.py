"""Two dispatchers race for the same order: exactly one wins, the other is told 409, one status change.

Real threads, each with its own database connection, against a committed database
(``transactional_db``): on PostgreSQL the order row is locked ``FOR UPDATE``; on SQLite the
IMMEDIATE transaction serialises the writers. Either way the loser re-reads the row after the
winner committed and is refused by the version or the status check.
"""

from __future__ import annotations

import time

import pytest

from anxin.accounts.choices import Role
from anxin.accounts.services import user_create
from anxin.core.tests.apiclient import api
from anxin.network.models import Technician
from anxin.orders.choices import OrderStatus
from anxin.orders.models import StatusChange
from anxin.orders.workflow import grading
from anxin.testing import PASSWORD, build_world, race


@pytest.fixture
def race_world(transactional_db, monkeypatch):
    # Widen the race window: the eligibility check runs after the row is read (and locked), so a
    # missing lock would let both racers pass it. Without this pause the overlap is left to luck.
    real_check = grading.technician_assignment_problems

    def slow_check(**kwargs):
        time.sleep(0.2)
        return real_check(**kwargs)

    monkeypatch.setattr(grading, "technician_assignment_problems", slow_check)

    world = build_world()
    # A second dispatcher of the same outlet: "two dispatchers" are two people, not one twice.
    world.users["dispatcher2"] = user_create(
        username="dispatcher2", password=PASSWORD, role=Role.OUTLET_MANAGER, org_unit=world.outlet, display_name="dispatcher2"
    )
    return world


def assign_request(world, persona: str, order, technician: Technician, *, expected_version: int | None):
    client = api(world.users[persona])  # logged in before the race starts
    body = {"action": "assign", "technician": technician.pk}
    if expected_version is not None:
        body["expected_version"] = expected_version

    def send():
        response = client.post(f"/orders/{order.pk}/transitions", body)
        return response.status_code, response.json()

    return send


@pytest.mark.parametrize("with_version", [True, False], ids=["expected_version", "no_version"])
def test_two_dispatchers_assign_at_once_one_wins(race_world, with_version):
    world = race_world
    order = world.order()
    version = order.version if with_version else None
    results = race(
        [
            assign_request(world, "dispatcher", order, world.technician, expected_version=version),
            assign_request(world, "dispatcher2", order, world.senior_technician, expected_version=version),
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == ("stale_version" if with_version else "invalid_transition")
    winner = next(body for status, body in results if status == 200)

    order.refresh_from_db()
    assert order.status == OrderStatus.ASSIGNED
    assert order.version == version + 1 if with_version else order.version == 3
    assert order.technician_id == winner["technician_id"]
    assert StatusChange.objects.filter(order=order, action="assign").count() == 1
    assert order.history.filter(status=OrderStatus.ASSIGNED).count() == 1


def test_many_racers_still_one_winner(race_world):
    world = race_world
    order = world.order()
    racers = [
        assign_request(world, persona, order, tech, expected_version=order.version)
        for persona in ("dispatcher", "dispatcher2")
        for tech in (world.technician, world.senior_technician)
    ]
    results = race(racers)
    assert sorted(status for status, _ in results) == [200, 409, 409, 409], results
    assert StatusChange.objects.filter(order=order, action="assign").count() == 1
