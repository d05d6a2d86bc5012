"""Every rule of the declared state machine (``anxin.orders.transitions.TRANSITIONS``), through the API.

For each action: each allowed role succeeds from each source status; a role that sees the order
but may not act is refused with 403; every other status is refused with 409 ``invalid_transition``;
leaving out required data is 400 naming the field. A refusal changes nothing.
"""

from __future__ import annotations

import pytest

from anxin.accounts.choices import OutletStatus, Role
from anxin.accounts.models import OrgUnit
from anxin.core.tests.apiclient import api, assert_error
from anxin.feedback.services import callback_record
from anxin.orders.choices import OrderStatus as S
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.services import order_transition
from anxin.orders.transitions import SYSTEM, TRANSITIONS

# The persona that plays each role (``anxin.testing.build_world``).
PERSONA = {
    Role.HQ_MANAGER: "hq_manager",
    Role.TECH_LEAD: "tech_lead",
    Role.QUALITY: "quality",
    Role.SETTLEMENT: "settlement",
    Role.REGION_DIRECTOR: "region_director",
    Role.AGENT: "agent",
    Role.CALLBACK_AGENT: "callback_agent",
    Role.PARTS_CLERK: "parts_clerk",
    Role.OUTLET_MANAGER: "dispatcher",
    Role.TECHNICIAN: "technician",
    Role.DEALER: "dealer",
}

# Statuses in which the order is not in a role's scope at all (so the answer is 404, not 409):
# a technician sees only orders assigned to them, an outlet only orders routed to it.
OUT_OF_SCOPE = {
    Role.TECHNICIAN: {S.CREATED, S.ROUTED, S.ACCEPTED, S.REJECTED},
    Role.OUTLET_MANAGER: {S.CREATED},
    Role.PARTS_CLERK: {S.CREATED},
}


def order_in(world, status: str) -> WorkOrder:
    """An order of the world's region in ``status``, reached through the services like in real life."""
    tech = world.users["technician"]
    if status == S.CREATED:
        # No active outlet covers the address, so routing leaves the order "created".
        OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.SUSPENDED)
        order = world.order()
        OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.ACTIVE)
        assert order.status == S.CREATED
        return order
    order = world.order()

    def step(action, actor, **data):
        nonlocal order
        order = order_transition(order_id=order.pk, action=action, actor=actor, data=data)

    paths = {
        S.ROUTED: [],
        S.ACCEPTED: [("accept", world.dispatcher, {})],
        S.REJECTED: [("reject", world.dispatcher, {"reason": "忙"})],
        S.ASSIGNED: [("assign", world.dispatcher, {"technician": world.technician.pk})],
        S.CONFIRMED: [("assign", world.dispatcher, {"technician": world.technician.pk}), ("confirm", tech, {})],
        S.EN_ROUTE: [("assign", world.dispatcher, {"technician": world.technician.pk}), ("depart", tech, {})],
        S.ON_SITE: [("assign", world.dispatcher, {"technician": world.technician.pk}), ("check_in", tech, {})],
        S.COMPLETED: [
            ("assign", world.dispatcher, {"technician": world.technician.pk}),
            ("check_in", tech, {}),
            ("complete", tech, {"fault_code": world.fault_easy.pk}),
        ],
        # Cancelled after assignment, so the technician still sees it (their 409 is tested too).
        S.CANCELLED: [("assign", world.dispatcher, {"technician": world.technician.pk}), ("cancel", world.agent, {"reason": "客户取消"})],
    }
    if status in (S.CALLBACK_DONE, S.CLOSED):
        order = order_in(world, S.COMPLETED)
        solved = status == S.CLOSED
        order = callback_record(
            actor=world.callback_agent,
            order_id=order.pk,
            satisfaction="satisfied" if solved else "unsatisfied",
            problem_solved=solved,
        )
        assert order.status == status
        return order
    for action, actor, data in paths[status]:
        step(action, actor, **data)
    assert order.status == status
    return order


def valid_data(world, action: str) -> dict:
    return {
        "route": {"outlet": world.outlet.pk},
        "reject": {"reason": "技术员不足"},
        "assign": {"technician": world.technician.pk},
        "complete": {"fault_code": world.fault_easy.pk, "resolution": "补充冷媒"},
        # Unsatisfied keeps the order at "callback done" (a satisfied callback also closes it).
        "record_callback": {"satisfaction": "unsatisfied", "problem_solved": False},
        "cancel": {"reason": "客户取消"},
    }.get(action, {})


def post_transition(world, persona: str, order: WorkOrder, action: str, data: dict):
    body = {"action": action, "expected_version": order.version, **data}
    return api(world.users[persona]).post(f"/orders/{order.pk}/transitions", body)


def snapshot(order: WorkOrder) -> tuple:
    order.refresh_from_db()
    return order.status, order.version, order.outlet_id, order.technician_id, StatusChange.objects.filter(order=order).count()


ALLOWED = [(t.action, source, role) for t in TRANSITIONS.values() for source in t.sources for role in t.roles if role != SYSTEM]
WRONG_STATUS = [
    (t.action, status, role)
    for t in TRANSITIONS.values()
    for role in [r for r in t.roles if r != SYSTEM][:1]  # the first human role allowed to take the action
    for status in S.values
    if status not in t.sources and status not in OUT_OF_SCOPE.get(role, set())
]
REQUIRED = [(t.action, name) for t in TRANSITIONS.values() for name in t.required]


