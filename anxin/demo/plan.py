"""The pure half of the demo data: ``make_plan(scale, seed)`` decides every customer and order.

Nothing here touches the database or the clock, so the same seed always gives the same plan
(names, phones, addresses, appliances, order statuses …); ``builder`` then writes the plan through
the real services. Times are relative ("days ago") and resolved against "now" by the builder.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from anxin.demo import data as D
from anxin.network.coverage import coverage_matches

# --- scales -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    orders: int
    techs_per_outlet: int
    history_days: int
    # Share of the non-final statuses compared with the small scale: a big archive is mostly closed.
    open_factor: float = 1.0
    # Insert customers/phones/addresses/appliances in bulk (one address parse per street template).
    bulk_customers: bool = False
    # Insert closed/cancelled orders older than this many days in bulk (with valid status rows);
    # 0 = every order goes through the services.
    bulk_orders_older_than: float = 0


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", customers=50, orders=90, techs_per_outlet=3, history_days=60),
    "small": Scale("small", customers=200, orders=300, techs_per_outlet=4, history_days=120),
    "medium": Scale("medium", customers=5000, orders=8000, techs_per_outlet=8, history_days=365, open_factor=0.4, bulk_customers=True),
    "large": Scale(
        "large",
        customers=50000,
        orders=80000,
        techs_per_outlet=14,
        history_days=730,
        open_factor=0.08,
        bulk_customers=True,
        bulk_orders_older_than=14,
    ),
}

# Share of orders per final status at the small scale (every status appears at every scale).
STATUS_WEIGHTS = {
    "created": 3,
    "routed": 7,
    "accepted": 6,
    "assigned": 8,
    "confirmed": 5,
    "en_route": 3,
    "on_site": 3,
    "completed": 9,
    "callback_done": 3,
    "rejected": 3,
    "cancelled": 5,
    "closed": 45,
    # Side states of issue 4: a return / exchange awaiting approval, resolved on the phone, waiting
    # for a spare part, a second visit needed, an install refused for unsafe wiring.
    "pending_approval": 2,
    "resolved_by_phone": 3,
    "pending_parts": 3,
    "revisit": 2,
    "install_refused": 2,
}
FINAL_STATUSES = ("closed", "cancelled")
# Statuses that only make sense for one order type.
FORCED_TYPES = {
    "pending_approval": "return_exchange",
    "install_refused": "install",
    "resolved_by_phone": "repair",
    "pending_parts": "repair",
    "revisit": "repair",
}
RETURN_MAX_AGE_DAYS = 10
FIELD_STATUSES = ("assigned", "confirmed", "en_route", "on_site")
AFTER_ASSIGN = ("assigned", "confirmed", "en_route", "on_site", "completed", "callback_done", "closed")

# Orders that make the demo logins useful whatever the scale: (status, pin). "outlet" = routed to
# the demo dispatcher's outlet (杭州西湖); "tech" = also assigned to the demo technician.
SPOTLIGHT = (
    ("routed", "outlet"),
    ("routed", "outlet"),
    ("routed", "outlet"),
    ("accepted", "outlet"),
    ("accepted", "outlet"),
    ("rejected", "outlet"),
    ("assigned", "tech"),
    ("assigned", "tech"),
    ("confirmed", "tech"),
    ("confirmed", "tech"),
    ("en_route", "tech"),
    ("on_site", "tech"),
    ("completed", "tech"),
    ("completed", "tech"),
    ("completed", "outlet"),
    ("callback_done", "tech"),
    ("closed", "tech"),
    ("closed", "tech"),
    ("closed", "tech"),
    ("closed", "tech"),
)
SPOTLIGHT_DISTRICTS = ("330106", "330108")  # covered by the demo outlet O-HZ-01 only
SPOTLIGHT_CUSTOMERS = 14
DEMO_CITY = "hz"

# --- plan records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplianceSpec:
    model_code: str
    serial: str
    purchase_days_ago: int
    install_delay_days: int | None  # None: not installed yet
    dealer_code: str | None
    store_name: str
    invoice_no: str
    with_order: int | None = None  # index of the (install) order that brings it; None: in the archive


@dataclass(frozen=True)
class CustomerSpec:
    name: str
    group: str
    phones: tuple[str, ...]
    city_key: str
    district_code: str
    district_name: str
    detail: str
    address: str
    marketing_consent: bool
    dealer_code: str | None  # registered by this dealer (a sale), else by the hotline
    appliances: tuple[ApplianceSpec, ...]
    created_days_ago: float


@dataclass(frozen=True)
class LineSpec:
    appliance: int | None  # index into the customer's appliances
    model_code: str
    symptom: str
    symptom_fault: str | None  # the fault the symptom describes (the real cause, if the grade allows)
    preset_fault: str | None  # fault code entered by the agent at intake


@dataclass(frozen=True)
class OrderSpec:
    customer: int
    lines: tuple[LineSpec, ...]
    order_type: str
    channel: str
    priority: str
    description: str
    status: str
    actor: str  # "agent" | "dealer"
    pin: str  # "" | "outlet" | "tech"
    age_days: float  # how long ago the last step happened (final and completed orders)
    accept_first: bool
    confirm: bool
    depart: bool
    rerouted: bool
    window: bool
    satisfaction: str
    problem_solved: bool
    comment: str
    reason: str
    rseed: int


@dataclass(frozen=True)
class TechnicianSpec:
    outlet_code: str
    username: str
    name: str
    mobile: str
    grade: str
    skills: tuple[str, ...]
    years: int


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    unit: str
    display_name: str
    extension: str = ""


@dataclass(frozen=True)
class Plan:
    scale: Scale
    seed: int
    staff: tuple[StaffSpec, ...]
    technicians: tuple[TechnicianSpec, ...]
    customers: tuple[CustomerSpec, ...]
    orders: tuple[OrderSpec, ...]


# --- helpers ----------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def person_name(rng: random.Random, gender: str | None = None) -> str:
    surname = _weighted(rng, D.SURNAMES)
    gender = gender or rng.choice("MF")
    pool = D.GIVEN_MALE if gender == "M" else D.GIVEN_FEMALE
    if len(surname) == 1 and rng.random() < 0.32:
        return surname + rng.choice(D.COMMON_SINGLE_MALE if gender == "M" else D.COMMON_SINGLE_FEMALE)
    if len(surname) == 2 and rng.random() < 0.5:
        return surname + rng.choice(pool)
    if rng.random() < 0.3:
        return surname + rng.choice(D.COMMON_GIVEN_MALE if gender == "M" else D.COMMON_GIVEN_FEMALE)
    return surname + rng.choice(pool) + rng.choice(pool)


def unique_mobile(rng: random.Random, used: set[str]) -> str:
    for _ in range(1000):
        number = rng.choice(D.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number
    raise RuntimeError("could not draw a unique mobile number")


def landline(rng: random.Random, city: D.City, used: set[str]) -> str:
    for _ in range(1000):
        local = f"{rng.choice('868')}{rng.randrange(10**7):07d}"
        if city.area_code + local not in used:
            used.add(city.area_code + local)
            return f"{city.area_code}-{local}"
    raise RuntimeError("could not draw a unique landline")


def street_address(rng: random.Random, district: D.District) -> tuple[str, bool]:
    """The part after the district (详细地址) and whether it is a village (市场三级)."""
    if district.villages and rng.random() < 0.55:
        town, village = rng.choice(district.towns), rng.choice(district.villages)
        return f"{town}{village}{rng.randint(1, 9)}组{rng.randint(1, 60)}号", True
    street = rng.choice(district.streets)
    number = rng.randint(1, 399)
    if district.towns and rng.random() < 0.6:
        return f"{rng.choice(district.towns)}{street}{number}号", False
    building, unit, room = rng.randint(1, 24), rng.randint(1, 4), f"{rng.randint(1, 32)}{rng.randint(1, 4):02d}"
    estate = rng.choice(D.ESTATE_HEADS) + rng.choice(D.ESTATE_TAILS)
    form = rng.random()
    if form < 0.4:
        return f"{street}{number}号{building}号楼{unit}单元{room}", False
    if form < 0.8:
        return f"{street}{number}号{estate}{building}幢{unit}单元{room}室", False
    return f"{street}{number}号{estate}{building}栋{room}室", False


def routable(district_code: str, categories: set[str]) -> bool:
    return _routable(district_code, frozenset(categories))


# The demo coverage table as (outlet code, division prefix, category code or None) rows of the
# outlets that take orders: what ``network.coverage`` routes over, before the database exists.
_COVERAGE_ROWS = tuple(
    (outlet.code, prefix, category)
    for outlets in D.OUTLETS.values()
    for outlet in outlets
    if outlet.status in D.ROUTABLE_STATUSES
    for prefix, category in outlet.coverage
)


@lru_cache(maxsize=4096)
def _routable(district_code: str, categories: frozenset[str]) -> bool:
    """Whether an order for these categories at this district would be routed: the network's own
    coverage rule (``network.coverage.coverage_matches``) over the demo coverage table."""
    return bool(coverage_matches(_COVERAGE_ROWS, division_code=district_code, categories=categories))


_MODEL_CATEGORY = {m[0]: cat.code for cat in D.CATEGORIES for m in cat.models}
_DIFFICULTY = {code: difficulty for cat in D.CATEGORIES for code, _n, difficulty, _r in cat.faults + cat.service_codes}


def _model_category(code: str) -> str:
    return _MODEL_CATEGORY[code]


def _pick_model(rng: random.Random, category: str, high_end: bool) -> str:
    models = D.CATEGORY_BY_CODE[category].models
    preferred = [m for m in models if m[2] == high_end] or list(models)
    return rng.choice(preferred)[0]


class _Serials:
    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def __call__(self, category: str) -> str:
        while True:
            serial = (
                f"{category}{self.rng.choice('ABCDEFGHJK')}{self.rng.randrange(10**10):010d}{self.rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"
            )
            if serial not in self.used:
                self.used.add(serial)
                return serial


# --- the plan ---------------------------------------------------------------------------------


def allocate_statuses(scale: Scale) -> list[str]:
    """Exactly ``scale.orders`` statuses: the spotlight ones, then the mix, every status at least twice."""
    statuses = [s for s, _ in SPOTLIGHT]
    rest = scale.orders - len(statuses)
    weights = {s: (w if s in FINAL_STATUSES else w * scale.open_factor) for s, w in STATUS_WEIGHTS.items()}
    total = sum(weights.values())
    counts = {s: max(2, round(rest * w / total)) for s, w in weights.items()}
    counts["closed"] += rest - sum(counts.values())
    for status, n in counts.items():
        statuses += [status] * n
    return statuses


def make_plan(scale: Scale | str, seed: int) -> Plan:
    if isinstance(scale, str):
        scale = SCALES[scale]
    rng = random.Random(seed)
    used_phones: set[str] = set()
    staff, technicians = _plan_network_people(rng, scale, used_phones)
    statuses = allocate_statuses(scale)
    n_unrouted = statuses.count("created")
    customers = _plan_customers(rng, scale, used_phones, n_unrouted)
    orders = _plan_orders(rng, scale, customers, statuses)
    frozen = []
    for c in customers:
        apps = tuple(ApplianceSpec(**a) for a in c["appliances"])
        oldest = max(a.purchase_days_ago for a in apps) if apps else 30
        frozen.append(CustomerSpec(**{**c, "appliances": apps, "created_days_ago": oldest + c["created_days_ago"]}))
    return Plan(scale=scale, seed=seed, staff=staff, technicians=technicians, customers=tuple(frozen), orders=tuple(orders))


def _plan_network_people(rng, scale, used_phones):
    staff: list[StaffSpec] = []
    for city in D.CITIES:
        if city.key == DEMO_CITY:
            continue
        for role, suffix in (("region_director", "director"), ("agent", "agent"), ("callback_agent", "callback"), ("parts_clerk", "parts")):
            staff.append(StaffSpec(f"{city.key}_{suffix}", role, city.key, person_name(rng)))
    for code, *_rest in D.DEALERS:
        if code != "D-HZ-01":
            staff.append(StaffSpec(f"dealer_{code[2:].lower().replace('-', '')}", "dealer", code, person_name(rng)))
    categories = [c.code for c in D.CATEGORIES]
    demo_tech = next(login for login in D.DEMO_LOGINS if login.role == "technician")
    technicians: list[TechnicianSpec] = [
        TechnicianSpec(
            demo_tech.unit,
            demo_tech.username,
            demo_tech.display_name,
            unique_mobile(rng, used_phones),
            D.DEMO_TECH_GRADE,
            tuple(categories),
            6,
        )
    ]
    for outlets in D.OUTLETS.values():
        for outlet in outlets:
            short = outlet.code[2:].lower().replace("-", "")  # O-HZ-01 -> hz01
            if outlet.code != "O-HZ-01":
                staff.append(StaffSpec(f"mgr_{short}", "outlet_manager", outlet.code, person_name(rng)))
            covered = sorted({cat for _, cat in outlet.coverage if cat}) or categories
            count = 2 if outlet.status == "applied" else scale.techs_per_outlet
            # Every outlet has an A+ (VIP and the hardest faults); the other grades rotate so that a
            # small outlet still leaves every grade present in the network.
            others = ["B", "C", "D"] if outlet.code == demo_tech.unit else ["A", "B", "C", "D"]
            turn = len(technicians) % len(others)
            grades = ["A+", *others[turn:], *others[:turn]]
            while len(grades) < count:
                grades.append(_weighted(rng, (("A", 2), ("B", 4), ("C", 4), ("D", 1))))
            for i, grade in enumerate(grades[:count], start=1):
                if grade in ("A+", "A"):
                    skills = tuple(covered)
                else:
                    skills = tuple(sorted(rng.sample(covered, k=min(len(covered), rng.randint(2, 4)))))
                years = {"A+": rng.randint(5, 15), "A": rng.randint(3, 10), "B": rng.randint(1, 5), "C": rng.randint(0, 3), "D": 0}[grade]
                technicians.append(
                    TechnicianSpec(
                        outlet.code, f"tech_{short}_{i}", person_name(rng, "M"), unique_mobile(rng, used_phones), grade, skills, years
                    )
                )
    return tuple(staff), tuple(technicians)


def _city_districts(city):
    return [(d, d.weight) for d in city.districts]


def _plan_customers(rng, scale, used_phones, n_unrouted) -> list[dict]:
    serial = _Serials(rng)
    dealers_by_city = {}
    for code, name, city_key, *_ in D.DEALERS:
        dealers_by_city.setdefault(city_key, []).append((code, name))
    customers = []
    hz = D.CITY_BY_KEY[DEMO_CITY]
    uncovered = [
        (city, d) for city in D.CITIES for d in city.districts if not routable(d.code, {"REF"})
    ]  # e.g. 淳安县, 江夏区: no outlet for fridges
    for i in range(scale.customers):
        if i < SPOTLIGHT_CUSTOMERS:
            city = hz
            district = next(d for d in hz.districts if d.code == SPOTLIGHT_DISTRICTS[i % len(SPOTLIGHT_DISTRICTS)])
        elif i < SPOTLIGHT_CUSTOMERS + n_unrouted:
            city, district = uncovered[(i - SPOTLIGHT_CUSTOMERS) % len(uncovered)]
        else:
            city = _weighted(rng, [(c, c.weight) for c in D.CITIES])
            district = _weighted(rng, _city_districts(city))
        detail, village = street_address(rng, district)
        county = not district.name.endswith("区")
        if village:
            group = "rural" if rng.random() < 0.9 else "urban"
        elif county:
            group = rng.choice(("rural", "urban"))
        else:
            group = _weighted(rng, (("urban", 82), ("vip", 9), ("complete_set", 6), ("project", 3)))
        gender = rng.choice("MF")
        name = person_name(rng, gender)
        if group == "project":
            name = f"{rng.choice(D.ESTATE_HEADS)}{rng.choice(('物业管理有限公司', '酒店', '幼儿园', '置业有限公司'))}"
        phones = [unique_mobile(rng, used_phones)]
        if rng.random() < 0.08:
            phones[0] = f"{phones[0][:3]}-{phones[0][3:7]}-{phones[0][7:]}"  # typed with dashes
        if rng.random() < 0.18:
            phones.append(unique_mobile(rng, used_phones))
        if rng.random() < 0.15 or group == "project":
            phones.append(landline(rng, city, used_phones))
        consent = rng.random() < (0.6 if group == "vip" else 0.35)
        n_apps = {"vip": rng.randint(3, 5), "complete_set": rng.randint(3, 6), "project": rng.randint(2, 4)}.get(
            group, _weighted(rng, ((1, 55), (2, 30), (3, 15)))
        )
        high_end = group in ("vip", "complete_set")
        apps = []
        set_purchase = rng.randint(20, 1460)
        for _ in range(n_apps):
            if group == "project":
                cat = rng.choice(("AC", "WH"))
            else:
                cat = _weighted(rng, list(D.CATEGORY_WEIGHTS.items()))
            model = _pick_model(rng, cat, high_end and rng.random() < 0.7)
            purchase = set_purchase if group == "complete_set" else rng.randint(20, 1460)
            dealer = None
            roll = rng.random()
            if roll < 0.4:
                dealer_code, store = rng.choice(dealers_by_city[city.key])
                dealer = dealer_code
            elif roll < 0.7:
                store = rng.choice(D.ONLINE_STORES)
            else:
                store = ""
            apps.append(
                {
                    "model_code": model,
                    "serial": serial(cat),
                    "purchase_days_ago": purchase,
                    "install_delay_days": 0 if cat == "TV" else rng.randint(0, 5),
                    "dealer_code": dealer,
                    "store_name": store,
                    "invoice_no": f"{rng.randrange(10**7, 10**8)}" if rng.random() < 0.5 else "",
                    "with_order": None,
                }
            )
        registered_by = apps[0]["dealer_code"] if apps[0]["dealer_code"] and rng.random() < 0.5 else None
        customers.append(
            {
                "name": name,
                "group": group,
                "phones": tuple(phones),
                "city_key": city.key,
                "district_code": district.code,
                "district_name": district.name,
                "detail": detail,
                "address": f"{city.province}{city.name}{district.name}{detail}",
                "marketing_consent": consent,
                "dealer_code": registered_by,
                "appliances": apps,
                "created_days_ago": rng.uniform(0, 3),
            }
        )
    return customers


ORDER_TYPES = (
    ("repair", 64),
    ("install", 14),
    ("maintenance", 8),
    ("inspection", 3),
    ("design_survey", 2),
    ("return_exchange", 3),
    ("project", 6),
)


def _symptom_fault(rng, category: str) -> tuple[str, str]:
    code, name, _difficulty, _res = rng.choice(D.CATEGORY_BY_CODE[category].faults)
    return code, f"{D.CATEGORY_BY_CODE[category].name}{name}{rng.choice(D.SYMPTOM_DETAILS)}"


def _plan_orders(rng, scale, customers, statuses) -> list[OrderSpec]:
    orders: list[OrderSpec] = []
    serial = _Serials(random.Random(rng.random()))
    dealers_by_city = {}
    for code, name, city_key, *_ in D.DEALERS:
        dealers_by_city.setdefault(city_key, []).append((code, name))
    spotlight_customers = list(range(SPOTLIGHT_CUSTOMERS))
    n_unrouted = statuses.count("created")
    unrouted_customers = list(range(SPOTLIGHT_CUSTOMERS, SPOTLIGHT_CUSTOMERS + n_unrouted))
    general = list(range(SPOTLIGHT_CUSTOMERS + n_unrouted, len(customers))) or spotlight_customers
    for index, status in enumerate(statuses):
        pin = SPOTLIGHT[index][1] if index < len(SPOTLIGHT) else ""
        if status == "created":
            ci = unrouted_customers.pop(0) if unrouted_customers else rng.choice(general)
        elif pin:
            ci = spotlight_customers[index % len(spotlight_customers)]
        else:
            ci = rng.choice(general)
        customer = customers[ci]
        order = _plan_one_order(rng, scale, customers, ci, customer, status, pin, serial, dealers_by_city, len(orders))
        if order is None:  # nothing routable for this customer: take another one
            for _ in range(50):
                ci = rng.choice(general)
                order = _plan_one_order(rng, scale, customers, ci, customers[ci], status, pin, serial, dealers_by_city, len(orders))
                if order is not None:
                    break
        if order is None:
            raise RuntimeError(f"could not plan an order in status {status}")
        orders.append(order)
    return orders


def _age_days(rng, scale, status, pin, max_age) -> float:
    if status == "completed":  # awaiting the callback: mostly inside the 72 h window, some overdue
        return rng.uniform(0.05, 3.0) if rng.random() < 0.8 else rng.uniform(3.0, 5.0)
    if status in ("closed", "callback_done", "cancelled"):
        horizon = 30 if pin else scale.history_days
        return rng.uniform(0.2, max(0.3, min(horizon, max_age)))
    return 0.0  # open orders: the builder places them in the last hours / days


def _plan_one_order(rng, scale, customers, ci, customer, status, pin, serial, dealers_by_city, order_index):
    apps = customer["appliances"]
    group = customer["group"]
    district = customer["district_code"]
    if status == "created":
        order_type = "repair"
    elif status in FORCED_TYPES:
        order_type = FORCED_TYPES[status]
    elif group == "project" and rng.random() < 0.7:
        order_type = rng.choice(("project", "project", "design_survey", "maintenance"))
    else:
        order_type = _weighted(rng, ORDER_TYPES)
        if order_type == "project":
            order_type = "repair"
    if pin == "tech" and order_type in ("project", "design_survey"):
        order_type = "repair"
    max_age = max((a["purchase_days_ago"] for a in apps), default=scale.history_days) - 1
    age = _age_days(rng, scale, status, pin, max_age)
    if order_type == "return_exchange" and age > RETURN_MAX_AGE_DAYS:
        # Eligibility is checked against today's date: only recent orders can be returns / exchanges.
        order_type = "repair"
    actor = "agent"
    channel = "hotline"
    lines: list[LineSpec] = []

    def new_appliance(category: str, days_ago: int, installed: bool, dealer: tuple[str, str] | None) -> int:
        apps.append(
            {
                "model_code": _pick_model(rng, category, group in ("vip", "complete_set", "project")),
                "serial": serial(category),
                "purchase_days_ago": days_ago,
                "install_delay_days": rng.randint(0, 2) if installed else None,
                "dealer_code": dealer[0] if dealer else None,
                "store_name": dealer[1] if dealer else rng.choice(D.ONLINE_STORES),
                "invoice_no": f"{rng.randrange(10**7, 10**8)}",
                "with_order": order_index,
            }
        )
        return len(apps) - 1

    if order_type in ("install", "return_exchange", "project"):
        # A fresh sale: the appliance(s) come with the order (complete sets: several at once).
        days_ago = int(age) + rng.randint(1, 3) if order_type != "return_exchange" else int(age) + rng.randint(3, 12)
        if group == "complete_set" and order_type == "install":
            cats = rng.sample(["REF", "WM", "AC", "WH", "TV"], k=rng.randint(3, 5))
        elif order_type == "project":
            cats = ["AC"] * rng.randint(2, 4) if rng.random() < 0.6 else ["WH"] * rng.randint(2, 3)
        else:
            cats = [_weighted(rng, list(D.CATEGORY_WEIGHTS.items()))]
        if status != "created" and not routable(district, set(cats)):
            return None
        dealer = None
        if order_type == "install" and rng.random() < 0.7:
            # A dealer orders only at addresses it recorded itself (decision 0023), so the order is
            # the customer's own dealer's; a customer of the hotline is registered by this sale.
            city_dealers = dealers_by_city[customer["city_key"]]
            own = customer["dealer_code"]
            dealer = next(d for d in city_dealers if d[0] == own) if own else rng.choice(city_dealers)
            actor, channel = "dealer", "dealer"
        installed = status in ("completed", "callback_done", "closed")
        for cat in cats:
            idx = new_appliance(cat, days_ago, installed and order_type != "return_exchange", dealer)
            symptom = {"install": "新机安装", "project": "工程安装", "return_exchange": "新机故障，申请换机"}[order_type]
            lines.append(LineSpec(idx, apps[idx]["model_code"], symptom, None, None))
        if dealer and customer["dealer_code"] is None:
            customer["dealer_code"] = dealer[0]
    elif order_type == "design_survey":
        cat = rng.choice(("AC", "WH"))
        if status != "created" and not routable(district, {cat}):
            return None
        model = _pick_model(rng, cat, True)
        lines.append(LineSpec(None, model, "装修前设计勘测", None, None))
    else:
        candidates = [i for i, a in enumerate(apps) if a["with_order"] is None or a["install_delay_days"] is not None]
        candidates = [i for i in candidates if apps[i]["purchase_days_ago"] > age + 1]
        if order_type == "maintenance":
            candidates = [i for i in candidates if _model_category(apps[i]["model_code"]) in ("WH", "AC", "WM")] or candidates
        rng.shuffle(candidates)
        if status == "created":
            candidates = [i for i in candidates if not routable(district, {_model_category(apps[i]["model_code"])})]
        else:
            candidates = [i for i in candidates if routable(district, {_model_category(apps[i]["model_code"])})]
        if not candidates:
            if status != "created":
                return None
            idx = new_appliance("REF", rng.randint(60, 900), True, None)
            candidates = [idx]
        chosen = candidates[:1]
        if order_type == "inspection" and len(candidates) > 1:
            chosen = candidates[: rng.randint(2, min(4, len(candidates)))]  # 通检: several appliances, one visit
            if not routable(district, {_model_category(apps[i]["model_code"]) for i in chosen}):
                chosen = candidates[:1]
        for idx in chosen:
            cat = _model_category(apps[idx]["model_code"])
            if order_type == "repair":
                fault, symptom = _symptom_fault(rng, cat)
                preset = fault if rng.random() < 0.35 else None
                if preset and pin == "tech" and _difficulty(preset) > 4:
                    preset = None
                lines.append(LineSpec(idx, apps[idx]["model_code"], symptom, fault, preset))
            else:
                symptom = {"maintenance": "预约清洗保养", "inspection": "通检"}[order_type]
                lines.append(LineSpec(idx, apps[idx]["model_code"], symptom, None, None))
        if order_type == "maintenance":
            channel = "care" if rng.random() < 0.6 else "hotline"
        elif order_type == "repair":
            channel = _weighted(rng, (("hotline", 78), ("portal", 14), ("api", 8)))

    vip = group == "vip"
    satisfaction, solved, comment = "", True, ""
    if status in ("closed", "callback_done"):
        if status == "closed":
            satisfaction = _weighted(rng, (("very_satisfied", 68), ("satisfied", 32)))
            comment = rng.choice(D.CALLBACK_COMMENTS_GOOD)
        else:
            satisfaction = _weighted(rng, (("unsatisfied", 60), ("satisfied", 40)))
            solved = satisfaction == "unsatisfied" and rng.random() < 0.5
            comment = rng.choice(D.CALLBACK_COMMENTS_BAD)
    reason = ""
    if status == "rejected":
        reason = rng.choice(D.REJECT_REASONS)
    elif status == "cancelled":
        reason = rng.choice(D.CANCEL_REASONS)
    return OrderSpec(
        customer=ci,
        lines=tuple(lines),
        order_type=order_type,
        channel=channel,
        priority="urgent" if rng.random() < (0.3 if vip else 0.07) else "normal",
        description=D.ORDER_DESCRIPTIONS.get(order_type, ""),
        status=status,
        actor=actor,
        pin=pin,
        age_days=age,
        accept_first=rng.random() < 0.7,
        confirm=rng.random() < 0.6,
        depart=rng.random() < 0.5,
        rerouted=status == "closed" and not pin and rng.random() < 0.03,
        window=rng.random() < 0.65,
        satisfaction=satisfaction,
        problem_solved=solved,
        comment=comment,
        reason=reason,
        rseed=rng.getrandbits(32),
    )


def _difficulty(fault_code: str) -> int:
    return _DIFFICULTY[fault_code]


def fingerprint(plan: Plan) -> list[tuple]:
    """A compact, comparable view of a plan (used by the tests for determinism)."""
    return [(c.name, c.phones, c.address, c.group) for c in plan.customers] + [
        (o.customer, o.status, o.order_type, tuple(line.model_code for line in o.lines)) for o in plan.orders
    ]
