"""Write a demo plan (``anxin.demo.plan``) into the database.

Customers, appliances and orders go through the real services (``customer_create``,
``appliance_add``, ``order_create``, ``order_transition``, ``callback_record``), so routing, status
changes and audit history are the application's own. Afterwards each order's timestamps are moved
back to a plausible past (the services stamp "now"): every row an order's steps wrote is shifted to
the planned time of its step, so status changes, audit history and the order's own fields agree.

Big scales may insert customers and old closed orders in bulk (see ``plan.Scale``); bulk orders
get the same status-change, callback and history rows the services would write.
"""

from __future__ import annotations

import contextlib
import random
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit, User
from anxin.accounts.services import user_create
from anxin.catalog.models import FaultCode, LabourItem, ProductCategory, ProductModel, SparePart
from anxin.complaints.services import ComplaintInput, complaint_assign, complaint_create, complaint_resolve
from anxin.customers.address import ParsedAddress, parse_address, tier_for
from anxin.customers.models import Appliance, ContractKind, Customer, CustomerAddress, CustomerPhone, MarketTierRule, ServiceContract
from anxin.customers.services import appliance_add, customer_create, phone_normalize
from anxin.demo import data as D
from anxin.demo.completion import demo_report
from anxin.demo.plan import AFTER_ASSIGN, FINAL_STATUSES, OrderSpec, Plan
from anxin.feedback.models import Callback
from anxin.feedback.services import callback_record
from anxin.network.choices import GRADE_LEVEL
from anxin.network.models import OutletCoverage, Technician
from anxin.network.selectors import outlets_covering, technicians_for_order
from anxin.orders import customer_access
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.sla.policy import plan_onsite, visit_hours
from anxin.orders.workflow.services import LineInput, OrderInput, order_create, order_transition
from anxin.orders.workflow.transitions import TRANSITIONS

SLOTS = ((9, 0), (11, 0), (13, 0), (15, 0), (17, 0))  # two-hour appointment windows
WINDOW = timedelta(hours=2)


try:  # the customer search index (SearchToken) arrives with the customer-archive work
    from anxin.customers.search import reindex_customers
except ImportError:  # pragma: no cover - before that lands there is nothing to index
    reindex_customers = None

__all__ = ["GRADE_LEVEL", "Builder", "SeedError", "bulk_appliance_fields", "reindex"]


def reindex(customer_ids) -> None:
    """Rebuild the search rows of customers written in bulk (the services do it themselves)."""
    if reindex_customers is not None:
        reindex_customers(customer_ids)


def bulk_appliance_fields(appliance) -> None:
    """The derived fields ``customers.services.appliance_add`` fills in."""
    appliance.warranty_end = appliance.compute_warranty_end()
    if hasattr(appliance, "compute_main_parts_warranty_end"):
        appliance.main_parts_warranty_end = appliance.compute_main_parts_warranty_end()


class SeedError(RuntimeError):
    """The plan and the application disagree (e.g. an order that should route did not)."""


@dataclass
class Timeline:
    created: datetime
    steps: list[datetime]
    appointment: tuple[datetime, datetime] | None


def order_steps(spec: OrderSpec) -> list[str]:
    """The service calls after ``order_create`` that bring an order to its planned status."""
    status = spec.status
    if spec.order_type == "return_exchange" and status != "pending_approval":
        # ``order_create`` leaves a return / exchange awaiting approval, whatever its planned status
        # (routed too): approved first, then it goes on like a new order (dispatch routes it).
        return ["approve", *order_steps(replace(spec, order_type="repair"))]
    if status in ("created", "routed", "pending_approval"):
        return []
    accept = ["accept"] if spec.accept_first else []
    if status == "resolved_by_phone":
        return [*accept, "resolve_by_phone"]
    if status == "accepted":
        return ["accept"]
    if status == "rejected":
        return [*accept, "reject"]
    if status == "cancelled":
        if spec.accept_first and spec.confirm:
            return ["accept", "assign", "cancel"]
        return [*accept, "cancel"]
    steps = (["reject", "reroute"] if spec.rerouted else []) + accept + ["assign"]
    if status == "assigned":
        return steps
    if spec.confirm or status == "confirmed":
        steps.append("confirm")
    if status == "confirmed":
        return steps
    if spec.depart or status == "en_route":
        steps.append("depart")
    if status == "en_route":
        return steps
    steps.append("check_in")
    if status == "on_site":
        return steps
    if status in SIDE_STEPS:
        return [*steps, SIDE_STEPS[status]]
    steps.append("complete")
    if status == "completed":
        return steps
    steps.append("callback")
    return steps


# The step that leaves the order on site in a side state (after check-in).
SIDE_STEPS = {"pending_parts": "pending_parts", "revisit": "revisit", "install_refused": "refuse_install"}

# Minutes between steps that happen before the visit.
PRE_GAPS = {
    "approve": (20, 240),
    "accept": (5, 90),
    "reject": (10, 240),
    "reroute": (10, 120),
    "assign": (10, 240),
    "confirm": (5, 90),
    "cancel": (30, 1800),
    "resolve_by_phone": (10, 120),
}
PRE_VISIT = tuple(PRE_GAPS)


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _slot(day: date, index: int) -> datetime:
    hour, minute = SLOTS[index]
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())


def _next_slot(after: datetime, skip: int) -> datetime:
    """The first appointment slot starting at least at ``after``, then ``skip`` slots later."""
    day = _local(after).date()
    candidates = []
    for d in range(4):
        for i in range(len(SLOTS)):
            start = _slot(day + timedelta(days=d), i)
            if start >= after:
                candidates.append(start)
    return candidates[min(skip, len(candidates) - 1)]


