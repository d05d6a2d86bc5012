"""Work-order benchmark: the full transition chain over HTTP and the order list at scale.

    .venv/bin/python bench/orders.py --scale 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_orders_bench .venv/bin/python bench/orders.py --scale 1000000

The database is private (a temporary SQLite file, or the PostgreSQL database named by
``DATABASE_URL``, whose name must contain "bench": it is emptied). ``--scale`` existing orders
(default 1,000,000) with one to three lines each, a realistic status mix and SLA deadlines are
bulk-loaded with plain INSERTs (SQLite ``executemany``) or ``COPY`` (PostgreSQL), never the ORM per
row. Then:

1. ``--chain`` orders (default 200) go through create → accept → assign → confirm → depart →
   check_in → complete → callback → close over the HTTP API (a real gunicorn server, API tokens),
   against as many plain ``WorkOrder.objects.create`` calls in the same run → ratio;
2. the main order list (``/orders/?queue=all&sla=…``, first page with its count and the queue
   tabs) as the outlet manager, the regional director and HQ, for each SLA filter and without one
   (the default page, in urgency order), and its search box with an order number: p50 / p95.

Last line::

    RESULT orders db=… orders=… chain_orders_per_s=… orm_inserts_per_s=… ratio=… list_p95_ms_max=… <role>_<sla>_p95_ms=… peak_rss_mb=…
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ApiClient, Env, PeakRss, Server, close_db_connections, result_line, setup_django  # noqa: E402
from core_loop import build_world, orm_baseline  # noqa: E402

# Status mix of the existing orders (weights, per 10,000): most are long closed; about 2 % are open
# (a few days of work at ~1,400 orders a day) and recent, so their visit clocks are on track, at risk or breached.
STATUS_MIX = (
    ("closed", 9000),
    ("callback_done", 150),
    ("completed", 250),
    ("cancelled", 300),
    ("resolved_by_phone", 80),
    ("created", 10),
    ("pending_approval", 5),
    ("routed", 30),
    ("rejected", 5),
    ("accepted", 20),
    ("assigned", 50),
    ("confirmed", 40),
    ("en_route", 10),
    ("on_site", 15),
    ("pending_parts", 20),
    ("revisit", 10),
    ("install_refused", 5),
)
OPEN = {"created", "pending_approval", "routed", "rejected", "accepted", "assigned", "confirmed", "en_route", "on_site"}
OPEN |= {"pending_parts", "revisit", "install_refused"}
CHECKED_IN = {"on_site", "completed", "callback_done", "closed", "pending_parts", "revisit", "install_refused"}
ORDER_TYPES = (("repair", 60), ("install", 30), ("maintenance", 6), ("return_exchange", 2), ("inspection", 2))
VISIT_HOURS = (24, 48, 72)
ROLES = ("outlet", "region", "hq")
# The SLA filters of the list, and "" for the list without one (the default page, urgency order).
SLAS = ("breached", "at_risk", "on_track", "")


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def extend_world(world: dict) -> dict:
    """More regions and outlets (the orders spread over 5 regions × 4 outlets, the bench users'
    outlet being one of them), a technician per outlet, and a regional director."""
    from anxin.accounts.choices import OrgKind, OutletKind, Role
    from anxin.accounts.models import OrgUnit
    from anxin.accounts.services import user_create
    from anxin.network.models import Technician

    hq = OrgUnit.objects.get(kind=OrgKind.HQ)
    home_region = OrgUnit.objects.get(code="R-HZ")
    outlets = [(home_region.pk, OrgUnit.objects.get(code="O-HZ-01").pk)]
    techs = {outlets[0][1]: [world["technician"]]}
    password = "bench-" + uuid.uuid4().hex
    regions = [home_region] + [
        OrgUnit.objects.create(kind=OrgKind.REGION, parent=hq, code=f"R-{i}", name=f"第{i}地区顾客服务中心", division_code=f"{33 + i}01")
        for i in range(1, 5)
    ]
    for r_index, region in enumerate(regions):
        for o_index in range(4):
            if r_index == 0 and o_index == 0:
                continue
            outlet = OrgUnit.objects.create(
                kind=OrgKind.OUTLET,
                parent=region,
                code=f"O-{r_index}-{o_index}",
                name=f"特约服务网点{r_index}-{o_index}",
                outlet_kind=OutletKind.AUTHORIZED,
            )
            user = user_create(username=f"tech-{r_index}-{o_index}", password=password, role=Role.TECHNICIAN, org_unit=outlet)
            tech = Technician.objects.create(user=user, outlet=outlet, name=f"技师{r_index}{o_index}", grade="B")
            outlets.append((region.pk, outlet.pk))
            techs[outlet.pk] = [tech.pk]
    director = user_create(username="director", password=password, role=Role.REGION_DIRECTOR, org_unit=home_region)
    return {"outlets": outlets, "techs": techs, "director": director.pk}


def _columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column of ``model`` with its default (or ``values``), in table order."""
    columns, defaults = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:  # the database computes generated columns
            continue
        columns.append(field.column)
        if field.attname in values:
            defaults.append(values[field.attname])
        elif field.has_default():
            defaults.append(field.get_default())
        elif field.null:
            defaults.append(None)
        else:
            defaults.append("")
    return columns, defaults


