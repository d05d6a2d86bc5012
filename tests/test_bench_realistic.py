"""The benchmarks' realistic world (bench/realistic.py, decision 0047) obeys the domain's own rules:
orders go to an outlet the routing rule would pick, to a technician the assignment rule accepts, with
lines on the customer's own appliances. No timings are asserted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import realistic  # noqa: E402
from _common import percentile, summary  # noqa: E402


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 95) == 95
    assert percentile(values, 50) == 50
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 95) == 0.0
    assert summary([3.0, 1.0, 2.0]) == {"p50": 2.0, "p95": 3.0, "max": 3.0}


def test_cardinalities_at_one_million():
    assert realistic.cardinalities(1_000_000) == {"customers": 200_000, "outlets": 500, "technicians": 3_000}
    assert realistic.cardinalities(20_000)["outlets"] == 30  # small scales keep routing choices


@pytest.mark.django_db(transaction=True)
def test_world_follows_routing_and_qualification():
    from anxin.dispatch.services import technician_assignment_problems
    from anxin.network.selectors import outlets_covering
    from anxin.orders.models import WorkOrder

    world = realistic.build(orders=600, customers=120, outlets=30, technicians=180, seed=3, log=lambda *a, **k: None)
    sizes = world.sizes()
    assert sizes == {"customers": 120, "outlets": 30, "technicians": 180}
    orders = list(
        WorkOrder.objects.prefetch_related("lines__product_model", "lines__fault_code", "lines__appliance").select_related("address")
    )
    assert len(orders) == 600
    assert len({o.customer_id for o in orders}) == 120  # every customer has orders, not a handful reused
    assert len({o.outlet_id for o in orders if o.outlet_id}) > 10
    assigned = 0
    for order in orders:
        assert all(line.appliance.customer_id == order.customer_id for line in order.lines.all())
        if order.outlet_id is None:
            continue
        categories = {line.product_model.category_id for line in order.lines.all()}
        covering = outlets_covering(division_code=order.address.division_code, category_ids=categories)
        assert order.outlet_id in {o.pk for o in covering}
        if order.technician_id is not None:
            assigned += 1
            assert technician_assignment_problems(order=order, technician=order.technician) == []
    assert assigned > 400


@pytest.mark.django_db(transaction=True)
def test_todays_jobs_and_agents_follow_the_rules():
    """bench/requests.py's day: every active technician gets 5–15 open field jobs with an appointment
    today, on customers their outlet covers, that the assignment rule lets them take; agents are bound
    to extensions of their own."""
    from django.utils import timezone

    from anxin.accounts.choices import Role
    from anxin.accounts.models import User
    from anxin.dispatch.services import technician_assignment_problems
    from anxin.network.models import Technician
    from anxin.network.selectors import outlets_covering
    from anxin.orders.choices import FIELD_STATUSES
    from anxin.orders.models import WorkOrder

    network = realistic.build_network(30, 180, seed=5)
    customers, _s = realistic.load_customers(3000, 5, network)
    jobs = realistic.load_today_jobs(network, customers, seed=5)["jobs"]
    active = set(Technician.objects.filter(active=True).values_list("pk", flat=True))
    assert set(jobs) <= active
    assert len(jobs) > 0.8 * len(active)
    assert all(len(v) <= 15 and v[0][1] == "assigned" for v in jobs.values())
    assert sum(1 for v in jobs.values() if len(v) >= 5) > 0.9 * len(jobs)  # but a specialist short of customers
    ids = [order_id for v in jobs.values() for order_id, _status in v]
    orders = WorkOrder.objects.filter(pk__in=ids).select_related("address", "technician").prefetch_related("lines__product_model")
    today = timezone.localdate()
    seen = 0
    for order in orders:
        seen += 1
        assert order.status in FIELD_STATUSES
        assert timezone.localtime(order.appointment_start).date() == today
        categories = {line.product_model.category_id for line in order.lines.all()}
        covering = outlets_covering(division_code=order.address.division_code, category_ids=categories)
        assert order.outlet_id in {o.pk for o in covering}
        assert technician_assignment_problems(order=order, technician=order.technician) == []
    assert seen == len(ids)
    agents = realistic.add_agents(network, 40, seed=5)
    extensions = [ext for _u, ext, _r in agents]
    assert len(set(extensions)) == 40
    assert User.objects.filter(pk__in=[u for u, _e, _r in agents], role=Role.AGENT).exclude(extension="").count() == 40
