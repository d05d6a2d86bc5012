"""Customer lookup benchmark: the search index versus a naive ``icontains`` scan, as three kinds of user.

Builds its own realistic world (``bench/realistic.py``, decision 0047) by bulk insert: N customers
(about 1.5 phones, 1.2 addresses in real districts of six cities and 1.8 appliances each, half of
them serial-numbered, realistic Chinese names), outlets with coverage and technicians, and orders
linking customers to them with a realistic skew (orders only, no lines: search never reads them);
builds the search index with the real ``rebuild_index`` and rebuilds the customer-access table when
the order side has one. Then it times ``customer_search`` (the service the search box and ``GET
/api/v1/customers/search`` call) for each query kind, as

- ``hq``: a hotline agent at HQ, who sees the whole archive;
- ``outlet``: the manager / dispatcher of the busiest outlet, who sees the customers with orders at it;
- ``technician``: the busiest technician, who sees the customers of orders assigned to them,

with queries taken from customers the user may see (so a narrow scope over a common name or street
runs the scoped re-scan; ``misses=`` counts those not found, but a last-4 query of a user who sees
numbers masked, which matches whole numbers only by design, decision 0024), and in the same run the same queries through a naive scan over name,
phones, addresses and serials within the same scope. Also times the index maintenance a single
customer insert costs (``reindex_customers``). Target: p95 ≤ 25 ms for every role and query kind.

    .venv/bin/python bench/lookup.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_lookup_bench .venv/bin/python bench/lookup.py

(``--customers`` defaults to 200,000 and ``--orders`` to five per customer, the orders bench's world
at 1M orders.) Final line: ``RESULT lookup db=… customers=… outlets=… technicians=… orders=…
p95_ms_max=… speedup_min=… <role>_<kind>_p95_ms=… peak_rss_mb=…``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import realistic  # noqa: E402
from _common import Env, PeakRss, close_db_connections, percentile, result_line, setup_django  # noqa: E402

KINDS = ("phone", "last4", "name2", "name3", "initials", "address", "serial")
ROLES = ("hq", "outlet", "technician")


def pick_queries(visible: list[int], count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries per kind from customers among ``visible`` (ids), as people type them."""
    from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone
    from anxin.customers.search import _pinyin, address_components

    rng = random.Random(seed + 1)
    ids = [rng.choice(visible) for _ in range(count * 3)] if visible else []
    names = list(Customer.objects.filter(pk__in=ids).values_list("name", flat=True))
    phones = list(CustomerPhone.objects.filter(customer_id__in=ids).values_list("number", flat=True))
    addresses = list(CustomerAddress.objects.filter(customer_id__in=ids).values_list("text", flat=True))
    serials = list(Appliance.objects.filter(customer_id__in=ids).exclude(serial="").values_list("serial", flat=True))
    name2 = [n for n in names if len(n) == 2] or [n[:2] for n in names]
    name3 = [n for n in names if len(n) == 3] or names
    fragments = []
    for text in addresses:
        parts = address_components(text)
        street = next((k for k, p in enumerate(parts) if p.endswith("路") or p.endswith("街") or p.endswith("道")), 3)
        fragments.append("".join(parts[street : street + 2]))  # e.g. 文三路90号
    return {
        "phone": phones[:count],
        "last4": [p[-4:] for p in phones[:count]],
        "name2": name2[:count],
        "name3": name3[:count],
        "initials": [_pinyin(n)[1] for n in name3[:count]],
        "address": fragments[:count],
        "serial": serials[:count],
    }


def naive_search(q: str, user, limit: int = 20) -> tuple[int, list[int]]:
    """What a search list without an index does: icontains over every searchable column within the
    user's scope, the count of matches for the pager, and the first page."""
    from django.db.models import Exists, OuterRef, Q

    from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone

    cond = (
        Q(name__icontains=q)
        | Q(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), number__icontains=q)))
        | Q(Exists(CustomerAddress.objects.filter(customer=OuterRef("pk"), text__icontains=q)))
        | Q(Exists(Appliance.objects.filter(customer=OuterRef("pk"), serial__icontains=q)))
    )
    matches = Customer.objects.visible_to(user).filter(cond)
    return matches.count(), list(matches.order_by("-pk").values_list("pk", flat=True)[:limit])