def plan_timeline(spec: OrderSpec, steps: list[str], now: datetime, rng: random.Random) -> Timeline:
    """When each step of the order happened (all in the past) and its appointment window."""
    status = spec.status
    has_window = spec.window or status in AFTER_ASSIGN
    minutes = lambda lo, hi: timedelta(minutes=rng.uniform(lo, hi))  # noqa: E731

    def forward(created: datetime, appointment_start: datetime | None) -> list[datetime]:
        times, t = [], created
        for step in steps:
            if step not in PRE_VISIT and appointment_start is None:
                break  # only the steps before the visit
            if step in PRE_VISIT:
                t = t + minutes(*PRE_GAPS[step])
            elif step == "depart":
                t = max(t + minutes(1, 5), appointment_start - minutes(15, 50))
            elif step == "check_in":
                t = max(t + minutes(10, 40), appointment_start + minutes(-10, 40))
            elif step in ("complete", *SIDE_STEPS.values()):
                t = t + minutes(25, 120)
            elif step == "callback":
                t = t + timedelta(hours=rng.uniform(2, 70))
            times.append(t)
        return times

    def appointment_after(created: datetime, pre_end: datetime) -> datetime:
        earliest = max(created + timedelta(hours=1), pre_end + timedelta(minutes=30))
        return _next_slot(earliest, rng.choice((0, 0, 1, 1, 2, 3)))

    pre_steps = [s for s in steps if s in PRE_VISIT]

    if status in FINAL_STATUSES + ("completed", "callback_done"):
        day = _local(now - timedelta(days=spec.age_days + 3)).replace(hour=0, minute=0, second=0, microsecond=0)
        created = day + timedelta(minutes=rng.uniform(8 * 60, 20 * 60))
        pre = forward(created, None)
        start = appointment_after(created, pre[-1] if pre else created) if has_window else None
        times = forward(created, start)
        last = times[-1] if times else created
        target = now - timedelta(days=spec.age_days)
        delta = timedelta(days=round((target - last) / timedelta(days=1)))
        while last + delta > now - timedelta(minutes=5):
            delta -= timedelta(days=1)
        return Timeline(created + delta, [t + delta for t in times], (start + delta, start + delta + WINDOW) if start else None)

    if status in SIDE_STEPS:
        # Checked in an hour or two ago, then the side step (a part ordered, a revisit, a refusal).
        side_at = now - minutes(10, 90)
        checked_in = side_at - minutes(25, 80)
        start = _floor_half_hour(checked_in - minutes(0, 30))
        created = start - timedelta(hours=rng.uniform(5, 28))
        times = forward(created, start)
        times[-1], times[-2] = side_at, checked_in
        if "depart" in steps:
            times[-3] = checked_in - minutes(15, 40)
        n_pre = len(pre_steps)
        times[:n_pre] = _fit(created, times[:n_pre], min(times[n_pre:]) - timedelta(minutes=5))
        return Timeline(created, times, (start, start + WINDOW))

    if status in ("assigned", "confirmed", "en_route", "on_site"):
        today = _local(now).date()
        if status in ("assigned", "confirmed"):
            day = today if (spec.pin == "tech" or rng.random() < 0.55) else today + timedelta(days=1)
            start = _slot(day, rng.randrange(len(SLOTS)))
            visit_anchor = None
        elif status == "en_route":
            visit_anchor = now - minutes(5, 30)  # departed
            start = _ceil_half_hour(visit_anchor + minutes(10, 40))
        else:
            visit_anchor = now - minutes(5, 60)  # checked in
            start = _floor_half_hour(visit_anchor - minutes(0, 30))
        limit = (visit_anchor or now) - timedelta(minutes=5)
        departed = None
        if status == "on_site" and "depart" in steps:
            departed = visit_anchor - minutes(15, 40)
            limit = departed - timedelta(minutes=5)
        created = min(start - timedelta(hours=rng.uniform(5, 28)), limit - timedelta(hours=rng.uniform(1, 6)))
        times = forward(created, start)
        if visit_anchor is not None:
            times[-1] = visit_anchor
        if departed is not None:
            times[-2] = departed
        n_pre = len(pre_steps)
        times[:n_pre] = _fit(created, times[:n_pre], limit)
        return Timeline(created, times, (start, start + WINDOW))

    # created / routed / accepted / rejected: taken in the last day or so, a few overdue.
    hours_ago = rng.uniform(0.3, 26) if rng.random() < 0.85 else rng.uniform(26, 70)
    created = now - timedelta(hours=hours_ago)
    times = _fit(created, forward(created, None), now - timedelta(minutes=2))
    start = appointment_after(created, times[-1] if times else created) if has_window else None
    return Timeline(created, times, (start, start + WINDOW) if start else None)


def _fit(created: datetime, times: list[datetime], limit: datetime) -> list[datetime]:
    """Squeeze ``times`` (after ``created``) so the last one is no later than ``limit``."""
    if not times or times[-1] <= limit:
        return times
    span = (times[-1] - created).total_seconds()
    room = max((limit - created).total_seconds(), 60.0 * len(times))
    return [created + timedelta(seconds=(t - created).total_seconds() * room / span) for t in times]


def _floor_half_hour(dt: datetime) -> datetime:
    local = _local(dt)
    return local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)


def _ceil_half_hour(dt: datetime) -> datetime:
    floor = _floor_half_hour(dt)
    return floor if floor == _local(dt) else floor + timedelta(minutes=30)


class Remapper:
    """Moves every timestamp an order's service calls wrote to the planned time of the step.

    ``marks`` are (wall-clock time just before the call, planned time of the call); a timestamp
    written during call k becomes planned_k + (written - mark_k), which keeps rows in order.
    """

    def __init__(self, marks: list[tuple[datetime, datetime]]):
        self.walls = [m[0] for m in marks]
        self.planned = [m[1] for m in marks]

    def __call__(self, t: datetime | None) -> datetime | None:
        if t is None:
            return None
        k = max(bisect_right(self.walls, t) - 1, 0)
        return self.planned[k] + (t - self.walls[k])


