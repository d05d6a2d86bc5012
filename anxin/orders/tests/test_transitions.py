"""Every rule of the declared state machine (``anxin.orders.workflow.transitions.TRANSITIONS``), through the API.

For each action: each allowed role succeeds from each source status; a role that sees the order
but may not act is refused with 403; every other status is refused with 409 ``invalid_transition``;
leaving out required data is 400 naming the field. A refusal changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.accounts.choices import OrgKind, OutletStatus, Role
from anxin.accounts.models import OrgUnit
from anxin.core.errors import InvalidTransition
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.services import appliance_add
from anxin.feedback.services import callback_record
from anxin.orders.choices import OrderStatus as S
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import SYSTEM, TRANSITIONS

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
    Role.TECHNICIAN: {S.CREATED, S.ROUTED, S.ACCEPTED, S.REJECTED, S.PENDING_APPROVAL},
    Role.OUTLET_MANAGER: {S.CREATED, S.PENDING_APPROVAL},
    Role.PARTS_CLERK: {S.CREATED, S.PENDING_APPROVAL},
}


def _fresh_appliance(world, customer, days_ago: int):
    return appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=days_ago)
    )


def window(days: int = 1) -> dict:
    start = timezone.now() + timedelta(days=days)
    return {"appointment_start": start.isoformat(), "appointment_end": (start + timedelta(hours=2)).isoformat()}


def order_in(world, status: str, *, order_type: str = "repair") -> WorkOrder:
    """An order of the world's region in ``status``, reached through the services like in real life."""
    tech = world.users["technician"]
    if status == S.CREATED:
        # No active outlet covers the address, so routing leaves the order "created".
        OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.SUSPENDED)
        order = world.order(order_type=order_type)
        OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.ACTIVE)
        assert order.status == S.CREATED
        return order
    if status == S.PENDING_APPROVAL:
        # A return / exchange waits for approval from creation on.
        customer = world.customer()
        order = world.order(
            customer=customer, appliance=_fresh_appliance(world, customer, 5), order_type="return_exchange", return_kind="exchange"
        )
        assert order.status == S.PENDING_APPROVAL
        return order
    if status == S.INSTALL_REFUSED:
        order_type = "install"
    order = world.order(order_type=order_type)

    def step(action, actor, data):
        nonlocal order
        data = minimal_report(order) if action == "complete" else data
        order = order_transition(order_id=order.pk, action=action, actor=actor, data=data)

    assign = ("assign", world.dispatcher, {"technician": world.technician.pk})
    on_site = [assign, ("check_in", tech, {})]
    paths = {
        S.ROUTED: [],
        S.ACCEPTED: [("accept", world.dispatcher, {})],
        S.REJECTED: [("reject", world.dispatcher, {"reason": "忙"})],
        S.ASSIGNED: [assign],
        S.CONFIRMED: [assign, ("confirm", tech, {})],
        S.EN_ROUTE: [assign, ("depart", tech, {})],
        S.ON_SITE: on_site,
        S.COMPLETED: [*on_site, ("complete", tech, None)],
        # Cancelled after assignment, so the technician still sees it (their 409 is tested too).
        S.CANCELLED: [assign, ("cancel", world.agent, {"reason": "客户取消"})],
        # Side states, each reached after assignment for the same reason.
        S.RESOLVED_BY_PHONE: [assign, ("resolve_by_phone", world.dispatcher, {"reason": "指导用户复位"})],
        S.PENDING_PARTS: [*on_site, ("pending_parts", tech, {"reason": "压缩机电容"})],
        S.REVISIT: [*on_site, ("revisit", tech, {"reason": "需二次上门"})],
        S.INSTALL_REFUSED: [*on_site, ("refuse_install", tech, {"hazard_type": "no_earth", "reason": "无可靠接地"})],
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
        step(action, actor, data)
    assert order.status == status
    return order


def second_outlet(world) -> OrgUnit:
    """Another working outlet of the world's region (a reroute needs somewhere else to go)."""
    outlet, _ = OrgUnit.objects.get_or_create(
        code="O-HZ-02", defaults={"kind": OrgKind.OUTLET, "parent": world.region, "name": "拱墅特约网点", "city": "杭州市"}
    )
    return outlet


def valid_data(world, action: str) -> dict:
    if action == "reroute":
        return {"outlet": second_outlet(world).pk, "reason": "网点产能不足"}
    return {
        "route": {"outlet": world.outlet.pk},
        "reject": {"reason": "技术员不足"},
        "assign": {"technician": world.technician.pk},
        # Unsatisfied keeps the order at "callback done" (a satisfied callback also closes it).
        "record_callback": {"satisfaction": "unsatisfied", "problem_solved": False},
        "cancel": {"reason": "客户取消"},
        "refuse": {"reason": "非质量问题"},
        "resolve_by_phone": {"reason": "指导用户清洗滤网"},
        "pending_parts": {"reason": "主板 KFR-35-MB"},
        "parts_arrived": window(),
        "revisit": {"reason": "需要专用工具"},
        "schedule_revisit": window(),
        "refuse_install": {"hazard_type": "unsafe_wiring", "reason": "插座无接地"},
    }.get(action, {})


def order_type_for(action: str) -> str:
    """Refusing an install applies only to install orders; every other action to the default repair."""
    return "install" if TRANSITIONS[action].order_types == ("install",) else "repair"


def post_transition(world, persona: str, order: WorkOrder, action: str, data: dict):
    if action == "complete":
        # Completing carries the whole report: its own endpoint, the same transition service.
        body = {"expected_version": order.version, **minimal_report(order), **data}
        return api(world.users[persona]).post(f"/orders/{order.pk}/completion", body)
    body = {"action": action, "expected_version": order.version, **data}
    return api(world.users[persona]).post(f"/orders/{order.pk}/transitions", body)


def snapshot(order: WorkOrder) -> tuple:
    order.refresh_from_db()
    return order.status, order.version, order.outlet_id, order.technician_id, StatusChange.objects.filter(order=order).count()


# Every (action, source, role) of the table, except where the order is out of the role's scope
# (a technician cannot resolve by phone an order nobody assigned to them: that is a 404).
ALLOWED = [
    (t.action, source, role)
    for t in TRANSITIONS.values()
    for source in t.sources
    for role in t.roles
    if role != SYSTEM and source not in OUT_OF_SCOPE.get(role, set())
]
SYSTEM_ONLY = [t.action for t in TRANSITIONS.values() if t.roles == (SYSTEM,)]
WRONG_STATUS = [
    (t.action, status, role)
    for t in TRANSITIONS.values()
    for role in [r for r in t.roles if r != SYSTEM][:1]  # the first human role allowed to take the action
    for status in S.values
    if status not in t.sources and status not in OUT_OF_SCOPE.get(role, set())
]
REQUIRED = [(t.action, name) for t in TRANSITIONS.values() for name in t.required]


def test_the_table_is_covered():
    assert {a for a, _, _ in ALLOWED} == set(TRANSITIONS) - set(SYSTEM_ONLY)
    assert {a for a, _, _ in WRONG_STATUS} == set(TRANSITIONS) - set(SYSTEM_ONLY)
    assert SYSTEM_ONLY == ["submit_for_approval"]
    # Every status of the machine is reached by the fixtures (so every rule is exercised).
    assert {s for _, s, _ in ALLOWED} | {s for _, s, _ in WRONG_STATUS} == set(S.values)


@pytest.mark.parametrize("action,source,role", ALLOWED, ids=[f"{a}-from-{s}-by-{r}" for a, s, r in ALLOWED])
def test_allowed_role_succeeds_from_each_source(world, action, source, role):
    transition = TRANSITIONS[action]
    order = order_in(world, source, order_type=order_type_for(action))
    before = order.version
    response = post_transition(world, PERSONA[role], order, action, valid_data(world, action))
    assert response.status_code == 200, response.content
    body = response.json()
    change = StatusChange.objects.filter(order=order, action=action).latest("id")
    assert (change.action, change.from_status, change.to_status) == (action, source, transition.target)
    assert change.actor == world.users[PERSONA[role]]
    if action == "approve":
        # An approved return / exchange is routed at once, like a new order.
        assert (body["status"], body["version"], body["approval"]) == (S.ROUTED, before + 2, "approved")
    else:
        assert body["status"] == transition.target
        assert body["version"] == before + 1
        assert StatusChange.objects.filter(order=order).latest("id") == change


@pytest.mark.parametrize("source", [S.CREATED, S.ROUTED, S.PENDING_APPROVAL, S.REVISIT, S.CLOSED])
def test_system_only_steps_are_the_systems(world, source):
    """``submit_for_approval`` is taken by the system from "created" only; no person may take it."""
    order = order_in(world, source)
    before = snapshot(order)
    if source in TRANSITIONS["submit_for_approval"].sources:
        order = order_transition(order_id=order.pk, action="submit_for_approval", actor=None)
        assert (order.status, order.approval) == (S.PENDING_APPROVAL, "pending")
        return
    with pytest.raises(InvalidTransition):
        order_transition(order_id=order.pk, action="submit_for_approval", actor=None)
    assert snapshot(order) == before


def test_no_person_may_submit_for_approval(world):
    order = order_in(world, S.CREATED)
    before = snapshot(order)
    for persona in ("hq_manager", "agent", "region_director"):
        assert_error(post_transition(world, persona, order, "submit_for_approval", {}), 403, "forbidden")
    assert snapshot(order) == before


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_roles_not_in_the_table_get_403(world, action):
    transition = TRANSITIONS[action]
    order = order_in(world, transition.sources[0], order_type=order_type_for(action))
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
    order = order_in(world, status, order_type=order_type_for(action))
    before = snapshot(order)
    response = post_transition(world, PERSONA[role], order, action, valid_data(world, action))
    assert_error(response, 409, "invalid_transition")
    assert snapshot(order) == before


@pytest.mark.parametrize("action,field", REQUIRED, ids=[f"{a}-without-{f}" for a, f in REQUIRED])
def test_missing_data_is_400_naming_the_field(world, action, field):
    transition = TRANSITIONS[action]
    role = next(r for r in transition.roles if r != SYSTEM)
    order = order_in(world, transition.sources[0], order_type=order_type_for(action))
    before = snapshot(order)
    data = {k: v for k, v in valid_data(world, action).items() if k != field}
    response = post_transition(world, PERSONA[role], order, action, data)
    assert_error(response, 400, "invalid", fields=(field,))
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "action,field,value",
    [
        ("route", "outlet", 999999),
        ("reroute", "outlet", 999999),
        ("assign", "technician", 999999),
    ],
)
def test_unknown_referenced_objects_are_400_naming_the_field(world, action, field, value):
    transition = TRANSITIONS[action]
    role = next(r for r in transition.roles if r != SYSTEM)
    order = order_in(world, transition.sources[0], order_type=order_type_for(action))
    before = snapshot(order)
    response = post_transition(world, PERSONA[role], order, action, {**valid_data(world, action), field: value})
    assert_error(response, 400, fields=(field,))
    assert snapshot(order) == before


@pytest.mark.parametrize("value", ["ghosts", " "])
def test_a_hazard_type_outside_the_enum_is_422_naming_the_field(world, value):
    """The hazard type is a closed set typed as an enum in the API schema (decision 0028)."""
    transition = TRANSITIONS["refuse_install"]
    role = next(r for r in transition.roles if r != SYSTEM)
    order = order_in(world, transition.sources[0], order_type=order_type_for("refuse_install"))
    before = snapshot(order)
    response = post_transition(world, PERSONA[role], order, "refuse_install", {**valid_data(world, "refuse_install"), "hazard_type": value})
    assert_error(response, 422, fields=("hazard_type",))
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
