"""Realistic benchmark data, shared by bench/orders.py and bench/lookup.py (decision 0047).

A network of regions (one per city of ``anxin.demo.data.CITIES``), outlets spread over the real
districts by their weight, coverage rows (division-code prefix × category, as
``network.OutletCoverage``), technicians with grades and skills; a customer archive with phones,
addresses (real division codes) and appliances; and work orders spread over them with a skew:
customers have 1–10 orders mostly (a few have dozens), some outlets and technicians are much busier
than others. Every historical order goes to an outlet the coverage rule would pick for its address
and categories (longest prefix, every category covered) and to a technician the network's own
qualification rule (``network.selectors.qualification_problems``) accepts for the grade the order
needs (``orders.workflow.grading.order_required_level``).

Bulk rows go in with plain INSERTs (SQLite ``executemany``) or ``COPY`` (PostgreSQL), never the ORM
per row; the network itself (a few thousand rows) with ``bulk_create``. Raw INSERTs bypass the
order events, so whatever the order side maintains from them (the customer-access table, when
``anxin.orders.customer_access`` exists) is rebuilt afterwards with its set-based ``rebuild()``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

# --- sizes ------------------------------------------------------------------------------------


def cardinalities(orders: int) -> dict[str, int]:
    """Customers, outlets and technicians for ``orders`` existing orders: five orders per customer
    on average (two years of a household's repairs, installs and maintenance), one outlet per 2,000
    orders and six technicians per outlet; at 1,000,000 orders 200,000 customers, 500 outlets and
    3,000 technicians. Small scales keep at least 30 outlets so routing still has choices."""
    outlets = max(30, orders // 2000)
    return {"customers": max(500, orders // 5), "outlets": outlets, "technicians": outlets * 6}


# Status mix of the existing orders (weights, per 10,000): most are long closed; about 2 % are open
# (a few days of work) and recent, so their visit clocks are on track, at risk or breached.
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
UNROUTED = {"created", "pending_approval"}
UNASSIGNED = UNROUTED | {"routed", "rejected", "accepted", "cancelled", "resolved_by_phone"}
DIAGNOSED = {"completed", "callback_done", "closed", "pending_parts", "revisit"}
ORDER_TYPES = (("repair", 60), ("install", 30), ("maintenance", 6), ("return_exchange", 2), ("inspection", 2))
VISIT_HOURS = (24, 48, 72)
GRADES = (("A+", 5), ("A", 20), ("B", 35), ("C", 30), ("D", 10))
DIVISION_TIER = {"330127": 3, "510121": 2}  # as demo.data.MARKET_TIER_RULES
SYMPTOMS = ("不制冷", "漏水", "噪音大", "不通电", "显示故障代码", "安装", "清洗保养")


class Choice:
    """A weighted choice among (value, weight) pairs, the cumulative weights computed once."""

    def __init__(self, pairs):
        self.values, weights = zip(*pairs, strict=True)
        self.cumulative = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """1, 1/2^s, 1/3^s, …: the first of a list gets the most (a busy outlet, a senior technician)."""
    return [1 / (k + 1) ** s for k in range(n)]


# --- raw rows ---------------------------------------------------------------------------------


def columns(model) -> tuple[list[str], list, dict[str, int]]:
    """Every concrete column of ``model`` but the generated ones, with its default, in table order,
    and the position of each attribute name: a row template to fill."""
    names, defaults = [], []
    for f in model._meta.concrete_fields:
        if f.generated:  # the database computes generated columns
            continue
        names.append(f.column)
        if f.primary_key:
            defaults.append(None)
        elif f.has_default():
            value = f.get_default()
            defaults.append(json.dumps(value) if f.get_internal_type() == "JSONField" else value)
        elif f.null:
            defaults.append(None)
        else:
            defaults.append("")
    index = {}
    for position, f in enumerate(f for f in model._meta.concrete_fields if not f.generated):
        index[f.attname] = position
    return names, defaults, index


class Table:
    """Rows for one model's table, written by ``flush()`` in one statement per batch."""

    def __init__(self, model):
        from django.db import connection

        self.model = model
        self.table = model._meta.db_table
        self.names, defaults, self.index = columns(model)
        self.pg = connection.vendor == "postgresql"
        self.ops = connection.ops
        self.defaults = [self.adapt(v) for v in defaults]
        # SQLite: only the date, datetime and decimal columns need converting (by attribute name).
        kinds = ("DateTimeField", "DateField", "DecimalField")
        self.converted = set() if self.pg else {f.attname for f in model._meta.concrete_fields if f.get_internal_type() in kinds}
        self.rows: list[list] = []
        self.written = 0

    def adapt(self, value):
        # SQLite stores datetimes as Django does (naive UTC text); COPY takes Python values as they are.
        if self.pg or value is None:
            return value
        if isinstance(value, datetime):
            # What Django writes (naive UTC text), without its per-value time-zone machinery.
            return str(value.astimezone(UTC).replace(tzinfo=None)) if value.tzinfo else str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    def add(self, values: dict) -> None:
        row = list(self.defaults)
        index, converted = self.index, self.converted
        for key, value in values.items():
            row[index[key]] = self.adapt(value) if key in converted else value
        self.rows.append(row)

    def flush(self, cursor) -> None:
        if not self.rows:
            return
        cols = ", ".join(self.ops.quote_name(c) for c in self.names)
        if self.pg:
            with cursor.connection.cursor() as raw, raw.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:  # noqa: S608
                for r in self.rows:
                    copy.write_row(r)
        else:
            marks = ", ".join(["%s"] * len(self.names))
            cursor.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", self.rows)  # noqa: S608 - names from model meta
        self.written += len(self.rows)
        self.rows.clear()


def max_id(model) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608 - table name from model meta
        return cur.fetchone()[0]


def secondary_indexes(cursor, tables: tuple[str, ...], pg: bool) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the non-unique indexes on ``tables``."""
    marks = ", ".join(["%s"] * len(tables))
    if pg:
        sql = f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({marks}) AND indexdef NOT LIKE 'CREATE UNIQUE%%'"  # noqa: S608
    else:
        sql = (
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) AND sql IS NOT NULL "  # noqa: S608
            "AND sql NOT LIKE 'CREATE UNIQUE%%'"
        )
    cursor.execute(sql, list(tables))
    return list(cursor.fetchall())


def bulk_write(models: list, rows, batch: int = 20000) -> None:
    """Write ``rows`` — an iterable yielding lists of (table index, values) per item — into the
    tables of ``models``, with their secondary indexes dropped during the load and built again in
    one pass each at the end (bulk-load practice), then ANALYZE."""
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    tables = [Table(m) for m in models]
    with connection.cursor() as cur:
        indexes = secondary_indexes(cur, tuple(t.table for t in tables), pg)
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        if not pg:
            cur.execute("PRAGMA synchronous = OFF")

    def flush():
        with transaction.atomic(), connection.cursor() as cur:
            for t in tables:
                t.flush(cur)

    for count, item in enumerate(rows, start=1):
        for which, values in item:
            tables[which].add(values)
        if count % batch == 0:
            flush()
    flush()
    with connection.cursor() as cur:
        for _name, sql in indexes:
            cur.execute(sql)
        if pg:
            for t in tables:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t.table}', 'id'), GREATEST((SELECT MAX(id) FROM {t.table}), 1))")  # noqa: S608
        else:
            cur.execute("PRAGMA synchronous = FULL")
        cur.execute("ANALYZE")


# --- the network ------------------------------------------------------------------------------


@dataclass
class Outlet:
    id: int
    code: str
    region_id: int
    city_key: str
    district: str
    weight: float  # how busy it is relative to the others of its district
    categories: set[int] | None  # None: every category


@dataclass
class Network:
    hq_id: int
    admin_id: int
    regions: dict[str, int]  # city key → region id
    directors: dict[int, int]  # region id → user id
    agents: dict[int, int]
    callback_agents: dict[int, int]
    managers: dict[int, int]  # outlet id → user id
    outlets: dict[int, Outlet]
    coverage: list[tuple[str, int | None, int]]  # (prefix, category id or None, outlet id)
    categories: dict[str, int]  # code → id
    models: dict[int, list[int]]  # category id → model ids
    model_category: dict[int, int]
    warranty_months: dict[int, int]
    faults: dict[int, list[tuple[int, int]]]  # category id → (fault id, difficulty)
    technicians: dict[int, list] = field(default_factory=dict)  # outlet id → Technician rows (skills prefetched)
    vip_minimum: int = 4
    _routes: dict = field(default_factory=dict)
    _qualified: dict = field(default_factory=dict)

    def route(self, division_code: str, category_ids: frozenset[int]) -> list[int]:
        """The outlets the routing rule picks among for an address and its categories (as
        ``network.selectors.outlets_covering``: every category covered, the longest matching
        prefix), busiest first; the rule's tie-break on open orders is what spreads them."""
        key = (division_code, category_ids)
        if key not in self._routes:
            best: dict[int, int] = {}
            cats: dict[int, set] = {}
            for prefix, category, outlet in self.coverage:
                if division_code.startswith(prefix) and (category is None or category in category_ids):
                    best[outlet] = max(best.get(outlet, 0), len(prefix))
                    cats.setdefault(outlet, set()).add(category)
            eligible = [o for o, c in cats.items() if None in c or category_ids <= c]
            top = max((best[o] for o in eligible), default=0)
            chosen = sorted((o for o in eligible if best[o] == top), key=lambda o: -self.outlets[o].weight)
            self._routes[key] = (chosen, list(itertools.accumulate(self.outlets[o].weight for o in chosen)))
        return self._routes[key]

    def qualified(self, outlet_id: int, category_ids: frozenset[int], level: int) -> tuple[list[int], list[float]]:
        """Technician ids of the outlet the network's qualification rule accepts for the facts, and
        cumulative Zipf-like weights (the first ones of an outlet take more of its jobs)."""
        from anxin.network.selectors import qualification_problems

        key = (outlet_id, category_ids, level)
        if key not in self._qualified:
            ids = [
                t.pk
                for t in self.technicians.get(outlet_id, ())
                if not qualification_problems(technician=t, level=level, category_ids=set(category_ids), outlet_id=outlet_id)
            ]
            # Who is busiest differs by kind of job (not always the senior who qualifies for all).
            random.Random(f"{outlet_id}-{sorted(category_ids)}-{level}").shuffle(ids)
            self._qualified[key] = (ids, list(itertools.accumulate(zipf_weights(len(ids), 0.5))))
        return self._qualified[key]


def build_network(n_outlets: int, n_technicians: int, seed: int) -> Network:
    """HQ, a region per city, ``n_outlets`` outlets over the districts (by district and city weight,
    at least one per district), their coverage, ``n_technicians`` technicians and the users who act."""
    from django.contrib.auth.hashers import make_password

    from anxin.accounts.choices import OrgKind, OutletKind, OutletStatus, Role
    from anxin.accounts.models import OrgUnit, User
    from anxin.catalog.models import FaultCode, ProductCategory, ProductModel
    from anxin.demo import data
    from anxin.network.models import OutletCoverage, Technician
    from anxin.orders.workflow.grading import vip_minimum_level

    rng = random.Random(seed)
    # Catalog: the demo's categories, models and fault codes (difficulty 1–5).
    categories, models, model_category, faults, warranty = {}, {}, {}, {}, {}
    for cat in data.CATEGORIES:
        c = ProductCategory.objects.create(
            code=cat.code, name=cat.name, warranty_months=cat.warranty_months, main_parts_warranty_months=cat.main_parts_months
        )
        categories[cat.code], warranty[c.pk] = c.pk, cat.warranty_months
        for code, name, high_end in cat.models:
            m = ProductModel.objects.create(category=c, code=code, name=name, high_end=high_end)
            models.setdefault(c.pk, []).append(m.pk)
            model_category[m.pk] = c.pk
        seen = set()
        for code, name, difficulty, _resolution in cat.faults:
            if code not in seen:
                seen.add(code)
                f = FaultCode.objects.create(category=c, code=code, name=name, difficulty=difficulty)
                faults.setdefault(c.pk, []).append((f.pk, difficulty))

    password = make_password(None)  # unusable: the bench logs in with force_login and API tokens
    hq = OrgUnit.objects.create(kind=OrgKind.HQ, code="HQ", name="顾客服务部", division_code="370212")
    users = [User(username="admin", role=Role.HQ_MANAGER, org_unit=hq, password=password)]
    regions = {}
    for city in data.CITIES:
        r = OrgUnit.objects.create(
            kind=OrgKind.REGION,
            parent=hq,
            code=f"R-{city.key.upper()}",
            name=f"{city.short}地区顾客服务中心",
            division_code=city.code,
            city=city.name,
            service_level=city.service_level,
        )
        regions[city.key] = r.pk
        for role, prefix in ((Role.REGION_DIRECTOR, "director"), (Role.AGENT, "agent"), (Role.CALLBACK_AGENT, "callback")):
            users.append(User(username=f"{prefix}-{city.key}", role=role, org_unit=r, password=password))

    # Outlets: each district at least one general outlet (every category), the rest by weight; a
    # third are specialists (one to three categories); a few probationary or suspended.
    districts = [(city, d) for city in data.CITIES for d in city.districts]
    weights = [city.weight * d.weight for city, d in districts]
    seats = list(range(len(districts))) + rng.choices(range(len(districts)), weights=weights, k=max(0, n_outlets - len(districts)))
    cat_ids = list(categories.values())
    cat_weights = [data.CATEGORY_WEIGHTS.get(code, 5) for code in categories]
    units, specs = [], []
    per_district: dict[int, int] = {}
    for k, seat in enumerate(seats):
        city, district = districts[seat]
        n = per_district[seat] = per_district.get(seat, 0) + 1
        first = n == 1
        general = first or rng.random() < 0.65
        cats = None if general else set(rng.choices(cat_ids, weights=cat_weights, k=rng.randint(1, 3)))
        status = OutletStatus.ACTIVE if first or rng.random() < 0.96 else rng.choice((OutletStatus.PROBATION, OutletStatus.SUSPENDED))
        kind = rng.choice((OutletKind.AUTHORIZED, OutletKind.AUTHORIZED, OutletKind.STAR, OutletKind.COMMUNITY))
        code = f"O-{city.key.upper()}-{k + 1:04d}"
        units.append(
            OrgUnit(
                kind=OrgKind.OUTLET,
                parent_id=regions[city.key],
                code=code,
                name=f"{city.short}{district.name}服务网点{n}",
                outlet_kind=kind,
                status=status,
                city=city.name,
            )
        )
        # Busy-ness: Pareto-distributed (capped), so some outlets of a district take several times
        # the orders of the others without one taking a city's.
        specs.append((city, district, cats, min(8.0, rng.paretovariate(2.0))))
    OrgUnit.objects.bulk_create(units, batch_size=500)
    pks = dict(OrgUnit.objects.filter(kind=OrgKind.OUTLET).values_list("code", "pk"))
    outlets, coverage_rows = {}, []
    for (city, district, cats, weight), unit in zip(specs, units, strict=True):
        unit.pk = pks[unit.code]
        outlets[unit.pk] = Outlet(unit.pk, unit.code, regions[city.key], city.key, district.code, weight, cats)
        for category in sorted(cats) if cats else [None]:
            coverage_rows.append(OutletCoverage(outlet_id=unit.pk, division_prefix=district.code, category_id=category))
        if rng.random() < 0.25:  # also serves a neighbouring district of its city, for the same categories
            other = rng.choice(city.districts).code
            if other != district.code:
                for category in sorted(cats) if cats else [None]:
                    coverage_rows.append(OutletCoverage(outlet_id=unit.pk, division_prefix=other, category_id=category))
    OutletCoverage.objects.bulk_create(coverage_rows, batch_size=1000)
    coverage = [(c.division_prefix, c.category_id, c.outlet_id) for c in coverage_rows]

    # Technicians: every outlet a senior (grade A) one with all its categories, so every job has
    # someone; the others by grade weights with one to four of the outlet's categories as skills.
    ids = list(outlets)
    extra = rng.choices(ids, weights=[outlets[o].weight ** 0.5 for o in ids], k=max(0, n_technicians - len(ids)))
    tech_specs = []
    grade_of, surname_of = Choice(GRADES), Choice(data.SURNAMES)
    for k, outlet_id in enumerate(ids + extra):
        o = outlets[outlet_id]
        pool = sorted(o.categories) if o.categories else cat_ids
        senior = k < len(ids)
        grade = "A" if senior else grade_of(rng)
        skills = set(pool) if senior else set(rng.sample(pool, k=min(len(pool), rng.randint(1, 4))))
        active = senior or rng.random() < 0.95
        tech_specs.append((outlet_id, f"tech-{k + 1:05d}", grade, skills, active))
    for o in outlets.values():
        users.append(User(username=f"manager-{o.code}", role=Role.OUTLET_MANAGER, org_unit_id=o.id, password=password))
    users += [User(username=name, role=Role.TECHNICIAN, org_unit_id=outlet_id, password=password) for outlet_id, name, *_ in tech_specs]
    User.objects.bulk_create(users, batch_size=1000)
    user_ids = dict(User.objects.values_list("username", "pk"))
    given = data.GIVEN_MALE + data.GIVEN_FEMALE
    techs = [
        Technician(
            user_id=user_ids[name],
            outlet_id=outlet_id,
            name=surname_of(rng) + rng.choice(given) + rng.choice(given),
            grade=grade,
            active=active,
            years_of_service=rng.randint(0, 20),
            mobile=f"139{rng.randrange(10**8):08d}",
        )
        for outlet_id, name, grade, _skills, active in tech_specs
    ]
    Technician.objects.bulk_create(techs, batch_size=1000)
    by_user = dict(Technician.objects.values_list("user_id", "pk"))
    Through = Technician.skills.through
    Through.objects.bulk_create(
        [Through(technician_id=by_user[user_ids[name]], productcategory_id=c) for _o, name, _g, skills, _a in tech_specs for c in skills],
        batch_size=2000,
    )
    network = Network(
        hq_id=hq.pk,
        admin_id=user_ids["admin"],
        regions=regions,
        directors={regions[c.key]: user_ids[f"director-{c.key}"] for c in data.CITIES},
        agents={regions[c.key]: user_ids[f"agent-{c.key}"] for c in data.CITIES},
        callback_agents={regions[c.key]: user_ids[f"callback-{c.key}"] for c in data.CITIES},
        managers={o.id: user_ids[f"manager-{o.code}"] for o in outlets.values()},
        outlets=outlets,
        coverage=coverage,
        categories=categories,
        models=models,
        model_category=model_category,
        warranty_months=warranty,
        faults=faults,
        vip_minimum=vip_minimum_level(),
    )
    # Only outlets the routing rule may pick take orders (as ``outlets_covering``: active or probation).
    routable = set(
        OrgUnit.objects.filter(kind=OrgKind.OUTLET, status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION)).values_list("pk", flat=True)
    )
    network.coverage = [c for c in coverage if c[2] in routable]
    for t in Technician.objects.prefetch_related("skills").order_by("pk"):
        network.technicians.setdefault(t.outlet_id, []).append(t)
    return network