def generate_orders(n: int, seed: int, world: dict, extra: dict, now):
    """Yield (order row values, [line row values]) for ``n`` orders; ids are 1..n."""
    from anxin.customers.models import Appliance, CustomerAddress

    rng = random.Random(seed)
    addresses = {a.customer_id: a.pk for a in CustomerAddress.objects.filter(is_primary=True)}
    appliances = list(Appliance.objects.values_list("pk", "customer_id", "product_model_id"))
    for i in range(1, n + 1):
        status = _weighted(rng, STATUS_MIX)
        appliance_id, customer_id, model_id = appliances[i % len(appliances)]
        region_id, outlet_id = extra["outlets"][rng.randrange(len(extra["outlets"]))]
        if status in OPEN:
            created = now - timedelta(minutes=rng.randint(5, 4 * 24 * 60))  # the last four days
        else:
            created = now - timedelta(minutes=rng.randint(4 * 24 * 60, 730 * 24 * 60))  # up to two years
        hours = rng.choice(VISIT_HOURS)
        deadline = created + timedelta(hours=hours)
        routed = status not in ("created", "pending_approval")
        technician = (
            extra["techs"][outlet_id][0] if status not in ("created", "pending_approval", "routed", "rejected", "accepted") else None
        )
        checked_in = created + timedelta(hours=rng.uniform(1, hours * 1.2)) if status in CHECKED_IN else None
        done = status in ("completed", "callback_done", "closed", "resolved_by_phone")
        completed = (checked_in or created + timedelta(hours=2)) + timedelta(minutes=rng.randint(30, 150)) if done else None
        order = {
            "number": f"WO{i:010d}",
            "order_type": _weighted(rng, ORDER_TYPES),
            "status": status,
            "customer_id": customer_id,
            "address_id": addresses[customer_id],
            "is_vip": rng.random() < 0.05,
            "region_id": region_id,
            "outlet_id": outlet_id if routed else None,
            "technician_id": technician,
            "description": "空调不制冷",
            "appointment_start": created + timedelta(hours=4),
            "appointment_end": created + timedelta(hours=6),
            "visit_deadline": deadline,
            "visit_risk_at": deadline - timedelta(hours=hours) / 4,
            "callback_deadline": completed + timedelta(hours=72) if completed else None,
            "is_repeat": rng.random() < 0.02,
            "visit_count": 1 if checked_in else 0,
            "created_at": created,
            "updated_at": completed or created,
            "accepted_at": created + timedelta(minutes=20) if technician else None,
            "checked_in_at": checked_in,
            "completed_at": completed,
            "closed_at": completed + timedelta(hours=30) if status == "closed" else None,
            "satisfaction": "very_satisfied" if status in ("callback_done", "closed") else "",
        }
        lines = [{"order_id": i, "appliance_id": appliance_id, "product_model_id": model_id, "symptom": "空调不制冷"}]
        for _ in range(rng.choice((0, 0, 0, 0, 0, 0, 1, 2))):  # some complete-set orders
            lines.append({"order_id": i, "appliance_id": appliance_id, "product_model_id": model_id, "symptom": "安装"})
        yield order, lines


