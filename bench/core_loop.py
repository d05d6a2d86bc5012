"""Core-loop benchmark: N work orders through the whole loop over the HTTP API.

    .venv/bin/python bench/core_loop.py --scale 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_bench .venv/bin/python bench/core_loop.py --scale 200

Per order: POST /api/v1/orders (agent token, Idempotency-Key) → assign (dispatcher token) →
check_in and complete (technician token) → POST /api/v1/orders/{id}/callback (callback agent
token), which closes it. Every response is checked; anything unexpected counts as a failure.
The baseline is N plain ``WorkOrder.objects.create`` calls in the bench process (one autocommit
insert each, history row included, as the model saves). Last line:

    RESULT core_loop orders_per_s=… orm_inserts_per_s=… ratio=… failures=… peak_rss_mb=… db=sqlite|postgresql scale=N
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ApiClient, Env, PeakRss, Server, close_db_connections, result_line, setup_django, tiny_png_data_url  # noqa: E402

CUSTOMERS = 40


def build_world(seed: int = 1) -> dict:
    """A region, one outlet covering it, an air-conditioner catalog, one user per acting role,
    a pool of customers with appliances, and an API token per acting role."""
    import random

    from django.utils import timezone

    from anxin.accounts.choices import OrgKind, OutletKind, Role, ServiceLevel
    from anxin.accounts.models import OrgUnit
    from anxin.accounts.services import api_token_create, user_create
    from anxin.catalog.models import FaultCode, ProductCategory, ProductModel
    from anxin.customers.services import appliance_add, customer_create
    from anxin.demo.plan import person_name, unique_mobile
    from anxin.network.models import OutletCoverage, Technician

    rng = random.Random(seed)
    hq = OrgUnit.objects.create(kind=OrgKind.HQ, code="HQ", name="顾客服务部")
    region = OrgUnit.objects.create(
        kind=OrgKind.REGION,
        parent=hq,
        code="R-HZ",
        name="杭州地区顾客服务中心",
        division_code="3301",
        city="杭州市",
        service_level=ServiceLevel.A,
    )
    outlet = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=region, code="O-HZ-01", name="杭州西湖特约服务网点", outlet_kind=OutletKind.AUTHORIZED, city="杭州市"
    )
    OutletCoverage.objects.create(outlet=outlet, division_prefix="3301")
    aircon = ProductCategory.objects.create(code="AC", name="空调", warranty_months=72)
    model = ProductModel.objects.create(category=aircon, code="KFR-35GW/BpR3", name="1.5匹变频挂式空调")
    fault = FaultCode.objects.create(category=aircon, code="AC-03", name="室内机漏水", difficulty=1)

    password = "bench-" + uuid.uuid4().hex
    users = {
        "admin": user_create(username="admin", password=password, role=Role.HQ_MANAGER, org_unit=hq),
        "agent": user_create(username="agent", password=password, role=Role.AGENT, org_unit=region),
        "dispatcher": user_create(username="dispatcher", password=password, role=Role.OUTLET_MANAGER, org_unit=outlet),
        "tech": user_create(username="tech", password=password, role=Role.TECHNICIAN, org_unit=outlet),
        "callback": user_create(username="callback", password=password, role=Role.CALLBACK_AGENT, org_unit=region),
    }
    technician = Technician.objects.create(user=users["tech"], outlet=outlet, name="郑海涛", grade="A", mobile="13905710812")
    technician.skills.add(aircon)

    streets = ("文三路", "文二路", "天目山路", "古墩路", "教工路")
    used: set[str] = set()
    customers = []
    for i in range(CUSTOMERS):
        customer = customer_create(
            actor=users["agent"],
            name=person_name(rng),
            phones=[unique_mobile(rng, used)],
            address=f"浙江省杭州市西湖区{streets[i % len(streets)]}{rng.randint(1, 300)}号{rng.randint(1, 20)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 30)}01",
        )
        appliance = appliance_add(
            actor=users["agent"],
            customer=customer,
            product_model=model,
            serial=f"AC{rng.randrange(10**10):010d}",
            purchase_date=timezone.localdate() - timedelta(days=rng.randint(30, 900)),
        )
        customers.append((customer.pk, appliance.pk))
    tokens = {
        role: api_token_create(actor=users["admin"], user=users[role], name=f"bench {role}")[1]
        for role in ("agent", "dispatcher", "tech", "callback")
    }
    return {"tokens": tokens, "customers": customers, "technician": technician.pk, "fault": fault.pk}


def run_loop(port: int, world: dict, n: int) -> tuple[int, int, float, list[str]]:
    """Push ``n`` orders through the loop; returns (failed orders, other failures, seconds, first errors)."""
    from django.utils import timezone

    clients = {role: ApiClient(port, token) for role, token in world["tokens"].items()}
    failures, replay_failures, errors = 0, 0, []

    def expect(step: str, status: int, data: dict, want_status: int, want_order_status: str | None) -> bool:
        nonlocal failures
        ok = status == want_status and (want_order_status is None or data.get("status") == want_order_status)
        if not ok:
            failures += 1
            if len(errors) < 5:
                errors.append(f"{step}: HTTP {status} {str(data)[:300]}")
        return ok

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
        key = str(uuid.uuid4())
        status, data, _ = clients["agent"].post("/api/v1/orders", body, headers={"Idempotency-Key": key})
        if not expect("create", status, data, 201, "routed"):
            continue
        order_id = data["id"]
        if i == 0:  # the same key and body again must replay the first answer, not create a second order
            status, replay, headers = clients["agent"].post("/api/v1/orders", body, headers={"Idempotency-Key": key})
            if status != 201 or replay.get("id") != order_id or headers.get("Idempotent-Replayed") != "true":
                replay_failures += 1
                errors.append(f"replay: HTTP {status} id={replay.get('id')} Idempotent-Replayed={headers.get('Idempotent-Replayed')}")
        path = f"/api/v1/orders/{order_id}"
        status, data, _ = clients["dispatcher"].post(f"{path}/transitions", {"action": "assign", "technician": world["technician"]})
        if not expect("assign", status, data, 200, "assigned"):
            continue
        # The report names each line: the detail of the order, asked for with the step (decision 0049).
        status, data, _ = clients["tech"].post(f"{path}/transitions?expand=detail", {"action": "check_in"})
        if not expect("check_in", status, data, 200, "on_site"):
            continue
        # The completion report: every line diagnosed, the 1+5 checklist done, the customer's signature.
        report = {
            "expected_version": data["version"],
            "lines": [
                {"line": line["id"], "fault_code": world["fault"], "cause": "冷凝水管堵塞", "action": "疏通冷凝水管"}
                for line in data["detail"]["lines"]
            ],
            "checklist": {item: {"done": True, "reason": ""} for item in "ABCDE"},
            "confirmation_method": "signature",
            "signature": tiny_png_data_url(),
        }
        status, data, _ = clients["tech"].post(f"{path}/completion", report)
        if not expect("complete", status, data, 200, "completed"):
            continue
        status, data, _ = clients["callback"].post(f"{path}/callback", {"satisfaction": "very_satisfied", "comment": "师傅很专业"})
        expect("callback", status, data, 200, "closed")
    elapsed = time.perf_counter() - started
    for client in clients.values():
        client.close()
    return failures, replay_failures, elapsed, errors


def orm_baseline(n: int) -> float:
    """Seconds for ``n`` single ``WorkOrder.objects.create`` calls (autocommit, one row each)."""
    from anxin.customers.models import CustomerAddress
    from anxin.orders.models import WorkOrder

    address = CustomerAddress.objects.select_related("customer").first()
    started = time.perf_counter()
    for i in range(n):
        WorkOrder.objects.create(customer=address.customer, address=address, number=f"BASE{i:08d}", description="baseline")
    elapsed = time.perf_counter() - started
    WorkOrder.objects.filter(number__startswith="BASE").delete()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=200, help="number of orders (default 200)")
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error("--scale must be at least 1")

    env = Env(keep=args.keep)
    try:
        with PeakRss() as rss:
            setup_django(env)
            world = build_world()
            close_db_connections()
            with Server(env, kind=args.server) as server:
                warm = ApiClient(server.port, world["tokens"]["agent"])
                status, me, _ = warm.get("/api/v1/me")
                warm.close()
                if status != 200 or me.get("username") != "agent":
                    raise SystemExit(f"token check failed: HTTP {status} {me}\n{server.tail()}")
                failures, other_failures, loop_seconds, errors = run_loop(server.port, world, args.scale)
            from anxin.orders.models import WorkOrder

            closed = WorkOrder.objects.filter(status="closed").count()
            orm_seconds = orm_baseline(args.scale)
        ok_orders = args.scale - failures
        if closed != ok_orders:  # a response said "closed" but the database disagrees, or vice versa
            errors.append(f"database has {closed} closed orders, the API reported {ok_orders}")
            failures += abs(closed - ok_orders)
        failures += other_failures
        for line in errors:
            print(f"error: {line}", file=sys.stderr)
        orders_per_s = args.scale / loop_seconds
        orm_per_s = args.scale / orm_seconds
        print(
            f"core loop: {args.scale} orders in {loop_seconds:.1f} s over HTTP ({args.server}); "
            f"{args.scale} ORM inserts in {orm_seconds:.2f} s"
        )
        print(
            result_line(
                "core_loop",
                orders_per_s=orders_per_s,
                orm_inserts_per_s=orm_per_s,
                ratio=f"{orders_per_s / orm_per_s:.4f}",
                failures=failures,
                peak_rss_mb=rss.peak_mb,
                db=env.db,
                scale=args.scale,
            )
        )
        return 1 if failures else 0
    finally:
        close_db_connections()
        env.cleanup()


if __name__ == "__main__":
    sys.exit(main())
