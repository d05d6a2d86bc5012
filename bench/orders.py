"""Work-order benchmark on realistic data: the full transition chain over HTTP and the order list at scale.

    .venv/bin/python bench/orders.py --scale 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_orders_bench .venv/bin/python bench/orders.py --scale 1000000

The database is private (a temporary SQLite file, or the PostgreSQL database named by
``DATABASE_URL``, whose name must contain "bench": it is emptied). It holds a realistic world
(``bench/realistic.py``, decision 0047): at ``--scale`` 1,000,000 orders, 200,000 customers with
their phones, addresses in real districts of six cities and appliances; 500 outlets in six regions
with coverage rows (division-code prefix × category) and 3,000 technicians with grades and skills.
The orders (one to three lines on the customer's own appliances, a realistic status mix and SLA
deadlines) are skewed as real ones are — most customers have 1–10, a few outlets and technicians
are much busier — routed by the coverage rule and assigned to technicians the qualification rule
accepts; they are bulk-loaded with plain INSERTs (SQLite ``executemany``) or ``COPY``
(PostgreSQL), never the ORM per row, then the customer-access table is rebuilt when the order side
has one, and the customers' search index is built (``rebuild_index``). Then:

1. ``--chain`` orders (default 200) for customers picked across the archive go through
   create → accept → assign → confirm → depart → check_in → complete → callback → close over the
   HTTP API (a real gunicorn server, API tokens of the acting people): creation routes for real
   (``dispatch.services.route_new_order``, in the creating transaction) to whichever outlet covers
   the customer's address, that outlet's manager accepts, and assigns a technician of that outlet
   that ``dispatch.services.technician_assignment_problems`` accepts (every 20th order first tries
   one it refuses: the server must refuse it too); against as many plain ``WorkOrder.objects.create``
   calls in the same run → ratio;
2. the main order list (``/orders/?queue=all&sla=…``, first page with its count and the queue
   tabs) as the manager of the busiest outlet, its regional director and HQ, for each SLA filter
   and without one (the default page, in urgency order), and its search box with an order number:
   p50 / p95 (nearest rank, ``_common.percentile``). Target: p95 ≤ 150 ms at 1M orders.

Last line::

    RESULT orders db=… orders=… customers=… outlets=… technicians=… chain_orders_per_s=… orm_inserts_per_s=… ratio=…
           list_p95_ms_max=… <role>_<sla>_p95_ms=… access_rebuild_s=… peak_rss_mb=…
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import realistic  # noqa: E402
from _common import ApiClient, Env, PeakRss, Server, close_db_connections, percentile, result_line, setup_django  # noqa: E402
from core_loop import orm_baseline  # noqa: E402

ROLES = ("outlet", "region", "hq")
# The SLA filters of the list, and "" for the list without one (the default page, urgency order).
SLAS = ("breached", "at_risk", "on_track", "")


class Actors:
    """An API client per acting user, its token made the first time the user acts (a manager or a
    technician of whichever outlet the routing picked)."""

    def __init__(self, port: int, admin_id: int):
        from anxin.accounts.models import User

        self.port = port
        self.admin = User.objects.get(pk=admin_id)
        self.clients: dict[int, ApiClient] = {}

    def __call__(self, user_id: int) -> ApiClient:
        if user_id not in self.clients:
            from anxin.accounts.models import User
            from anxin.accounts.services import api_token_create

            user = User.objects.get(pk=user_id)
            self.clients[user_id] = ApiClient(self.port, api_token_create(actor=self.admin, user=user, name="bench")[1])
        return self.clients[user_id]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def completion_report(order_id: int, network) -> dict:
    """A complete report for the order: the orders app's own test fixture (every line diagnosed, the 1+5
    checklist done, a tiny PNG signature; out-of-warranty lines carry an accepted 0 quote)."""
    from anxin.orders.models import WorkOrder
    from anxin.orders.tests.helpers import minimal_report

    return minimal_report(WorkOrder.objects.get(pk=order_id))


def assignable(order_id: int) -> tuple[list[int], list[int]]:
    """(accepted, refused) technician ids of the order's outlet by the domain's assignment rule."""
    from anxin.dispatch.services import technician_assignment_problems
    from anxin.network.models import Technician
    from anxin.orders.models import WorkOrder

    order = WorkOrder.objects.prefetch_related("lines__product_model", "lines__fault_code").get(pk=order_id)
    accepted, refused = [], []
    for t in Technician.objects.filter(outlet_id=order.outlet_id).prefetch_related("skills").order_by("pk"):
        (refused if technician_assignment_problems(order=order, technician=t) else accepted).append(t.pk)
    return accepted, refused


def run_chain(port: int, world, n: int, seed: int) -> dict:
    """``n`` orders through the whole chain; returns failures, seconds, errors and what routing and
    assignment did (distinct outlets and technicians, refusals)."""
    from django.utils import timezone

    from anxin.network.models import Technician

    network = world.network
    tech_users = dict(Technician.objects.values_list("pk", "user_id"))
    actors = Actors(port, network.admin_id)
    rng = random.Random(seed + 7)
    out = {"failures": 0, "errors": [], "outlets": set(), "technicians": set(), "refused": 0, "candidates": 0, "server_refusals": 0}

    def step(client, path: str, body: dict, want: str, name: str, want_status: int = 200) -> dict | None:
        status, data, _ = client.post(path, body)
        if status != want_status or data.get("status") != want:
            out["failures"] += 1
            if len(out["errors"]) < 5:
                out["errors"].append(f"{name}: HTTP {status} {str(data)[:300]}")
            return None
        return data

    picks = rng.sample(range(len(world.customers)), k=min(n, len(world.customers)))
    picks += rng.choices(range(len(world.customers)), k=n - len(picks))
    started = time.perf_counter()
    for i, pick in enumerate(picks):
        customer = world.customers[pick]
        appliance_id = rng.choice(customer.appliances)[0]
        start = timezone.now() + timedelta(hours=2)
        body = {
            "customer_id": customer.id,
            "order_type": "repair",
            "channel": "api",
            "appointment_start": start.isoformat(),
            "appointment_end": (start + timedelta(hours=2)).isoformat(),
            "lines": [{"appliance_id": appliance_id, "symptom": "空调室内机漏水"}],
        }
        data = step(actors(network.agents[customer.region_id]), "/api/v1/orders", body, "routed", "create", 201)
        if data is None:
            continue
        order_id, outlet_id = data["id"], data["outlet_id"]
        out["outlets"].add(outlet_id)
        path = f"/api/v1/orders/{order_id}/transitions"
        manager = actors(network.managers[outlet_id])
        if step(manager, path, {"action": "accept"}, "accepted", "accept") is None:
            continue
        accepted, refused = assignable(order_id)
        out["candidates"] += len(accepted) + len(refused)
        out["refused"] += len(refused)
        if refused and i % 20 == 0:  # the server applies the same rule: an unqualified one is refused
            status, _data, _ = manager.post(path, {"action": "assign", "technician": refused[0]})
            if status < 400:
                out["failures"] += 1
                out["errors"].append(f"assign: technician {refused[0]} refused by the rule but accepted by the server")
                continue
            out["server_refusals"] += 1
        if not accepted:
            out["failures"] += 1
            out["errors"].append(f"assign: no qualified technician at outlet {outlet_id}")
            continue
        technician = rng.choice(accepted)
        out["technicians"].add(technician)
        if step(manager, path, {"action": "assign", "technician": technician}, "assigned", "assign") is None:
            continue
        tech = actors(tech_users[technician])
        chain = (("confirm", "confirmed"), ("depart", "en_route"), ("check_in", "on_site"))
        if not all(step(tech, path, {"action": action}, want, action) for action, want in chain):
            continue
        report = completion_report(order_id, network)
        if step(tech, f"/api/v1/orders/{order_id}/completion", report, "completed", "complete") is None:
            continue
        callback = actors(network.callback_agents[customer.region_id])
        status, got, _ = callback.post(f"/api/v1/orders/{order_id}/callback", {"satisfaction": "very_satisfied", "comment": "师傅很专业"})
        if status != 200:
            out["failures"] += 1
            out["errors"].append(f"callback: HTTP {status} {str(got)[:300]}")
            continue
        if got.get("status") != "closed":
            step(callback, path, {"action": "close"}, "closed", "close")
    out["seconds"] = time.perf_counter() - started
    actors.close()
    return out


def measure_list(world, rounds: int, profile: bool = False) -> dict[str, list[float]]:
    """Milliseconds per request of ``/orders/?queue=all&sla=…`` (the page: first rows and their bounded
    count), per role; and of the tab counts the page fetches right after it (``*_tabs``)."""
    from django.test import Client

    from anxin.accounts.models import User
    from anxin.orders.models import WorkOrder

    network = world.network
    outlet = world.busiest_outlet()
    users = {
        "outlet": User.objects.get(pk=network.managers[outlet]),
        "region": User.objects.get(pk=network.directors[network.outlets[outlet].region_id]),
        "hq": User.objects.get(pk=network.admin_id),
    }
    timings: dict[str, list[float]] = {}
    # An order number to type into the search box: the middle one of the loaded orders.
    searched = WorkOrder.objects.filter(pk=max(1, WorkOrder.objects.count() // 2)).values_list("number", flat=True).first() or "WO"
    for role, user in users.items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for sla in SLAS:
            url = f"/orders/?queue=all&sla={sla}" if sla else "/orders/?queue=all"
            timings[f"{role}_{sla or 'unfiltered'}"], _response = timed_gets(client, url, rounds, role, warm_up=3)
            if profile:
                from django.db import connection
                from django.test.utils import CaptureQueriesContext

                with CaptureQueriesContext(connection) as ctx:
                    client.get(url)
                for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:4]:
                    print(f"  {role} {sla} {q['time']} s  {q['sql'][:400]}")
        # The search box with an order number (an index lookup, not a scan of every number).
        url = f"/orders/?queue=all&q={searched}"
        timings[f"{role}_search"], response = timed_gets(client, url, rounds, role)
        if role == "hq" and searched.encode() not in response.content:
            raise SystemExit(f"{url} as {role}: the order is not on the page")
        # The tab counts the page loads right after it (one request per page view).
        timings[f"{role}_tabs"], _response = timed_gets(client, "/orders/tabs/?queue=all", rounds, role)
    return timings


def timed_gets(client, url: str, rounds: int, role: str, *, warm_up: int = 1):
    """Milliseconds of ``rounds`` GETs of ``url`` after ``warm_up`` untimed ones (caches, prepared
    plans), and the last response; any answer but 200 stops the benchmark."""
    for _ in range(warm_up):
        client.get(url)
    values = []
    for _ in range(rounds):
        t = time.perf_counter()
        response = client.get(url)
        values.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} as {role}: HTTP {response.status_code}")
    return values, response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="existing orders (default 1,000,000)")
    parser.add_argument("--customers", type=int, help="customers (default: scale / 5, i.e. 200,000 at 1M)")
    parser.add_argument("--outlets", type=int, help="outlets (default: scale / 2,000, at least 30; 500 at 1M)")
    parser.add_argument("--technicians", type=int, help="technicians (default: 6 per outlet; 3,000 at 1M)")
    parser.add_argument("--chain", type=int, default=200, help="orders through the HTTP chain (default 200)")
    parser.add_argument("--rounds", type=int, default=30, help="requests per list measurement (default 30)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="print the slowest SQL of each list page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    if args.scale < 1 or args.chain < 1:
        parser.error("--scale and --chain must be ≥ 1")
    sizes = realistic.cardinalities(args.scale)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    if args.outlets is not None and args.technicians is None:
        sizes["technicians"] = 6 * args.outlets

    env = Env(keep=args.keep)
    try:
        with PeakRss() as rss:
            setup_django(env)
            world = realistic.build(orders=args.scale, seed=args.seed, **sizes)
            from anxin.customers.search import rebuild_index

            started = time.perf_counter()
            index_rows = rebuild_index()  # the archive's search index, as a real archive has it (the order search box reads it)
            index_s = time.perf_counter() - started
            print(f"search index: {index_rows} rows in {index_s:.1f} s", flush=True)
            close_db_connections()
            with Server(env) as server:
                chain = run_chain(server.port, world, args.chain, args.seed)
            print(f"chain: {args.chain} orders in {chain['seconds']:.1f} s, {chain['failures']} failures", flush=True)
            orm_seconds = orm_baseline(args.chain)
            timings = measure_list(world, args.rounds, args.profile)
        for line in chain["errors"]:
            print(f"error: {line}", file=sys.stderr)
        chain_per_s = args.chain / chain["seconds"]
        orm_per_s = args.chain / orm_seconds
        p95s = {key: percentile(values, 95) for key, values in timings.items()}
        for key, values in timings.items():
            print(f"list {key}: p50 {percentile(values, 50):.1f} ms, p95 {p95s[key]:.1f} ms, max {max(values):.1f} ms")
        stats = world.order_stats
        per_outlet = sorted(stats["per_outlet"].values())
        print(
            f"world: {world.sizes()} orders per outlet min {per_outlet[0]} median {percentile(per_outlet, 50)} max {per_outlet[-1]}; "
            f"busiest technician {max(stats['per_technician'].values())} orders; unroutable {stats['unroutable']}; "
            f"chain routed to {len(chain['outlets'])} outlets, assigned {len(chain['technicians'])} technicians, "
            f"the rule refused {chain['refused']} of {chain['candidates']} candidates"
        )
        access = {"access_rebuild_s": world.seconds["access_rebuild_s"]} if "access_rebuild_s" in world.seconds else {}
        print(
            result_line(
                "orders",
                db=env.db,
                orders=args.scale,
                **world.sizes(),
                chain_orders_per_s=chain_per_s,
                orm_inserts_per_s=orm_per_s,
                ratio=f"{chain_per_s / orm_per_s:.4f}",
                list_p95_ms_max=max(v for k, v in p95s.items() if not k.endswith("_tabs")),
                tabs_p95_ms_max=max(v for k, v in p95s.items() if k.endswith("_tabs")),
                **{f"{key}_p95_ms": value for key, value in p95s.items()},
                chain_outlets=len(chain["outlets"]),
                chain_technicians=len(chain["technicians"]),
                assign_refused_pct=100.0 * chain["refused"] / max(1, chain["candidates"]),
                chain_failures=chain["failures"],
                load_s=world.seconds["customers_s"] + world.seconds["orders_s"],
                index_build_s=index_s,
                **access,
                peak_rss_mb=rss.peak_mb,
            )
        )
        return 1 if chain["failures"] else 0
    finally:
        close_db_connections()
        env.cleanup()


if __name__ == "__main__":
    sys.exit(main())