def _secondary_indexes(cur, pg: bool) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the non-unique indexes on the order and line tables."""
    tables = ("orders_workorder", "orders_orderline")
    if pg:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
            list(tables),
        )
    else:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (%s, %s) AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%%'",
            list(tables),
        )
    return list(cur.fetchall())


def bulk_load(n: int, seed: int, world: dict, extra: dict, batch: int = 20000) -> float:
    """Insert ``n`` orders and their lines with plain INSERTs (SQLite) or COPY (PostgreSQL); seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from anxin.orders.models import OrderLine, WorkOrder

    now = timezone.now()
    order_cols, order_defaults = _columns(WorkOrder, {})
    line_cols, line_defaults = _columns(OrderLine, {})
    order_index = {c: k for k, c in enumerate(order_cols)}
    line_index = {c: k for k, c in enumerate(line_cols)}
    order_cols = ["id", *order_cols]
    orders, lines = [], []
    started = time.perf_counter()
    pg = connection.vendor == "postgresql"

    def row(defaults, index, values):
        out = list(defaults)
        for key, value in values.items():
            out[index[key]] = value
        return out

    def adapt(values: list) -> list:
        # SQLite stores datetimes as Django does (naive UTC text); COPY takes aware datetimes as they are.
        if pg:
            return values
        return [connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in values]

    def flush():
        if not orders:
            return
        with transaction.atomic():
            if pg:
                raw = connection.connection
                with raw.cursor() as cur:
                    with cur.copy(f"COPY orders_workorder ({', '.join(order_cols)}) FROM STDIN") as copy:
                        for r in orders:
                            copy.write_row(r)
                    with cur.copy(f"COPY orders_orderline ({', '.join(line_cols)}) FROM STDIN") as copy:
                        for r in lines:
                            copy.write_row(r)
            else:
                with connection.cursor() as cur:
                    marks = ", ".join(["%s"] * len(order_cols))
                    cur.executemany(f"INSERT INTO orders_workorder ({', '.join(order_cols)}) VALUES ({marks})", orders)  # noqa: S608
                    marks = ", ".join(["%s"] * len(line_cols))
                    cur.executemany(f"INSERT INTO orders_orderline ({', '.join(line_cols)}) VALUES ({marks})", lines)  # noqa: S608
        orders.clear()
        lines.clear()

    offset = 0
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders_workorder")
        offset = cur.fetchone()[0]
        # Bulk-load practice: drop the secondary indexes, load, build them again in one pass each.
        indexes = _secondary_indexes(cur, pg)
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        if not pg:
            cur.execute("PRAGMA synchronous = OFF")
    for i, (order, order_lines) in enumerate(generate_orders(n, seed, world, extra, now), start=1):
        oid = offset + i
        orders.append([oid, *adapt(row(order_defaults, order_index, order))])
        for line in order_lines:
            lines.append(adapt(row(line_defaults, line_index, {**line, "order_id": oid})))
        if i % batch == 0:
            flush()
    flush()
    with connection.cursor() as cur:
        for _name, sql in indexes:
            cur.execute(sql)
        if not pg:
            cur.execute("PRAGMA synchronous = FULL")
        if pg:
            cur.execute("SELECT setval(pg_get_serial_sequence('orders_workorder', 'id'), %s)", [offset + n])
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
    return time.perf_counter() - started


def _complete_body(order_id: int, world: dict) -> dict:
    """The completion report: H2's ``minimal_report`` when the module has it, else the fault code."""
    from anxin.orders.completion import report as completion
    from anxin.orders.models import WorkOrder

    if hasattr(completion, "minimal_report"):
        return json.loads(json.dumps(completion.minimal_report(WorkOrder.objects.get(pk=order_id)), default=str))
    return {"fault_code": world["fault"], "resolution": "疏通冷凝水管"}