def test_the_table_is_covered():
    assert {a for a, _, _ in ALLOWED} == set(TRANSITIONS)
    assert {a for a, _, _ in WRONG_STATUS} == set(TRANSITIONS)


@pytest.mark.parametrize("action,source,role", ALLOWED, ids=[f"{a}-from-{s}-by-{r}" for a, s, r in ALLOWED])
def test_allowed_role_succeeds_from_each_source(world, action, source, role):
    transition = TRANSITIONS[action]
    order = order_in(world, source)
    before = order.version
    response = post_transition(world, PERSONA[role], order, action, valid_data(world, action))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == transition.target
    assert body["version"] == before + 1
    change = StatusChange.objects.filter(order=order).latest("id")
    assert (change.action, change.from_status, change.to_status) == (action, source, transition.target)
    assert change.actor == world.users[PERSONA[role]]


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_roles_not_in_the_table_get_403(world, action):
    transition = TRANSITIONS[action]
    order = order_in(world, transition.sources[0])
    before = snapshot(order)
    # Every role that can see this order but is not allowed to take the action.
    refused = [r for r in PERSONA if r not in transition.roles and transition.sources[0] not in OUT_OF_SCOPE.get(r, set())]
    visible = [r for r in refused if WorkOrder.objects.visible_to(world.users[PERSONA[r]]).filter(pk=order.pk).exists()]
    assert Role.TECH_LEAD in visible  # HQ sees every order, so each action has at least one refusal
    for role in visible:
        response = post_transition(world, PERSONA[role], order, action, valid_data(world, action))
        assert_error(response, 403, "forbidden")
        assert snapshot(order) == before, role


@pytest.mark.parametrize("action,status,role", WRONG_STATUS, ids=[f"{a}-from-{s}-by-{r}" for a, s, r in WRONG_STATUS])
def test_wrong_status_is_409_invalid_transition(world, action, status, role):
    order = order_in(world, status)
    before = snapshot(order)
    response = post_transition(world, PERSONA[role], order, action, valid_data(world, action))
    assert_error(response, 409, "invalid_transition")
    assert snapshot(order) == before


@pytest.mark.parametrize("action,field", REQUIRED, ids=[f"{a}-without-{f}" for a, f in REQUIRED])
def test_missing_data_is_400_naming_the_field(world, action, field):
    transition = TRANSITIONS[action]
    role = next(r for r in transition.roles if r != SYSTEM)
    order = order_in(world, transition.sources[0])
    before = snapshot(order)
    data = {k: v for k, v in valid_data(world, action).items() if k != field}
    response = post_transition(world, PERSONA[role], order, action, data)
    assert_error(response, 400, "invalid", fields=(field,))
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "action,field,value", [("route", "outlet", 999999), ("assign", "technician", 999999), ("complete", "fault_code", 999999)]
)
def test_unknown_referenced_objects_are_400_naming_the_field(world, action, field, value):
    transition = TRANSITIONS[action]
    role = next(r for r in transition.roles if r != SYSTEM)
    order = order_in(world, transition.sources[0])
    before = snapshot(order)
    response = post_transition(world, PERSONA[role], order, action, {**valid_data(world, action), field: value})
    assert_error(response, 400, fields=(field,))
    assert snapshot(order) == before


def test_technician_cannot_act_on_a_colleagues_job(world):
    order = order_in(world, S.ROUTED)
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    order.refresh_from_db()
    assert_error(post_transition(world, "technician", order, "check_in", {}), 404, "not_found")
    assert post_transition(world, "senior", order, "check_in", {}).status_code == 200


def test_outsider_outlet_cannot_act(world):
    order = order_in(world, S.ROUTED)
    assert_error(post_transition(world, "outsider_dispatcher", order, "accept", {}), 404, "not_found")


def test_route_by_hand_after_a_rejection(world):
    order = order_in(world, S.REJECTED)
    response = post_transition(world, "agent", order, "route", {"outlet": world.outlet.pk})
    assert response.json()["status"] == "routed"
    assert response.json()["outlet_id"] == world.outlet.pk


@pytest.mark.parametrize("persona", ["agent", "region_director"])
def test_route_only_to_an_outlet_in_scope(world, persona):
    order = order_in(world, S.REJECTED)
    before = snapshot(order)
    response = post_transition(world, persona, order, "route", {"outlet": world.other_outlet.pk})
    assert_error(response, 400, "invalid", fields=("outlet",))
    assert snapshot(order) == before


def test_hq_may_route_anywhere(world):
    order = order_in(world, S.REJECTED)
    response = post_transition(world, "hq_manager", order, "route", {"outlet": world.other_outlet.pk})
    assert response.json()["outlet_id"] == world.other_outlet.pk


def test_satisfied_callback_through_transitions_also_closes(world):
    order = order_in(world, S.COMPLETED)
    response = post_transition(world, "callback_agent", order, "record_callback", {"satisfaction": "very_satisfied"})
    assert response.json()["status"] == "closed"