@contextlib.contextmanager
def explicit_timestamps(*fields):
    """Let bulk inserts carry their own ``auto_now``/``auto_now_add`` values."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _field(model, name):
    return model._meta.get_field(name)


def update_rows(model, objs, fields: list[str]) -> None:
    """``bulk_update`` without the big CASE expression: one prepared UPDATE run with executemany."""
    if not objs:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in columns)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608 - names from model metadata
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class Builder:
    def __init__(self, plan: Plan, *, now: datetime | None = None, log: Callable[[str], None] | None = None, batch_size: int = 50):
        self.plan = plan
        self.now = now or timezone.now()
        self.today = _local(self.now).date()
        self._log = log or (lambda msg: None)
        self._started = time.monotonic()
        self.batch_size = batch_size
        self.units: dict[str, OrgUnit] = {}
        self.users: dict[str, User] = {}
        self.region_staff: dict[tuple[int, str], User] = {}  # (region id, role) -> user
        self.outlet_manager: dict[int, User] = {}
        self.dealer_user: dict[str, User] = {}
        self.tech_user: dict[int, User] = {}  # technician id -> user
        self.models: dict[str, ProductModel] = {}
        self.faults: dict[str, FaultCode] = {}
        self.customer_ids: list[int] = []
        self.appliance_ids: dict[tuple[int, int], int] = {}
        self.stats: dict[str, int] = defaultdict(int)
        self.warnings: list[str] = []

    def log(self, message: str) -> None:
        self._log(f"[{time.monotonic() - self._started:6.1f} s] {message}")

    # --- static parts -----------------------------------------------------------------------

    def build_catalog(self) -> None:
        for cat in D.CATEGORIES:
            category = ProductCategory.objects.create(
                code=cat.code, name=cat.name, warranty_months=cat.warranty_months, main_parts_warranty_months=cat.main_parts_months
            )
            for code, name, high_end in cat.models:
                self.models[code] = ProductModel.objects.create(category=category, code=code, name=name, high_end=high_end)
            for code, name, difficulty, _res in cat.faults + cat.service_codes:
                self.faults[code] = FaultCode.objects.create(category=category, code=code, name=name, difficulty=difficulty)
        self.categories = {c.code: c for c in ProductCategory.objects.all()}
        # The spare-parts and labour catalogue the completion report picks from.
        SparePart.objects.bulk_create(
            SparePart(code=code, name=name, category=self.categories[cat], main_part=main, unit_price=Decimal(price))
            for cat, parts in D.SPARE_PARTS.items()
            if cat in self.categories
            for code, name, main, price in parts
        )
        LabourItem.objects.bulk_create(
            LabourItem(code=code, name=name, category=self.categories[cat], price=Decimal(price))
            for cat, items in D.LABOUR_ITEMS.items()
            if cat in self.categories
            for code, name, price in items
        )
        for prefix, tier, note in D.MARKET_TIER_RULES:
            MarketTierRule.objects.create(division_prefix=prefix, tier=tier, note=note)

    def _district_code(self, city: D.City, district_name: str) -> str:
        for d in city.districts:
            if d.name == district_name:
                return d.code
        return D.EXTRA_DISTRICT_CODES[(city.key, district_name)]

    def build_network(self) -> None:
        address, division, city_name = D.HQ_ADDRESS
        hq = OrgUnit.objects.create(
            kind=OrgKind.HQ,
            code="HQ",
            name="顾客服务部",
            division_code=division,
            city=city_name,
            address=address,
            phone=settings.ANXIN_HOTLINE,
        )
        self.units["HQ"] = hq
        ages = {hq.pk: 2000}
        for i, city in enumerate(D.CITIES, start=1):
            region = OrgUnit.objects.create(
                kind=OrgKind.REGION,
                parent=hq,
                code=f"R-{city.key.upper()}",
                name=f"{city.short}地区顾客服务中心",
                division_code=city.code,
                city=city.name,
                address=city.region_address,
                phone=f"{city.area_code}-8{i:02d}66000",
                service_level=city.service_level,
            )
            self.units[city.key] = region
            ages[region.pk] = 1800 - 30 * i
            for j, outlet in enumerate(D.OUTLETS[city.key], start=1):
                unit = OrgUnit.objects.create(
                    kind=OrgKind.OUTLET,
                    parent=region,
                    code=outlet.code,
                    name=outlet.name,
                    division_code=self._district_code(city, outlet.district),
                    city=city.name,
                    address=f"{city.province}{city.name}{outlet.district}{outlet.street}{100 + 17 * j}号",
                    phone=f"{city.area_code}-8{i:02d}7{j:04d}",
                    outlet_kind=outlet.kind,
                    status=outlet.status,
                )
                self.units[outlet.code] = unit
                ages[unit.pk] = D.OUTLET_AGE_DAYS.get(outlet.status, 1500 - 90 * j)
                for prefix, cat in outlet.coverage:
                    OutletCoverage.objects.create(outlet=unit, division_prefix=prefix, category=self.categories[cat] if cat else None)
        for code, name, city_key, district, street in D.DEALERS:
            city = D.CITY_BY_KEY[city_key]
            unit = OrgUnit.objects.create(
                kind=OrgKind.DEALER,
                parent=self.units[city_key],
                code=code,
                name=name,
                division_code=self._district_code(city, district),
                city=city.name,
                address=f"{city.province}{city.name}{district}{street}{len(name) * 7}号",
            )
            self.units[code] = unit
            ages[unit.pk] = 900
        for pk, days in ages.items():
            when = self.now - timedelta(days=days)
            OrgUnit.objects.filter(pk=pk).update(created_at=when)
            OrgUnit.history.filter(id=pk).update(history_date=when, created_at=when)

    def _user(self, *, username: str, role: str, unit: OrgUnit, display_name: str, extension: str = "") -> User:
        # Hash the demo password once and share it: PBKDF2 at full strength costs ~0.3 s per user.
        user = user_create(username=username, password=None, role=role, org_unit=unit, display_name=display_name, extension=extension)
        user.password = self.password_hash
        user.save(update_fields=["password"])
        self.users[username] = user
        return user

    def build_users(self) -> None:
        self.password_hash = make_password(D.DEMO_PASSWORD)
        for login in D.DEMO_LOGINS:
            if login.role == Role.TECHNICIAN:
                continue  # created with its technician record
            self._user(
                username=login.username,
                role=login.role,
                unit=self.units[login.unit],
                display_name=login.display_name,
                extension=login.extension,
            )
        for staff in self.plan.staff:
            self._user(username=staff.username, role=staff.role, unit=self.units[staff.unit], display_name=staff.display_name)
        for user in self.users.values():
            unit = user.org_unit
            if unit.kind == OrgKind.REGION:
                self.region_staff.setdefault((unit.pk, user.role), user)
            elif unit.kind == OrgKind.OUTLET and user.role == Role.OUTLET_MANAGER:
                self.outlet_manager[unit.pk] = user
            elif unit.kind == OrgKind.DEALER:
                self.dealer_user[unit.code] = user
        self.admin = self.users["admin"]

    def build_technicians(self) -> None:
        for spec in self.plan.technicians:
            outlet = self.units[spec.outlet_code]
            user = self._user(username=spec.username, role=Role.TECHNICIAN, unit=outlet, display_name=spec.name)
            tech = Technician.objects.create(
                user=user, outlet=outlet, name=spec.name, mobile=spec.mobile, grade=spec.grade, years_of_service=spec.years
            )
            tech.skills.set([self.categories[c] for c in spec.skills])
            self.tech_user[tech.pk] = user
        self.demo_tech = Technician.objects.get(user__username=next(t.username for t in D.DEMO_LOGINS if t.role == Role.TECHNICIAN))

    # --- customers --------------------------------------------------------------------------

    def _customer_actor(self, spec) -> User:
        if spec.dealer_code:
            return self.dealer_user[spec.dealer_code]
        return self.region_staff[(self.units[spec.city_key].pk, Role.AGENT)]

    def _purchase(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def build_customers(self) -> None:
        specs = self.plan.customers
        self.customer_ids = [0] * len(specs)
        for start in range(0, len(specs), self.batch_size * 4):
            batch = range(start, min(start + self.batch_size * 4, len(specs)))
            with transaction.atomic():
                if self.plan.scale.bulk_customers:
                    self._customers_bulk(batch)
                else:
                    self._customers_via_services(batch)
            if start and start % 2000 == 0:
                self.log(f"  customers: {start}/{len(specs)}")
        self.stats["customers"] = len(specs)

    def _customers_via_services(self, batch: range) -> None:
        marks: dict[int, tuple[datetime, datetime]] = {}
        for i in batch:
            spec = self.plan.customers[i]
            actor = self._customer_actor(spec)
            wall = timezone.now()
            dealer = self.units[spec.dealer_code] if spec.dealer_code else None
            customer = customer_create(
                actor=actor,
                name=spec.name,
                phones=list(spec.phones),
                address=spec.address,
                group=spec.group,
                marketing_consent=spec.marketing_consent,
                registered_by=dealer,
            )
            self.customer_ids[i] = customer.pk
            for j, app in enumerate(spec.appliances):
                if app.with_order is None:
                    self.appliance_ids[(i, j)] = self._appliance(actor, customer.pk, app).pk
            marks[customer.pk] = (wall, self.now - timedelta(days=spec.created_days_ago))
        self._backdate_customers(marks)

    def _appliance(self, actor: User, customer_id: int, app) -> Appliance:
        purchase = self._purchase(app.purchase_days_ago)
        return appliance_add(
            actor=actor,
            customer=Customer(pk=customer_id),
            product_model=self.models[app.model_code],
            serial=app.serial,
            purchase_date=purchase,
            install_date=purchase + timedelta(days=app.install_delay_days) if app.install_delay_days is not None else None,
            dealer=self.units[app.dealer_code] if app.dealer_code else None,
            store_name=app.store_name,
            invoice_no=app.invoice_no,
        )

    def _backdate_customers(self, marks: dict[int, tuple[datetime, datetime]]) -> None:
        ids = list(marks)
        rows = list(Customer.objects.filter(pk__in=ids).only("pk", "created_at"))
        for row in rows:
            wall, planned = marks[row.pk]
            row.created_at = planned + (row.created_at - wall)
        update_rows(Customer, rows, ["created_at"])
        for model, key in (
            (Customer.history.model, "id"),
            (CustomerPhone.history.model, "customer_id"),
            (CustomerAddress.history.model, "customer_id"),
            (Appliance.history.model, "customer_id"),
        ):
            hist = list(model.objects.filter(**{f"{key}__in": ids}))
            fields = ["history_date"]
            for h in hist:
                wall, planned = marks[getattr(h, key)]
                h.history_date = planned + (h.history_date - wall)
                if model is Customer.history.model:
                    h.created_at = planned + (h.created_at - wall)
            if model is Customer.history.model:
                fields.append("created_at")
            update_rows(model, hist, fields)

    @lru_cache(maxsize=4096)  # noqa: B019 - one builder per run
    def _parsed_template(self, city_key: str, district_code: str, head: str) -> ParsedAddress:
        """Parse one street template with the real parser (bulk mode parses each template once)."""
        city = D.CITY_BY_KEY[city_key]
        district = next(d for d in city.districts if d.code == district_code)
        parsed = parse_address(f"{city.province}{city.name}{district.name}{head}1号")
        if parsed.division_code != district_code:
            raise SeedError(f"address template {head} in {district.name} parses to {parsed.division_code}")
        return parsed

    @lru_cache(maxsize=256)  # noqa: B019
    def _tier(self, code: str, district: str, village: bool) -> int:
        return tier_for(code, district, "村" if village else "")

    def _customers_bulk(self, batch: range) -> None:
        customers, phones, addresses, appliances = [], [], [], []
        for i in batch:
            spec = self.plan.customers[i]
            actor = self._customer_actor(spec)
            planned = self.now - timedelta(days=spec.created_days_ago)
            c = Customer(
                name=spec.name,
                group=spec.group,
                region=self.units[spec.city_key],
                registered_by=self.units[spec.dealer_code] if spec.dealer_code else None,
                marketing_consent=spec.marketing_consent,
                created_by=actor,
                created_at=planned,
            )
            c._history_user, c._history_date, c._change_reason = actor, planned, "created"
            customers.append(c)
        with explicit_timestamps(_field(Customer, "created_at")):
            Customer.objects.bulk_create(customers, batch_size=500)
        Customer.history.bulk_history_create(customers, batch_size=500)
        for c, i in zip(customers, batch, strict=True):
            spec = self.plan.customers[i]
            self.customer_ids[i] = c.pk
            actor, planned = c._history_user, c._history_date
            for k, raw in enumerate(spec.phones):
                norm = phone_normalize(raw)
                p = CustomerPhone(customer_id=c.pk, number=norm.number, kind=norm.kind, is_primary=k == 0)
                p._history_user, p._history_date, p._change_reason = actor, planned, "created"
                phones.append(p)
            city = D.CITY_BY_KEY[spec.city_key]
            village = "村" in spec.detail
            head = spec.detail.split("号")[0].rstrip("0123456789")  # town/street part before the number
            tpl = self._parsed_template(spec.city_key, spec.district_code, head)
            a = CustomerAddress(
                customer_id=c.pk,
                text=spec.address,
                province=tpl.province or city.province,
                city=tpl.city,
                district=tpl.district,
                detail=spec.detail,
                division_code=tpl.division_code,
                market_tier=self._tier(tpl.division_code, tpl.district, village),
                needs_review=False,
                is_primary=True,
            )
            a._history_user, a._history_date, a._change_reason = actor, planned, "created"
            addresses.append(a)
            for j, app in enumerate(spec.appliances):
                if app.with_order is not None:
                    continue
                model = self.models[app.model_code]
                purchase = self._purchase(app.purchase_days_ago)
                ap = Appliance(
                    customer_id=c.pk,
                    product_model=model,
                    serial=app.serial,
                    purchase_date=purchase,
                    install_date=purchase + timedelta(days=app.install_delay_days) if app.install_delay_days is not None else None,
                    dealer=self.units[app.dealer_code] if app.dealer_code else None,
                    store_name=app.store_name,
                    invoice_no=app.invoice_no,
                )
                bulk_appliance_fields(ap)
                ap._history_user, ap._history_date, ap._change_reason = actor, planned, "created"
                ap._plan_key = (i, j)
                appliances.append(ap)
        for model, rows in ((CustomerPhone, phones), (CustomerAddress, addresses), (Appliance, appliances)):
            model.objects.bulk_create(rows, batch_size=500)
            model.history.bulk_history_create(rows, batch_size=500)
        for ap in appliances:
            self.appliance_ids[ap._plan_key] = ap.pk
        reindex([c.pk for c in customers])

    # --- orders -----------------------------------------------------------------------------

    def build_orders(self) -> None:
        orders = self.plan.orders
        bulk_days = self.plan.scale.bulk_orders_older_than
        self.outlet_cache = {o.pk: o for o in OrgUnit.objects.filter(kind=OrgKind.OUTLET)}
        self.techs_by_outlet: dict[int, list[Technician]] = defaultdict(list)
        for t in Technician.objects.prefetch_related("skills").order_by("name", "pk"):
            t.skill_codes = {s.code for s in t.skills.all()}
            self.techs_by_outlet[t.outlet_id].append(t)
        bulk = [i for i, o in enumerate(orders) if bulk_days and o.status in FINAL_STATUSES and not o.pin and o.age_days > bulk_days]
        bulk_set = set(bulk)
        if bulk:
            from anxin.demo.bulk_orders import BulkOrderWriter

            writer = BulkOrderWriter(self)
            for start in range(0, len(bulk), 1000):
                with transaction.atomic():
                    writer.write([bulk[k] for k in range(start, min(start + 1000, len(bulk)))])
                self.log(f"  bulk orders: {min(start + 1000, len(bulk))}/{len(bulk)}")
            customer_access.rebuild()  # bulk orders bypass the order steps that keep it (decision 0046)
        self.timelines = {
            i: plan_timeline(spec, order_steps(spec), self.now, random.Random(spec.rseed))
            for i, spec in enumerate(orders)
            if i not in bulk_set
        }
        # Oldest first, so routing by load and the order numbers follow the timeline.
        served = sorted(self.timelines, key=lambda i: (self.timelines[i].created, i))
        for n, start in enumerate(range(0, len(served), self.batch_size)):
            chunk = served[start : start + self.batch_size]
            with transaction.atomic():
                records = [self._order_via_services(i) for i in chunk]
                self._backdate_orders([r for r in records if r])
            if n and n % 20 == 0:
                self.log(f"  orders: {start}/{len(served)}")

    def _order_via_services(self, index: int):
        spec = self.plan.orders[index]
        rng = random.Random(spec.rseed ^ 0x5EED)
        customer_id = self.customer_ids[spec.customer]
        cspec = self.plan.customers[spec.customer]
        steps = order_steps(spec)
        timeline = self.timelines[index]
        region = self.units[cspec.city_key]
        agent = self.region_staff[(region.pk, Role.AGENT)]
        actor = agent
        dealer_unit = None
        if spec.actor == "dealer":
            dealer_code = next(
                self.plan.customers[spec.customer].appliances[line.appliance].dealer_code
                for line in spec.lines
                if line.appliance is not None
            )
            dealer_unit = self.units[dealer_code]
            actor = self.dealer_user[dealer_code]
        marks: list[tuple[datetime, datetime]] = [(timezone.now(), timeline.created)]
        new_appliances = []
        lines = []
        for line in spec.lines:
            appliance_id = None
            if line.appliance is not None:
                key = (spec.customer, line.appliance)
                if key not in self.appliance_ids:  # a sale that comes with this order
                    app = cspec.appliances[line.appliance]
                    self.appliance_ids[key] = self._appliance(actor, customer_id, app).pk
                    new_appliances.append(self.appliance_ids[key])
                appliance_id = self.appliance_ids[key]
            lines.append(
                LineInput(
                    product_model_id=self.models[line.model_code].pk,
                    appliance_id=appliance_id,
                    symptom=line.symptom,
                    fault_code_id=self.faults[line.preset_fault].pk if line.preset_fault else None,
                )
            )
        shift = marks[0][0] - timeline.created
        window = timeline.appointment
        order = order_create(
            actor=actor,
            data=OrderInput(
                customer_id=customer_id,
                lines=lines,
                order_type=spec.order_type,
                channel=spec.channel,
                priority=spec.priority,
                description=spec.description,
                appointment_start=window[0] + shift if window else None,
                appointment_end=window[1] + shift if window else None,
                dealer_id=dealer_unit.pk if dealer_unit else None,
                return_kind=self._return_kind(spec, cspec, rng) if spec.order_type == "return_exchange" else "",
            ),
        )
        if spec.status == "created":
            if order.status != "created":
                raise SeedError(f"order {order.number} was routed although its address is not covered")
        elif spec.order_type == "return_exchange":
            if order.status != "pending_approval":
                raise SeedError(f"return / exchange order {order.number} did not wait for approval")
        elif order.status != "routed":
            raise SeedError(f"order {order.number} was not routed ({order.routing_note})")
        technician = None
        for step, planned in zip(steps, timeline.steps, strict=True):
            marks.append((timezone.now(), planned))
            order, technician = self._step(order, step, spec, rng, technician, region)
        if order.status != spec.status:
            raise SeedError(f"order {order.number} ended in {order.status}, planned {spec.status}")
        self.stats[order.status] += 1
        return order.pk, marks, timeline, new_appliances

    @staticmethod
    def _return_kind(spec: OrderSpec, cspec, rng: random.Random) -> str:
        """Return (≤ 15 days after purchase) when allowed and the customer prefers it, else exchange."""
        days = min(cspec.appliances[line.appliance].purchase_days_ago for line in spec.lines if line.appliance is not None)
        return "return" if days <= 15 and rng.random() < 0.4 else "exchange"

    def _approver(self, region) -> User:
        return self.region_staff.get((region.pk, Role.REGION_DIRECTOR)) or User.objects.filter(role=Role.HQ_MANAGER).first()

    def _completion_data(self, order: WorkOrder, fault: str, resolution: str) -> dict:
        """The completion report: the diagnosed fault and the action taken on the lines of its category."""
        return demo_report(order, fault=self.faults[fault], resolution=resolution)

    def _step(self, order: WorkOrder, step: str, spec: OrderSpec, rng: random.Random, technician, region):
        manager = self.outlet_manager.get(order.outlet_id)
        agent = self.region_staff[(region.pk, Role.AGENT)]
        if step == "approve":
            return order_transition(order_id=order.pk, action="approve", actor=self._approver(region)), technician
        if step == "resolve_by_phone":
            reason = rng.choice(D.PHONE_RESOLUTIONS)
            return order_transition(order_id=order.pk, action="resolve_by_phone", actor=agent, data={"reason": reason}), technician
        if step == "accept":
            return order_transition(order_id=order.pk, action="accept", actor=manager), technician
        if step == "reject":
            reason = spec.reason or rng.choice(D.REJECT_REASONS)
            return order_transition(order_id=order.pk, action="reject", actor=manager, data={"reason": reason}), technician
        if step == "reroute":
            categories = {line.product_model.category_id for line in order.lines.select_related("product_model")}
            outlets = [
                o for o in outlets_covering(division_code=order.address.division_code, category_ids=categories) if o.pk != order.outlet_id
            ]
            target = outlets[0].pk if outlets else order.outlet_id
            return order_transition(order_id=order.pk, action="route", actor=agent, data={"outlet": target}), technician
        if step == "cancel":
            return order_transition(order_id=order.pk, action="cancel", actor=agent, data={"reason": spec.reason}), technician
        if step == "assign":
            technician = self._pick_technician(order, spec, rng)
            return order_transition(order_id=order.pk, action="assign", actor=manager, data={"technician": technician.pk}), technician
        tech_user = self.tech_user[technician.pk]
        if step == "confirm":
            actor = tech_user if rng.random() < 0.5 else manager
            return order_transition(order_id=order.pk, action="confirm", actor=actor), technician
        if step in ("depart", "check_in"):
            return order_transition(order_id=order.pk, action=step, actor=tech_user), technician
        if step == "pending_parts":
            data = {"reason": rng.choice(D.PENDING_PARTS_REASONS)}
            return order_transition(order_id=order.pk, action="pending_parts", actor=tech_user, data=data), technician
        if step == "revisit":
            data = {"reason": rng.choice(D.REVISIT_REASONS)}
            return order_transition(order_id=order.pk, action="revisit", actor=tech_user, data=data), technician
        if step == "refuse_install":
            data = {"hazard_type": "unsafe_wiring", "hazard_note": rng.choice(D.UNSAFE_WIRING_NOTES), "reason": "现场电路不符合安装条件"}
            return order_transition(order_id=order.pk, action="refuse_install", actor=tech_user, data=data), technician
        if step == "complete":
            fault = self._completion_fault(spec, technician, rng)
            resolution = next(r for c, _n, _d, r in self._category_codes(fault) if c == fault)
            data = self._completion_data(order, fault, resolution)
            return order_transition(order_id=order.pk, action="complete", actor=tech_user, data=data), technician
        if step == "callback":
            callback_agent = self.region_staff[(order.region_id, Role.CALLBACK_AGENT)]
            order = callback_record(
                actor=callback_agent,
                order_id=order.pk,
                satisfaction=spec.satisfaction,
                problem_solved=spec.problem_solved,
                comment=spec.comment,
            )
            return order, technician
        raise SeedError(f"unknown step {step}")

    @staticmethod
    def _category_codes(code: str):
        cat = D.CATEGORY_BY_CODE[code.split("-")[0]]
        return cat.faults + cat.service_codes

    def _pick_technician(self, order: WorkOrder, spec: OrderSpec, rng: random.Random) -> Technician:
        eligible = technicians_for_order(order=order)
        if not eligible:
            raise SeedError(f"no technician at {order.outlet} may take order {order.number}")
        if spec.pin == "tech":
            if self.demo_tech not in eligible:
                raise SeedError(f"the demo technician may not take spotlight order {order.number}")
            return self.demo_tech
        # Seniors take more of the work than trainees, but everyone gets some.
        weights = [1.0 + 0.4 * GRADE_LEVEL[t.grade] for t in eligible]
        return rng.choices(eligible, weights=weights)[0]

    def _completion_fault(self, spec: OrderSpec, technician, rng: random.Random) -> str:
        line = spec.lines[0]
        category = self.models[line.model_code].category.code
        if spec.order_type in ("install", "return_exchange"):
            return f"{category}-S01" if spec.order_type == "install" else f"{category}-S05"
        if spec.order_type == "project":
            return "AC-S04" if category == "AC" and GRADE_LEVEL[technician.grade] >= 4 else f"{category}-S01"
        if spec.order_type == "maintenance":
            return f"{category}-S02"
        if spec.order_type in ("inspection", "design_survey"):
            return f"{category}-S03"
        if line.preset_fault:
            return line.preset_fault
        level = GRADE_LEVEL[technician.grade]
        cat = D.CATEGORY_BY_CODE[category]
        if line.symptom_fault and next(d for c, _n, d, _r in cat.faults if c == line.symptom_fault) <= level:
            return line.symptom_fault
        covered = [c for c, _n, d, _r in cat.faults if d <= level]
        if not covered:  # a trainee on a category without level-1 faults: the simplest fault
            easiest = min(d for _c, _n, d, _r in cat.faults)
            covered = [c for c, _n, d, _r in cat.faults if d == easiest]
        return rng.choice(covered)

    def _backdate_orders(self, records) -> None:
        if not records:
            return
        remap = {pk: Remapper(marks) for pk, marks, _t, _a in records}
        timelines = {pk: t for pk, _m, t, _a in records}
        ids = list(remap)
        orders = list(WorkOrder.objects.filter(pk__in=ids))
        shifts = {}
        numbers = {}
        for o in orders:
            m, t = remap[o.pk], timelines[o.pk]
            shifts[o.pk] = (o.created_at, t.created)
            o.visit_deadline = t.created + (o.visit_deadline - o.created_at) if o.visit_deadline else None
            o.visit_risk_at = t.created + (o.visit_risk_at - o.created_at) if o.visit_risk_at else None
            o.accept_deadline = t.created + (o.accept_deadline - o.created_at) if o.accept_deadline else None
            if o.callback_deadline:
                # Planned from the moment the work was done: keep its span, move its start.
                span = o.callback_deadline - o.completed_at if o.completed_at else timedelta(hours=72)
                o.callback_deadline = m(o.callback_deadline - span) + span
            o.accepted_at = m(o.accepted_at)
            o.created_at = m(o.created_at)
            o.updated_at = m(o.updated_at)
            o.checked_in_at, o.completed_at, o.closed_at = m(o.checked_in_at), m(o.completed_at), m(o.closed_at)
            if o.onsite_deadline:
                plan_onsite(o)  # from the moved check-in
            o.appointment_start, o.appointment_end = t.appointment if t.appointment else (None, None)
            o.number = numbers[o.pk] = f"WO{_local(o.created_at):%Y%m%d}{o.pk:07d}"
        time_fields = ["created_at", "updated_at", "checked_in_at", "completed_at", "closed_at", "appointment_start", "appointment_end"]
        deadlines = ["visit_deadline", "visit_risk_at", "accept_deadline", "onsite_deadline", "callback_deadline", "accepted_at"]
        update_rows(WorkOrder, orders, [*time_fields, *deadlines, "number"])
        by_pk = {o.pk: o for o in orders}

        hist = list(WorkOrder.history.filter(id__in=ids))
        for h in hist:
            o = by_pk[h.id]
            h.history_date = remap[h.id](h.history_date)
            h.created_at = o.created_at
            h.number = numbers[h.id] if h.number else None
            h.visit_deadline = o.visit_deadline
            h.visit_risk_at, h.accept_deadline, h.callback_deadline = o.visit_risk_at, o.accept_deadline, o.callback_deadline
            h.onsite_deadline = o.onsite_deadline
            h.accepted_at = remap[h.id](h.accepted_at)
            h.appointment_start, h.appointment_end = o.appointment_start, o.appointment_end
            h.checked_in_at = remap[h.id](h.checked_in_at)
            h.completed_at = remap[h.id](h.completed_at)
            h.closed_at = remap[h.id](h.closed_at)
        hist_fields = ["history_date", "created_at", "number", *deadlines, "appointment_start", "appointment_end"]
        update_rows(WorkOrder.history.model, hist, [*hist_fields, "checked_in_at", "completed_at", "closed_at"])

        changes = list(StatusChange.objects.filter(order_id__in=ids))
        for c in changes:
            c.at = remap[c.order_id](c.at)
        update_rows(StatusChange, changes, ["at"])

        # Warranty is judged on the day the order was taken, not on the day of seeding.
        lines = list(OrderLine.objects.filter(order_id__in=ids).select_related("appliance"))
        line_warranty = {}
        for line in lines:
            created = _local(by_pk[line.order_id].created_at).date()
            line.in_warranty = bool(line.appliance and line.appliance.warranty_end and created <= line.appliance.warranty_end)
            line_warranty[line.pk] = line.in_warranty
        update_rows(OrderLine, lines, ["in_warranty"])
        line_hist = list(OrderLine.history.filter(order_id__in=ids))
        for h in line_hist:
            h.history_date = remap[h.order_id](h.history_date)
            h.in_warranty = line_warranty.get(h.id, h.in_warranty)
        update_rows(OrderLine.history.model, line_hist, ["history_date", "in_warranty"])

        callbacks = list(Callback.objects.filter(order_id__in=ids))
        for cb in callbacks:
            cb.created_at = remap[cb.order_id](cb.created_at)
        update_rows(Callback, callbacks, ["created_at"])

        app_remap = {app_id: remap[pk] for pk, _m, _t, apps in records for app_id in apps}
        if app_remap:
            app_hist = list(Appliance.history.filter(id__in=list(app_remap)))
            for h in app_hist:
                h.history_date = app_remap[h.id](h.history_date)
            update_rows(Appliance.history.model, app_hist, ["history_date"])

    # --- all --------------------------------------------------------------------------------

    def build_contracts(self) -> None:
        """A couple of extended-warranty contracts on appliances whose policy warranty has run out."""
        today = timezone.localdate(self.now)
        rng = random.Random(0xC0DE)
        candidates = list(
            Appliance.objects.filter(purchase_date__isnull=False, purchase_date__lt=today - timedelta(days=400))
            .select_related("product_model__category")
            .order_by("id")[:200]
        )
        picked = [a for a in candidates if a.purchase_date + timedelta(days=30 * a.product_model.category.warranty_months) < today][:2]
        for i, appliance in enumerate(picked or candidates[:2]):
            starts = appliance.purchase_date + timedelta(days=30 * appliance.product_model.category.warranty_months)
            ServiceContract.objects.create(
                appliance=appliance,
                kind=ContractKind.EXTENDED_WARRANTY,
                number=f"YB{today:%Y}{rng.randrange(10**6, 10**7)}",
                starts_on=min(starts, today - timedelta(days=30)),
                ends_on=max(starts, today) + timedelta(days=365 * (3 - i)),
                note=D.EXTENDED_WARRANTY_NOTES[i % len(D.EXTENDED_WARRANTY_NOTES)],
            )

    def build(self) -> dict[str, int]:
        with transaction.atomic():
            self.build_catalog()
            self.build_network()
            self.build_users()
            self.build_technicians()
        self.log(f"  network: {OrgUnit.objects.count()} units, {User.objects.count()} users, {Technician.objects.count()} technicians")
        self.build_customers()
        self.log(f"  customers: {Customer.objects.count()}")
        self.build_contracts()
        self.build_orders()
        self.build_complaints()
        return {str(k): v for k, v in self.stats.items()}

    # Complaints callers made about finished orders (投诉): one open, one being handled, one resolved.
    COMPLAINTS = (
        ("timeliness", "major", "师傅比约定时间晚到两个多小时，也没有提前打电话说明。", None),
        ("attitude", "minor", "师傅上门态度不好，走的时候没有清理现场。", "technician_conduct"),
        ("charges", "major", "保修期内维修却被收了上门费，要求退还并给个说法。", "charging_error"),
        ("quality", "critical", "空调维修后第三天又不制冷了，家里有老人，请尽快处理。", None),
    )

    def build_complaints(self) -> None:
        quality = User.objects.filter(role=Role.QUALITY).order_by("pk").first() or self.admin
        orders = list(WorkOrder.objects.filter(status__in=("closed", "callback_done", "completed")).order_by("-pk")[:8])
        for i, (category, severity, text, root_cause) in enumerate(self.COMPLAINTS):
            if i >= len(orders):
                break
            complaint = complaint_create(
                actor=quality,
                data=ComplaintInput(
                    description=text,
                    category=category,
                    severity=severity,
                    order_id=orders[i * 2].pk if i * 2 < len(orders) else orders[i].pk,
                ),
            )
            if root_cause:
                complaint_assign(actor=quality, complaint_id=complaint.pk, assignee_id=quality.pk)
                if root_cause == "charging_error":
                    complaint_resolve(
                        actor=quality,
                        complaint_id=complaint.pk,
                        resolution="核实为保修期内误收费，已全额退还并向客户致歉。",
                        root_cause=root_cause,
                    )
        self.log(f"  complaints: {len(self.COMPLAINTS)}")


def check_transitions(steps: list[tuple[str, str, str]]) -> None:
    """Every (action, from, to) must be a declared transition (used by the bulk writer)."""
    for action, source, target in steps:
        t = TRANSITIONS.get(action)
        if action == "create":
            continue
        if t is None or source not in t.sources or t.target != target:
            raise SeedError(f"invalid transition {action}: {source} → {target}")


def visit_deadline_for(created: datetime, tier: int) -> datetime:
    return created + timedelta(hours=visit_hours(tier))