def run_chain(port: int, world: dict, n: int) -> tuple[int, float, list[str]]:
    """``n`` orders through the whole chain; returns (failures, seconds, first errors)."""
    from django.utils import timezone

    clients = {role: ApiClient(port, token) for role, token in world["tokens"].items()}
    failures, errors = 0, []

    def step(role: str, path: str, body: dict, want: str, name: str, want_status: int = 200) -> dict | None:
        nonlocal failures
        status, data, _ = clients[role].post(path, body)
        if status != want_status or data.get("status") != want:
            failures += 1
            if len(errors) < 5:
                errors.append(f"{name}: HTTP {status} {str(data)[:300]}")
            return None
        return data

    started = time.perf_counter()
    for i in range(n):
        customer_id, appliance_id = world["customers"][i % len(world["customers"])]
        start = timezone.now() + timedelta(hours=2)
        body = {
            "customer_id": customer_id,
            "order_type": "repair",
            "channel": "api",
            "appointment_start": start.isoformat(),
            "appointment_end": (start + timedelta(hours=2)).isoformat(),
            "lines": [{"appliance_id": appliance_id, "symptom": "空调室内机漏水"}],
        }
        data = step("agent", "/api/v1/orders", body, "routed", "create", 201)
        if data is None:
            continue
        path = f"/api/v1/orders/{data['id']}"
        chain = (
            ("dispatcher", {"action": "accept"}, "accepted"),
            ("dispatcher", {"action": "assign", "technician": world["technician"]}, "assigned"),
            ("tech", {"action": "confirm"}, "confirmed"),
            ("tech", {"action": "depart"}, "en_route"),
            ("tech", {"action": "check_in"}, "on_site"),
        )
        if not all(step(role, f"{path}/transitions", b, want, b["action"]) for role, b, want in chain):
            continue
        report = _complete_body(data["id"], world)
        if "fault_code" in report:  # the interim report: a transition like the others
            done = step("tech", f"{path}/transitions", {"action": "complete", **report}, "completed", "complete")
        else:  # the completion report: POST /orders/{id}/completion
            done = step("tech", f"{path}/completion", report, "completed", "complete")
        if done is None:
            continue
        status, got, _ = clients["callback"].post(f"{path}/callback", {"satisfaction": "very_satisfied", "comment": "师傅很专业"})
        if status != 200:
            failures += 1
            errors.append(f"callback: HTTP {status} {str(got)[:300]}")
            continue
        if got.get("status") != "closed":
            step("callback", f"{path}/transitions", {"action": "close"}, "closed", "close")
    elapsed = time.perf_counter() - started
    for client in clients.values():
        client.close()
    return failures, elapsed, errors


def measure_list(extra: dict, rounds: int, profile: bool = False) -> dict[str, list[float]]:
    """Milliseconds per request of ``/orders/?queue=all&sla=…`` (the page: first rows and their bounded
    count), per role; and of the tab counts the page fetches right after it (``*_tabs``)."""
    from django.test import Client

    from anxin.accounts.models import User

    users = {
        "outlet": User.objects.get(username="dispatcher"),
        "region": User.objects.get(pk=extra["director"]),
        "hq": User.objects.get(username="admin"),
    }
    timings: dict[str, list[float]] = {}
    # An order number to type into the search box: the middle one of the loaded orders.
    from anxin.orders.models import WorkOrder

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


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="existing orders (default 1,000,000)")
    parser.add_argument("--chain", type=int, default=200, help="orders through the HTTP chain (default 200)")
    parser.add_argument("--rounds", type=int, default=30, help="requests per list measurement (default 30)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="print the slowest SQL of each list page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    if args.scale < 0 or args.chain < 1:
        parser.error("--scale must be ≥ 0 and --chain ≥ 1")

    env = Env(keep=args.keep)
    try:
        with PeakRss() as rss:
            setup_django(env)
            world = build_world()
            extra = extend_world(world)
            load_seconds = bulk_load(args.scale, args.seed, world, extra)
            print(f"loaded {args.scale} orders in {load_seconds:.1f} s ({env.db})", flush=True)
            close_db_connections()
            with Server(env) as server:
                failures, chain_seconds, errors = run_chain(server.port, world, args.chain)
            orm_seconds = orm_baseline(args.chain)
            timings = measure_list(extra, args.rounds, args.profile)
        for line in errors:
            print(f"error: {line}", file=sys.stderr)
        chain_per_s = args.chain / chain_seconds
        orm_per_s = args.chain / orm_seconds
        p95s = {key: pct(values, 95) for key, values in timings.items()}
        for key, values in timings.items():
            print(f"list {key}: p50 {statistics.median(values):.1f} ms, p95 {p95s[key]:.1f} ms")
        print(
            result_line(
                "orders",
                db=env.db,
                orders=args.scale,
                chain_orders_per_s=chain_per_s,
                orm_inserts_per_s=orm_per_s,
                ratio=f"{chain_per_s / orm_per_s:.4f}",
                list_p95_ms_max=max(v for k, v in p95s.items() if not k.endswith("_tabs")),
                tabs_p95_ms_max=max(v for k, v in p95s.items() if k.endswith("_tabs")),
                **{f"{key}_p95_ms": value for key, value in p95s.items()},
                chain_failures=failures,
                peak_rss_mb=rss.peak_mb,
            )
        )
        return 1 if failures else 0
    finally:
        close_db_connections()
        env.cleanup()


if __name__ == "__main__":
    sys.exit(main())