# --- customers --------------------------------------------------------------------------------


@dataclass
class CustomerFacts:
    """What the order generator needs of a loaded customer."""

    id: int
    region_id: int
    vip: bool
    addresses: list[tuple[int, str]]  # (address id, division code), primary first
    appliances: list[tuple[int, int, int, bool]]  # (appliance id, model id, category id, in warranty)


def generate_customers(n: int, seed: int):
    """Yield (name, phones, addresses, appliances) for ``n`` customers, deterministically: realistic
    Chinese names, one or two unique mobiles, one address (a fifth have two) in a real district
    chosen by weight, one to three appliances (category by the demo's weights), half with a serial."""
    from anxin.demo import data

    rng = random.Random(seed)
    districts = [(city, d) for city in data.CITIES for d in city.districts]
    district_weights = list(itertools.accumulate(city.weight * d.weight for city, d in districts))
    categories = [c.code for c in data.CATEGORIES]
    category_weights = list(itertools.accumulate(data.CATEGORY_WEIGHTS.get(c, 5) for c in categories))
    used_phones: set[str] = set()
    surname_of, appliance_count = Choice(data.SURNAMES), Choice(((1, 50), (2, 35), (3, 15)))
    for i in range(n):
        surname = surname_of(rng)
        given_pool = data.GIVEN_MALE if rng.random() < 0.5 else data.GIVEN_FEMALE
        given = rng.choice(given_pool) if rng.random() < 0.35 else rng.choice(given_pool) + rng.choice(given_pool)
        phones = []
        for _ in range(1 if rng.random() < 0.5 else 2):
            while True:
                number = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if number not in used_phones:
                    used_phones.add(number)
                    phones.append(number)
                    break
        addresses = []
        home = None
        for _ in range(2 if rng.random() < 0.2 else 1):
            city, district = districts[bisect.bisect(district_weights, rng.random() * district_weights[-1])]
            home = home or city
            street = rng.choice(district.streets)
            estate = rng.choice(data.ESTATE_HEADS) + rng.choice(data.ESTATE_TAILS)
            detail = f"{street}{rng.randint(1, 999)}号{estate}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
            text = f"{city.province}{city.name}{district.name}{detail}"
            addresses.append((text, city.province, city.name, district.name, detail, district.code))
        appliances = []
        for k in range(appliance_count(rng)):
            category = categories[bisect.bisect(category_weights, rng.random() * category_weights[-1])]
            serial = f"SN{seed % 10}{i:09d}{k}{rng.randrange(100):02d}" if rng.random() < 0.5 else ""
            appliances.append((category, serial, rng.randint(30, 3000)))
        yield surname + given, phones, addresses, appliances, home.key


