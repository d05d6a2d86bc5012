"""Customer lookup benchmark: the search index versus a naive ``icontains`` scan.

Builds its own archive of N customers (about 1.5 phones, 1.2 addresses and 0.5 serial-numbered
appliances each, realistic Chinese names and addresses) by bulk insert, builds the search index
with the real ``rebuild_index``, then times ``customer_search`` (the service the search box and
``GET /api/v1/customers/search`` call) for each query kind, and in the same run the same queries
through a naive scan over name, phones, addresses and serials. Also times the index maintenance a
single customer insert costs (``reindex_customers``).

    .venv/bin/python bench/lookup.py --customers 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_bench .venv/bin/python bench/lookup.py --customers 1000000

Final line: ``RESULT lookup db=… customers=… p95_ms_max=… speedup_min=… …``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Env, PeakRss, close_db_connections, result_line, setup_django  # noqa: E402

KINDS = ("phone", "last4", "name2", "name3", "initials", "address", "serial")


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def generate(n: int, seed: int):
    """Yield (name, phones, address rows, serials) for n customers, deterministically."""
    from anxin.demo import data

    rng = random.Random(seed)
    districts = [(city, d) for city in data.CITIES for d in city.districts]
    used_phones: set[str] = set()
    for i in range(n):
        surname = _weighted(rng, data.SURNAMES)
        given_pool = data.GIVEN_MALE if rng.random() < 0.5 else data.GIVEN_FEMALE
        given = rng.choice(given_pool) if rng.random() < 0.35 else rng.choice(given_pool) + rng.choice(given_pool)
        name = surname + given
        phones = []
        for _ in range(1 if rng.random() < 0.5 else 2):
            while True:
                number = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if number not in used_phones:
                    used_phones.add(number)
                    phones.append(number)
                    break
        addresses = []
        for _ in range(2 if rng.random() < 0.2 else 1):
            city, district = rng.choice(districts)
            street = rng.choice(district.streets)
            estate = rng.choice(data.ESTATE_HEADS) + rng.choice(data.ESTATE_TAILS)
            detail = f"{street}{rng.randint(1, 999)}号{estate}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
            text = f"{city.province}{city.name}{district.name}{detail}"
            addresses.append((text, city.province, city.name, district.name, detail, district.code))
        serials = [f"SN{seed % 10}{i:09d}{rng.randrange(100):02d}"] if rng.random() < 0.5 else []
        yield name, phones, addresses, serials


def bulk_load(n: int, seed: int, batch: int = 20000) -> float:
    """Insert customers, phones, addresses and appliances with plain INSERTs; seconds taken."""
    from django.db import connection, transaction
    from django.utils import timezone

    from anxin.catalog.models import ProductCategory, ProductModel

    category = ProductCategory.objects.create(code="BENCH", name="热水器")
    model = ProductModel.objects.create(category=category, code="ES60H-BENCH", name="电热水器")
    now = timezone.now()
    started = time.perf_counter()
    customer_sql = (
        'INSERT INTO customers_customer (id, name, "group", marketing_consent, notes, created_at) VALUES (%s, %s, %s, %s, %s, %s)'
    )
    phone_sql = "INSERT INTO customers_customerphone (customer_id, number, kind, is_primary) VALUES (%s, %s, %s, %s)"
    address_sql = (
        "INSERT INTO customers_customeraddress (customer_id, text, province, city, district, detail, division_code, market_tier, needs_review, is_primary) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    appliance_sql = "INSERT INTO customers_appliance (customer_id, product_model_id, serial, store_name, invoice_no, status) VALUES (%s, %s, %s, '', '', 'in_use')"
    rows = {"c": [], "p": [], "a": [], "s": []}

    def flush():
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(customer_sql, rows["c"])
            cur.executemany(phone_sql, rows["p"])
            cur.executemany(address_sql, rows["a"])
            if rows["s"]:
                cur.executemany(appliance_sql, rows["s"])
        for v in rows.values():
            v.clear()

    for i, (name, phones, addresses, serials) in enumerate(generate(n, seed), start=1):
        rows["c"].append((i, name, "urban", False, "", now))
        rows["p"].extend((i, p, "mobile", j == 0) for j, p in enumerate(phones))
        rows["a"].extend((i, *a, 1, False, j == 0) for j, a in enumerate(addresses))
        rows["s"].extend((i, model.pk, s) for s in serials)
        if i % batch == 0:
            flush()
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)", [n])
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return time.perf_counter() - started


def pick_queries(count: int, seed: int) -> dict[str, list[str]]:
    from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone
    from anxin.customers.search import _pinyin, address_components

    rng = random.Random(seed + 1)
    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = [rng.randint(1, top) for _ in range(count * 3)]
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


def naive_search(q: str, limit: int = 20) -> tuple[int, list[int]]:
    """What a search list without an index does: icontains over every searchable column, the
    count of matches for the pager, and the first page."""
    from django.db.models import Exists, OuterRef, Q

    from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone

    cond = (
        Q(name__icontains=q)
        | Q(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), number__icontains=q)))
        | Q(Exists(CustomerAddress.objects.filter(customer=OuterRef("pk"), text__icontains=q)))
        | Q(Exists(Appliance.objects.filter(customer=OuterRef("pk"), serial__icontains=q)))
    )
    matches = Customer.objects.filter(cond)
    return matches.count(), list(matches.order_by("-pk").values_list("pk", flat=True)[:limit])


def timed(fn, queries) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def p(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50, help="indexed queries per kind")
    parser.add_argument("--naive-queries", type=int, default=5, help="naive scans per kind (slow)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    env = Env(keep=args.keep)
    try:
        with PeakRss() as rss:
            setup_django(env)
            from anxin.accounts.choices import OrgKind, Role
            from anxin.accounts.models import OrgUnit, User
            from anxin.customers.search import customer_search, rebuild_index, reindex_customers
            from anxin.customers.services import customer_create

            hq = OrgUnit.objects.create(kind=OrgKind.HQ, code="HQ", name="总部")
            agent = User.objects.create(username="bench-agent", role=Role.AGENT, org_unit=hq)
            load_s = bulk_load(args.customers, args.seed)
            print(f"loaded {args.customers} customers in {load_s:.1f}s", flush=True)
            t = time.perf_counter()
            index_rows = rebuild_index()
            index_s = time.perf_counter() - t
            print(f"index: {index_rows} rows in {index_s:.1f}s", flush=True)

            queries = pick_queries(args.queries, args.seed)
            search = lambda q: customer_search(user=agent, q=q)  # noqa: E731
            for q in queries["name2"][:5]:  # warm caches
                search(q)
            fields: dict[str, object] = {}
            p95s, speedups = {}, {}
            for kind in KINDS:
                fast = timed(search, queries[kind])
                misses = sum(1 for q in queries[kind] if not search(q).hits)
                slow = timed(naive_search, queries[kind][: args.naive_queries])
                p95s[kind] = p(fast, 95)
                speedups[kind] = statistics.median(slow) / max(statistics.median(fast), 1e-6)
                fields[f"{kind}_p50_ms"] = p(fast, 50)
                fields[f"{kind}_p95_ms"] = p95s[kind]
                fields[f"{kind}_naive_p50_ms"] = statistics.median(slow)
                print(
                    f"{kind:9} p50={p(fast, 50):7.2f}ms p95={p95s[kind]:7.2f}ms naive p50={statistics.median(slow):8.1f}ms "
                    f"speedup={speedups[kind]:8.1f}x misses={misses}/{len(queries[kind])}",
                    flush=True,
                )

            # What the index adds to one customer insert: the service with and without it.
            rng = random.Random(args.seed + 2)
            with_index, index_only = [], []
            for i in range(50):
                number = f"199{rng.randrange(10**8):08d}"
                t = time.perf_counter()
                c = customer_create(actor=agent, name=f"测试{i}", phones=[number], address="浙江省杭州市西湖区文三路90号3号楼")
                with_index.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                reindex_customers([c.pk])
                index_only.append((time.perf_counter() - t) * 1000)
            close_db_connections()
        from django.db import connection

        print(
            result_line(
                "lookup",
                db=env.db if connection.vendor != "postgresql" else "postgresql",
                customers=args.customers,
                p95_ms_max=max(p95s.values()),
                speedup_min=min(speedups.values()),
                index_build_s=index_s,
                index_rows=index_rows,
                load_s=load_s,
                insert_ms_p50=statistics.median(with_index),
                insert_index_ms_p50=statistics.median(index_only),
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