def timed(fn, queries) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="customers (default 200,000)")
    parser.add_argument("--orders", type=int, help="orders linking customers to outlets and technicians (default 5 per customer)")
    parser.add_argument("--queries", type=int, default=50, help="indexed queries per kind and role")
    parser.add_argument("--naive-queries", type=int, default=5, help="naive scans per kind and role (slow)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    orders = args.orders if args.orders is not None else 5 * args.customers
    sizes = realistic.cardinalities(5 * args.customers)  # the network of the orders bench's world
    sizes["customers"] = args.customers

    env = Env(keep=args.keep)
    try:
        with PeakRss() as rss:
            setup_django(env)
            from anxin.accounts.choices import Role
            from anxin.accounts.models import User
            from anxin.customers.models import Customer
            from anxin.customers.search import customer_search, rebuild_index, reindex_customers
            from anxin.customers.selectors import phone_tail_search_allowed
            from anxin.customers.services import customer_create
            from anxin.network.models import Technician

            world = realistic.build(orders=orders, seed=args.seed, lines=False, **sizes)
            network = world.network
            t = time.perf_counter()
            index_rows = rebuild_index()
            index_s = time.perf_counter() - t
            print(f"index: {index_rows} rows in {index_s:.1f}s", flush=True)

            outlet = world.busiest_outlet()
            technician = Technician.objects.select_related("user").get(pk=world.busiest_technician())
            users = {
                "hq": User.objects.create(username="bench-agent", role=Role.AGENT, org_unit_id=network.hq_id),
                "outlet": User.objects.get(pk=network.managers[outlet]),
                "technician": technician.user,
            }
            fields: dict[str, object] = {}
            p95s, speedups, misses = {}, {}, 0
            for role, user in users.items():
                visible = list(Customer.objects.visible_to(user).values_list("pk", flat=True))
                print(f"{role}: sees {len(visible)} customers", flush=True)
                fields[f"{role}_visible"] = len(visible)
                queries = pick_queries(visible, args.queries, args.seed)
                search = lambda q, user=user: customer_search(user=user, q=q)  # noqa: E731
                for q in queries["name2"][:5]:  # warm caches
                    search(q)
                for kind in KINDS:
                    fast = timed(search, queries[kind])
                    missed = sum(1 for q in queries[kind] if not search(q).hits)
                    if kind != "last4" or phone_tail_search_allowed(user):  # masked numbers match whole (decision 0024)
                        misses += missed
                    slow = timed(lambda q, user=user: naive_search(q, user), queries[kind][: args.naive_queries])
                    key = f"{role}_{kind}"
                    p95s[key] = percentile(fast, 95)
                    speedups[key] = percentile(slow, 50) / max(percentile(fast, 50), 1e-6)
                    fields[f"{key}_p95_ms"] = p95s[key]
                    print(
                        f"{role:10} {kind:9} p50={percentile(fast, 50):7.2f}ms p95={p95s[key]:7.2f}ms max={max(fast, default=0):7.2f}ms "
                        f"naive p50={percentile(slow, 50):8.1f}ms speedup={speedups[key]:8.1f}x misses={missed}/{len(queries[kind])}",
                        flush=True,
                    )

            # What the index adds to one customer insert: the service with and without it.
            rng = random.Random(args.seed + 2)
            with_index, index_only = [], []
            for i in range(50):
                number = f"199{rng.randrange(10**8):08d}"
                t = time.perf_counter()
                c = customer_create(actor=users["hq"], name=f"测试{i}", phones=[number], address="浙江省杭州市西湖区文三路90号3号楼")
                with_index.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                reindex_customers([c.pk])
                index_only.append((time.perf_counter() - t) * 1000)
            close_db_connections()
        access = {"access_rebuild_s": world.seconds["access_rebuild_s"]} if "access_rebuild_s" in world.seconds else {}
        print(
            result_line(
                "lookup",
                db=env.db,
                **world.sizes(),
                orders=orders,
                p95_ms_max=max(p95s.values()),
                **{f"{role}_p95_ms_max": max(v for k, v in p95s.items() if k.startswith(f"{role}_")) for role in ROLES},
                speedup_min=min(speedups.values()),
                misses=misses,
                index_build_s=index_s,
                index_rows=index_rows,
                load_s=world.seconds["customers_s"] + world.seconds["orders_s"],
                **access,
                insert_ms_p50=percentile(with_index, 50),
                insert_index_ms_p50=percentile(index_only, 50),
                **fields,
                peak_rss_mb=rss.peak_mb,
            )
        )
    finally:
        close_db_connections()
        env.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