def load_customers(n: int, seed: int, network: Network) -> tuple[list[CustomerFacts], float]:
    """Insert ``n`` customers with their phones, addresses and appliances; their facts and seconds."""
    from django.utils import timezone

    from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone

    now = timezone.now()
    today = timezone.localdate()
    rng = random.Random(seed + 100)
    ids = {m: max_id(m) for m in (Customer, CustomerPhone, CustomerAddress, Appliance)}
    facts: list[CustomerFacts] = []
    models_by_code = {code: network.models[cid] for code, cid in network.categories.items()}

    def rows():
        for name, phones, addresses, appliances, city_key in generate_customers(n, seed):
            ids[Customer] += 1
            cid = ids[Customer]
            vip = rng.random() < 0.03
            region_id = network.regions[city_key]
            item = [
                (
                    0,
                    {
                        "id": cid,
                        "name": name,
                        "group": "vip" if vip else "urban",
                        "region_id": region_id,
                        "created_at": now - timedelta(days=rng.randint(0, 1100)),
                    },
                )
            ]
            for j, number in enumerate(phones):
                ids[CustomerPhone] += 1
                item.append((1, {"id": ids[CustomerPhone], "customer_id": cid, "number": number, "kind": "mobile", "is_primary": j == 0}))
            fact = CustomerFacts(cid, region_id, vip, [], [])
            for j, (text, province, city, district, detail, code) in enumerate(addresses):
                ids[CustomerAddress] += 1
                values = {
                    "id": ids[CustomerAddress],
                    "customer_id": cid,
                    "text": text,
                    "province": province,
                    "city": city,
                    "district": district,
                }
                values |= {"detail": detail, "division_code": code, "market_tier": DIVISION_TIER.get(code, 1), "is_primary": j == 0}
                item.append((2, values))
                fact.addresses.append((ids[CustomerAddress], code))
            for code, serial, days in appliances:
                ids[Appliance] += 1
                model_id = rng.choice(models_by_code[code])
                category_id = network.categories[code]
                purchase = today - timedelta(days=days)
                warranty_end = purchase + timedelta(days=network.warranty_months[category_id] * 30)
                values = {
                    "id": ids[Appliance],
                    "customer_id": cid,
                    "product_model_id": model_id,
                    "serial": serial,
                    "purchase_date": purchase,
                }
                values |= {"warranty_end": warranty_end, "main_parts_warranty_end": purchase + timedelta(days=3650), "status": "in_use"}
                item.append((3, values))
                fact.appliances.append((ids[Appliance], model_id, category_id, warranty_end >= today))
            facts.append(fact)
            yield item

    started = time.perf_counter()
    bulk_write([Customer, CustomerPhone, CustomerAddress, Appliance], rows())
    return facts, time.perf_counter() - started


