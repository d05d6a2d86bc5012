"""Every demo scale seeds (issue 9 item 10): the steps planned for each order follow the declared
state machine from where ``order_create`` leaves it, and seeding a plan that holds the hard cases
(a return / exchange planned as routed) ends every order in its planned status, on SQLite and on
PostgreSQL (CI runs the suite on both; `.ci/run` also seeds ``medium`` once)."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest
from django.core.management import call_command

from anxin.demo.builder import order_steps
from anxin.demo.plan import SCALES, make_plan
from anxin.orders.choices import OrderStatus, OrderType
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.transitions import TRANSITIONS

pytestmark = pytest.mark.xdist_group("seed_demo")

# Builder step → the declared action it takes (a reroute of a rejected order is a plain route).
STEP_ACTION = {"reroute": "route", "callback": "record_callback"}


@cache
def plan(scale: str, seed: int):
    return make_plan(scale, seed)


def walk(spec) -> str:
    """The status the builder's steps reach, by the transition table alone."""
    if spec.order_type == OrderType.RETURN_EXCHANGE:
        status = TRANSITIONS["submit_for_approval"].target  # order_create holds it for approval
    elif spec.status == OrderStatus.CREATED:
        status = OrderStatus.CREATED  # planned on an address no outlet covers
    else:
        status = TRANSITIONS["route"].target  # dispatch routes it on order.created
    for step in order_steps(spec):
        transition = TRANSITIONS[STEP_ACTION.get(step, step)]
        assert status in transition.sources, f"{step} from {status} ({spec.order_type}, planned {spec.status})"
        status = transition.target
        if step == "approve":
            status = TRANSITIONS["route"].target  # dispatch routes it on order.approve
        if step == "callback" and spec.status == OrderStatus.CLOSED:
            status = TRANSITIONS["close"].target  # satisfied and solved: the callback closes it
    return status


@pytest.mark.parametrize(("scale", "seeds"), [("tiny", range(1, 21)), ("small", range(1, 21)), ("medium", (1, 2, 3)), ("large", (1,))])
def test_every_planned_order_reaches_its_status_through_the_state_machine(scale, seeds):
    for seed in seeds:
        for spec in plan(scale, seed).orders:
            assert walk(spec) == spec.status, f"{scale} seed {seed}: {spec.order_type} planned {spec.status}"


def first_seed_with_a_routed_return(scale: str) -> int:
    return next(
        seed
        for seed in range(1, 100)
        if any(o.order_type == OrderType.RETURN_EXCHANGE and o.status == OrderStatus.ROUTED for o in plan(scale, seed).orders)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_scale_seeds_every_order_into_its_planned_status(scale):
    """``medium`` failed with "order WO… ended in pending_approval, planned routed": a return /
    exchange planned as routed was never approved. The smaller scales hit the same case with
    another seed; ``medium`` and ``large`` are too slow for the suite (CI seeds ``medium``)."""
    seed = first_seed_with_a_routed_return(scale)
    call_command("seed_demo", "--scale", scale, "--seed", str(seed), verbosity=0)
    assert Counter(WorkOrder.objects.values_list("status", flat=True)) == Counter(o.status for o in plan(scale, seed).orders)
    assert set(SCALES) == {"tiny", "small", "medium", "large"}  # a new scale gets a line above or in CI
