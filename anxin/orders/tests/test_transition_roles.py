"""Who may take which step of a work order: a table written out by hand, not derived from the code.

``test_transitions`` derives its cases from ``TRANSITIONS``, so a role granted by mistake there
would pass it. This table is written from DOMAIN.md's role table and the rules of the house
(decision 0038): it is compared with the declared table, with the buttons the order page offers
(``available_actions``), and with what ``order_transition`` really does for every role × action on
an order in a valid source status — allowed: the step is taken; refused: ``PermissionDenied`` and
nothing changed.
"""

from __future__ import annotations

import pytest

from anxin.accounts.choices import Role
from anxin.core.errors import PermissionDenied
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.tests.test_transitions import OUT_OF_SCOPE, PERSONA, order_in, order_type_for, snapshot, valid_data
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import SYSTEM, TRANSITIONS, available_actions

HQ = Role.HQ_MANAGER
LEAD = Role.TECH_LEAD
QUALITY = Role.QUALITY
SETTLEMENT = Role.SETTLEMENT
DIRECTOR = Role.REGION_DIRECTOR
AGENT = Role.AGENT
CALLBACK = Role.CALLBACK_AGENT
PARTS = Role.PARTS_CLERK
OUTLET = Role.OUTLET_MANAGER
TECH = Role.TECHNICIAN
DEALER = Role.DEALER

# action: the roles that may take it. Written by hand — do not build it from TRANSITIONS.
# - The system routes new orders, asks for approval of returns / exchanges, and closes the loop
#   after a satisfied callback.
# - Returns / exchanges are decided by the HQ manager, the regional director or the quality
#   specialist (major quality problems), never by the outlet that would do the work.
# - The hotline (agent), the regional director and HQ route, reroute and cancel; the outlet
#   manager (dispatcher) accepts, rejects and assigns; only the technician does field work
#   (depart, check in, complete, revisit, refuse an unsafe install).
# - A problem solved on the phone may be closed by whoever solved it: agent, outlet, technician, HQ.
# - Parts: the technician or the outlet puts a job on hold; the parts clerk may also release it.
# - The callback is the callback agent's (HQ may stand in); closing also the regional director's.
# - The technical lead, the settlement clerk and the dealer never move an order.
ROLE_TABLE: dict[str, set[str]] = {
    "submit_for_approval": {SYSTEM},
    "approve": {HQ, DIRECTOR, QUALITY},
    "refuse": {HQ, DIRECTOR, QUALITY},
    "route": {SYSTEM, AGENT, DIRECTOR, HQ},
    "reroute": {AGENT, DIRECTOR, HQ},
    "accept": {OUTLET},
    "reject": {OUTLET},
    "assign": {OUTLET},
    "confirm": {OUTLET, TECH},
    "depart": {TECH},
    "check_in": {TECH},
    "complete": {TECH},
    "resolve_by_phone": {AGENT, OUTLET, TECH, HQ},
    "pending_parts": {TECH, OUTLET},
    "parts_arrived": {OUTLET, TECH, PARTS},
    "revisit": {TECH},
    "schedule_revisit": {OUTLET, TECH},
    "refuse_install": {TECH},
    "record_callback": {CALLBACK, HQ},
    "close": {SYSTEM, CALLBACK, HQ, DIRECTOR},
    "cancel": {AGENT, HQ, DIRECTOR},
}
NEVER_ACT = {LEAD, SETTLEMENT, DEALER}
ROLES = [*Role.values, SYSTEM]

CASES = [(action, role) for action in ROLE_TABLE for role in ROLES]
ALLOWED = [(a, r) for a, r in CASES if r in ROLE_TABLE[a]]
REFUSED = [(a, r) for a, r in CASES if r not in ROLE_TABLE[a]]


def test_every_role_and_action_is_in_the_hand_written_table():
    assert set(ROLE_TABLE) == set(TRANSITIONS)
    assert set(PERSONA) == set(Role.values)
    assert all(not (roles & NEVER_ACT) for roles in ROLE_TABLE.values())


@pytest.mark.parametrize("action", list(ROLE_TABLE))
def test_declared_roles_are_the_hand_written_ones(action):
    declared = set(TRANSITIONS[action].roles)
    assert declared == ROLE_TABLE[action], {"granted by mistake": declared - ROLE_TABLE[action], "missing": ROLE_TABLE[action] - declared}


def _data(world, action: str, order: WorkOrder) -> dict:
    return minimal_report(order) if action == "complete" else valid_data(world, action)


def _actor(world, role: str):
    return None if role == SYSTEM else world.users[PERSONA[role]]


def _source_for(action: str, role: str | None = None) -> str:
    """The first source status of the action in which the role can see the order at all (a
    technician or an outlet cannot resolve by phone an order not yet routed to them)."""
    return next(s for s in TRANSITIONS[action].sources if s not in OUT_OF_SCOPE.get(role, set()))


@pytest.mark.parametrize("action,role", ALLOWED, ids=[f"{a}-by-{r}" for a, r in ALLOWED])
def test_an_allowed_role_takes_the_step(world, action, role):
    source = _source_for(action, role)
    order = order_in(world, source, order_type=order_type_for(action))
    actor = _actor(world, role)
    if actor is not None:
        assert action in {t.action for t in available_actions(order, actor)}
    before = order.version
    done = order_transition(order_id=order.pk, action=action, actor=actor, data=_data(world, action, order))
    change = StatusChange.objects.filter(order=order, action=action).get()
    assert (change.from_status, change.to_status, change.actor) == (source, TRANSITIONS[action].target, actor)
    # An approved return / exchange is routed at once by the system: two steps.
    assert done.version == before + (2 if action == "approve" else 1)


@pytest.mark.parametrize("action", list(ROLE_TABLE))
def test_every_other_role_is_refused_and_nothing_changes(world, action):
    """One order in the action's first source status, made visible to every persona (a technician
    sees only their jobs, a dealer only its own orders, an outlet only orders routed to it), so the
    only thing that can refuse them is the role."""
    order = order_in(world, _source_for(action), order_type=order_type_for(action))
    WorkOrder.objects.filter(pk=order.pk).update(technician=world.technician, dealer=world.dealer, outlet=world.outlet)
    before = snapshot(order)
    refused = [r for a, r in REFUSED if a == action]
    assert refused  # every action is refused to somebody (at least the technical lead)
    for role in refused:
        actor = _actor(world, role)
        if actor is not None:
            assert WorkOrder.objects.visible_to(actor).filter(pk=order.pk).exists(), role
            assert action not in {t.action for t in available_actions(order, actor)}, role
        with pytest.raises(PermissionDenied):
            order_transition(order_id=order.pk, action=action, actor=actor, data=_data(world, action, order))
        assert snapshot(order) == before, role