# --- orders -----------------------------------------------------------------------------------


def orders_per_customer(n_orders: int, n_customers: int, rng: random.Random) -> list[int]:
    """Customer index of each of ``n_orders`` orders (shuffled): every customer one (while there are
    orders enough), the rest by counts drawn from an exponential law around the mean (most customers
    1–10 in all, a long tail of project customers with dozens)."""
    mean = n_orders / max(1, n_customers)
    extra = [c for c in range(n_customers) for _ in range(min(200, int(rng.expovariate(1 / max(mean - 1, 0.01)))))]
    rng.shuffle(extra)
    owners = list(range(min(n_customers, n_orders))) + extra
    if len(owners) < n_orders:
        owners += rng.choices(range(n_customers), k=n_orders - len(owners))
    owners = owners[:n_orders]
    rng.shuffle(owners)
    return owners


def load_orders(n: int, seed: int, network: Network, customers: list[CustomerFacts], *, lines: bool = True) -> tuple[dict, float]:
    """Insert ``n`` orders (one to three lines each on the customer's own appliances; ``lines=False``
    writes the orders only, for a bench that never reads lines) routed and assigned by the network's
    rules; returns counts (per outlet, per technician, unroutable) and seconds."""
    from django.utils import timezone

    from anxin.orders.models import OrderLine, WorkOrder

    now = timezone.now()
    rng = random.Random(seed)
    order_id, line_id = max_id(WorkOrder), max_id(OrderLine)
    owners = orders_per_customer(n, len(customers), rng)
    stats = {"per_outlet": {}, "per_technician": {}, "unroutable": 0, "fallback_assignments": 0}
    status_of, type_of = Choice(STATUS_MIX), Choice(ORDER_TYPES)

    def pick_technician(outlet_id, category_ids, level):
        qualified, cumulative = network.qualified(outlet_id, category_ids, level)
        if not qualified:
            return None
        return qualified[bisect.bisect(cumulative, rng.random() * cumulative[-1])]

    def rows():
        nonlocal order_id, line_id
        for owner in owners:
            c = customers[owner]
            status = status_of(rng)
            address_id, division = c.addresses[0] if len(c.addresses) == 1 or rng.random() < 0.8 else c.addresses[1]
            first = rng.choice(c.appliances)
            order_lines = [first] + [a for a in c.appliances if a is not first and rng.random() < 0.08]  # some complete-set orders
            category_ids = frozenset(a[2] for a in order_lines)
            chosen, cumulative = network.route(division, category_ids)
            outlet_id = None
            if chosen and status not in UNROUTED:
                outlet_id = chosen[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
            elif status not in UNROUTED:
                status = "created"  # nobody covers it: it waits for a person to route it
                stats["unroutable"] += 1
            faults = {}
            if status in DIAGNOSED:
                for a in order_lines:
                    faults[a[0]] = rng.choice(network.faults[a[2]])
            technician = None
            if outlet_id is not None and status not in UNASSIGNED:
                level = max((d for _f, d in faults.values()), default=1)
                if c.vip:
                    level = max(level, network.vip_minimum)
                technician = pick_technician(outlet_id, category_ids, level)
                if technician is None:  # nobody there has the grade for that fault: the easiest diagnosis instead
                    if faults:
                        faults = {a[0]: min(network.faults[a[2]], key=lambda f: f[1]) for a in order_lines}
                    level = max((d for _f, d in faults.values()), default=1)
                    technician = pick_technician(outlet_id, category_ids, max(level, network.vip_minimum) if c.vip else level)
                    stats["fallback_assignments"] += 1
                if technician is None:
                    status = "accepted"
            if outlet_id is not None:
                stats["per_outlet"][outlet_id] = stats["per_outlet"].get(outlet_id, 0) + 1
            if technician is not None:
                stats["per_technician"][technician] = stats["per_technician"].get(technician, 0) + 1
            if status in OPEN:
                created = now - timedelta(minutes=rng.randint(5, 4 * 24 * 60))  # the last four days
            else:
                created = now - timedelta(minutes=rng.randint(4 * 24 * 60, 730 * 24 * 60))  # up to two years
            hours = rng.choice(VISIT_HOURS)
            deadline = created + timedelta(hours=hours)
            checked_in = created + timedelta(hours=rng.uniform(1, hours * 1.2)) if status in CHECKED_IN else None
            done = status in ("completed", "callback_done", "closed", "resolved_by_phone")
            completed = (checked_in or created + timedelta(hours=2)) + timedelta(minutes=rng.randint(30, 150)) if done else None
            order_id += 1
            oid = order_id
            order = {
                "id": oid,
                "number": f"WO{oid:010d}",
                "order_type": type_of(rng),
                "status": status,
                "customer_id": c.id,
                "address_id": address_id,
                "is_vip": c.vip,
                "region_id": network.outlets[outlet_id].region_id if outlet_id else c.region_id,
                "outlet_id": outlet_id,
                "technician_id": technician,
                "description": rng.choice(SYMPTOMS),
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
            item = [(0, order)]
            for appliance_id, model_id, _category, in_warranty in order_lines if lines else ():
                line_id += 1
                fault = faults.get(appliance_id)
                values = {
                    "id": line_id,
                    "order_id": oid,
                    "appliance_id": appliance_id,
                    "product_model_id": model_id,
                    "symptom": order["description"],
                }
                values |= {"fault_code_id": fault[0] if fault else None, "in_warranty": in_warranty}
                item.append((1, values))
            yield item

    started = time.perf_counter()
    bulk_write([WorkOrder, OrderLine], rows())
    return stats, time.perf_counter() - started


def rebuild_customer_access() -> float | None:
    """Rebuild what the order side maintains about who may see which customer, when it exists
    (``anxin.orders.customer_access.rebuild``): the raw INSERTs bypassed the order events. Seconds, or
    None when the module is not there."""
    try:
        from anxin.orders import customer_access
    except ImportError:
        return None
    rebuild = getattr(customer_access, "rebuild", None)
    if rebuild is None:
        return None
    started = time.perf_counter()
    rebuild()
    return time.perf_counter() - started


# --- the day's field work and the call center ---------------------------------------------------

TODAY_STATUS_MIX = (("assigned", 35), ("confirmed", 45), ("en_route", 8), ("on_site", 12))


def load_today_jobs(network: Network, customers: list[CustomerFacts], seed: int, per_technician: tuple[int, int] = (5, 15)) -> dict:
    """Give every technician the qualification rule lets work ``per_technician`` (inclusive range) open
    field jobs with an appointment today: single-line orders for customers whose address and appliance
    category the technician's outlet covers (the routing rule's longest prefix, as ``route``), of a grade
    the technician has (level 1, a VIP's the policy minimum), the first one still ``assigned`` (so the
    technician has a step to take); fewer when the outlet's area has too few such customers (a small
    world). Written with the secondary indexes in place (a few tens of thousands of rows beside the
    archive). Returns ``{"jobs": technician id → [(order id, status)], "seconds": …}``."""
    from django.db import connection, transaction
    from django.utils import timezone

    from anxin.orders.models import OrderLine, WorkOrder

    started = time.perf_counter()
    rng = random.Random(seed + 300)
    now = timezone.now()
    local_now = timezone.localtime(now)
    day_start = local_now.replace(hour=8, minute=0, second=0, microsecond=0)
    # Which (customer, address, appliance) each outlet may serve: the outlets the routing rule picks
    # among for the address's district and the appliance's category.
    pools: dict[int, list[tuple[int, int, tuple]]] = {}
    for index, c in enumerate(customers):
        for address_id, division in c.addresses[:1]:
            for appliance in c.appliances:
                chosen, _cumulative = network.route(division, frozenset((appliance[2],)))
                for outlet_id in chosen:
                    pools.setdefault(outlet_id, []).append((index, address_id, appliance))
    qualified: dict[tuple, set[int]] = {}

    def may_take(technician_id: int, outlet_id: int, category_id: int, level: int) -> bool:
        key = (outlet_id, category_id, level)
        if key not in qualified:
            qualified[key] = set(network.qualified(outlet_id, frozenset((category_id,)), level)[0])
        return technician_id in qualified[key]

    status_of, type_of = Choice(TODAY_STATUS_MIX), Choice(ORDER_TYPES[:3])
    orders, lines = Table(WorkOrder), Table(OrderLine)
    order_id, line_id = max_id(WorkOrder), max_id(OrderLine)
    jobs: dict[int, list[tuple[int, str]]] = {}
    for outlet_id, technicians in network.technicians.items():
        pool = pools.get(outlet_id, [])
        for technician in technicians:
            if not technician.active or not pool:
                continue
            wanted = rng.randint(*per_technician)
            picked: list[tuple[int, int, tuple]] = []
            seen: set[int] = set()
            for _try in range(wanted * 40):
                if len(picked) == wanted:
                    break
                index, address_id, appliance = pool[rng.randrange(len(pool))]
                c = customers[index]
                level = network.vip_minimum if c.vip else 1
                if index not in seen and may_take(technician.pk, outlet_id, appliance[2], level):
                    seen.add(index)
                    picked.append((index, address_id, appliance))
            for k, (index, address_id, (appliance_id, model_id, _category, in_warranty)) in enumerate(picked):
                c = customers[index]
                status = "assigned" if k == 0 else status_of(rng)
                created = now - timedelta(minutes=rng.randint(60, 30 * 60))
                start = day_start + timedelta(hours=rng.randint(0, 9))
                hours = rng.choice(VISIT_HOURS)
                deadline = created + timedelta(hours=hours)
                checked_in = now - timedelta(minutes=rng.randint(5, 90)) if status == "on_site" else None
                order_id += 1
                orders.add(
                    {
                        "id": order_id,
                        "number": f"WO{order_id:010d}",
                        "order_type": type_of(rng),
                        "status": status,
                        "customer_id": c.id,
                        "address_id": address_id,
                        "is_vip": c.vip,
                        "region_id": network.outlets[outlet_id].region_id,
                        "outlet_id": outlet_id,
                        "technician_id": technician.pk,
                        "description": rng.choice(SYMPTOMS),
                        "appointment_start": start,
                        "appointment_end": start + timedelta(hours=2),
                        "visit_deadline": deadline,
                        "visit_risk_at": deadline - timedelta(hours=hours) / 4,
                        "visit_count": 1 if checked_in else 0,
                        "created_at": created,
                        "updated_at": checked_in or created + timedelta(minutes=20),
                        "accepted_at": created + timedelta(minutes=20),
                        "checked_in_at": checked_in,
                    }
                )
                line_id += 1
                values = {"id": line_id, "order_id": order_id, "appliance_id": appliance_id, "product_model_id": model_id}
                lines.add(values | {"symptom": rng.choice(SYMPTOMS), "in_warranty": in_warranty})
                jobs.setdefault(technician.pk, []).append((order_id, status))
    with transaction.atomic(), connection.cursor() as cur:
        orders.flush(cur)
        lines.flush(cur)
        if connection.vendor == "postgresql":
            for t in (orders, lines):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t.table}', 'id'), GREATEST((SELECT MAX(id) FROM {t.table}), 1))")  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {orders.table}")  # noqa: S608 - table name from model meta
    return {"jobs": jobs, "seconds": time.perf_counter() - started}


def add_agents(network: Network, n: int, seed: int, first_extension: int = 6000) -> list[tuple[int, str, int]]:
    """``n`` hotline agents spread over the regions by city weight, each bound to its own PBX extension
    (``first_extension`` + k); returns (user id, extension, region id) per agent."""
    from django.contrib.auth.hashers import make_password

    from anxin.accounts.choices import Role
    from anxin.accounts.models import User
    from anxin.demo import data

    rng = random.Random(seed + 400)
    password = make_password(None)
    cities = [c for c in data.CITIES if c.key in network.regions]
    homes = rng.choices(cities, weights=[c.weight for c in cities], k=n)
    users = [
        User(
            username=f"hotline-{k + 1:05d}",
            role=Role.AGENT,
            org_unit_id=network.regions[city.key],
            extension=str(first_extension + k),
            password=password,
        )
        for k, city in enumerate(homes)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    ids = dict(User.objects.filter(username__startswith="hotline-").values_list("username", "pk"))
    return [(ids[u.username], u.extension, u.org_unit_id) for u in users]


@dataclass
class World:
    network: Network
    customers: list[CustomerFacts]
    order_stats: dict
    seconds: dict[str, float]

    def busiest_outlet(self) -> int:
        per = self.order_stats["per_outlet"]
        return max(per, key=per.get)

    def busiest_technician(self) -> int:
        per = self.order_stats["per_technician"]
        return max(per, key=per.get)

    def sizes(self) -> dict[str, int]:
        return {
            "customers": len(self.customers),
            "outlets": len(self.network.outlets),
            "technicians": sum(len(t) for t in self.network.technicians.values()),
        }


def build(*, orders: int, customers: int, outlets: int, technicians: int, seed: int, lines: bool = True, log=print) -> World:
    """The whole realistic world: network, customers, orders, then the customer-access rebuild."""
    seconds = {}
    t = time.perf_counter()
    network = build_network(outlets, technicians, seed)
    seconds["network_s"] = time.perf_counter() - t
    log(f"network: {outlets} outlets, {technicians} technicians in {seconds['network_s']:.1f} s", flush=True)
    facts, seconds["customers_s"] = load_customers(customers, seed, network)
    log(f"loaded {customers} customers in {seconds['customers_s']:.1f} s", flush=True)
    stats, seconds["orders_s"] = load_orders(orders, seed, network, facts, lines=lines)
    log(f"loaded {orders} orders in {seconds['orders_s']:.1f} s", flush=True)
    access = rebuild_customer_access()
    if access is not None:
        seconds["access_rebuild_s"] = access
        log(f"customer access rebuilt in {access:.1f} s", flush=True)
    return World(network, facts, stats, seconds)
