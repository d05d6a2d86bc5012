"""A small, fixed world for tests (and the factories that build it). Not imported by app code."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from anxin.accounts.choices import OrgKind, OutletKind, Role, ServiceLevel
from anxin.accounts.models import OrgUnit, User
from anxin.accounts.services import user_create
from anxin.catalog.models import FaultCode, ProductCategory, ProductModel
from anxin.customers.services import appliance_add, customer_create
from anxin.network.models import OutletCoverage, Technician
from anxin.orders.workflow.services import LineInput, OrderInput, order_create

PASSWORD = "anxin-test-pass-2026"


@dataclass
class World:
    hq: OrgUnit
    region: OrgUnit
    outlet: OrgUnit
    other_region: OrgUnit
    other_outlet: OrgUnit
    dealer: OrgUnit
    users: dict[str, User] = field(default_factory=dict)
    technician: Technician | None = None
    senior_technician: Technician | None = None
    outsider_technician: Technician | None = None
    aircon: ProductCategory | None = None
    model: ProductModel | None = None
    fault_easy: FaultCode | None = None
    fault_hard: FaultCode | None = None

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def customer(self, *, name="张伟", phone="13812345678", address="浙江省杭州市西湖区文三路90号", actor=None, **kw):
        return customer_create(actor=actor or self.users["agent"], name=name, phones=[phone], address=address, **kw)

    def order(self, *, customer=None, actor=None, fault=None, appliance=None, window=True, **kw):
        customer = customer or self.customer()
        if appliance is None:
            appliance = appliance_add(
                actor=self.users["agent"],
                customer=customer,
                product_model=self.model,
                serial="SN-1",
                purchase_date=timezone.localdate() - timedelta(days=100),
            )
        start = timezone.now() + timedelta(hours=2)
        data = OrderInput(
            customer_id=customer.pk,
            lines=[LineInput(appliance_id=appliance.pk, symptom="不制冷", fault_code_id=fault.pk if fault else None)],
            appointment_start=start if window else None,
            appointment_end=start + timedelta(hours=2) if window else None,
            **kw,
        )
        return order_create(actor=actor or self.users["agent"], data=data)


def build_world() -> World:
    hq = OrgUnit.objects.create(kind=OrgKind.HQ, code="HQ", name="顾客服务部")
    region = OrgUnit.objects.create(
        kind=OrgKind.REGION, parent=hq, code="R-HZ", name="杭州中心", division_code="3301", city="杭州市", service_level=ServiceLevel.A
    )
    outlet = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=region, code="O-HZ-01", name="西湖特约网点", outlet_kind=OutletKind.AUTHORIZED, city="杭州市"
    )
    other_region = OrgUnit.objects.create(
        kind=OrgKind.REGION, parent=hq, code="R-NJ", name="南京中心", division_code="3201", city="南京市", service_level=ServiceLevel.B
    )
    other_outlet = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=other_region, code="O-NJ-01", name="玄武星级服务中心", outlet_kind=OutletKind.STAR, city="南京市"
    )
    dealer = OrgUnit.objects.create(kind=OrgKind.DEALER, parent=region, code="D-HZ-01", name="杭州国美文三路店")
    OutletCoverage.objects.create(outlet=outlet, division_prefix="3301")
    OutletCoverage.objects.create(outlet=other_outlet, division_prefix="3201")

    aircon = ProductCategory.objects.create(code="AC", name="空调")
    model = ProductModel.objects.create(category=aircon, code="KFR-35GW", name="挂式空调")
    fault_easy = FaultCode.objects.create(category=aircon, code="AC-E1", name="不制冷", difficulty=2)
    fault_hard = FaultCode.objects.create(category=aircon, code="AC-E9", name="主板故障", difficulty=4)

    def mk(username, role, unit, **kw):
        return user_create(username=username, password=PASSWORD, role=role, org_unit=unit, display_name=username, **kw)

    users = {
        "hq_manager": mk("hq_manager", Role.HQ_MANAGER, hq),
        "tech_lead": mk("tech_lead", Role.TECH_LEAD, hq),
        "quality": mk("quality", Role.QUALITY, hq),
        "settlement": mk("settlement", Role.SETTLEMENT, hq),
        "region_director": mk("region_director", Role.REGION_DIRECTOR, region),
        "agent": mk("agent", Role.AGENT, region, extension="8012"),
        "callback_agent": mk("callback_agent", Role.CALLBACK_AGENT, region),
        "parts_clerk": mk("parts_clerk", Role.PARTS_CLERK, outlet),
        "dispatcher": mk("dispatcher", Role.OUTLET_MANAGER, outlet),
        "technician": mk("technician", Role.TECHNICIAN, outlet),
        "senior": mk("senior", Role.TECHNICIAN, outlet),
        "dealer": mk("dealer", Role.DEALER, dealer),
        "outsider_director": mk("outsider_director", Role.REGION_DIRECTOR, other_region),
        "outsider_dispatcher": mk("outsider_dispatcher", Role.OUTLET_MANAGER, other_outlet),
        "outsider_technician": mk("outsider_technician", Role.TECHNICIAN, other_outlet),
    }
    tech = Technician.objects.create(user=users["technician"], outlet=outlet, name="李师傅", grade="C", mobile="13900001111")
    senior = Technician.objects.create(
        user=users["senior"], outlet=outlet, name="王师傅", grade="A", mobile="13900002222", years_of_service=5
    )
    outsider = Technician.objects.create(user=users["outsider_technician"], outlet=other_outlet, name="赵师傅", grade="A+")
    for t in (tech, senior, outsider):
        t.skills.add(aircon)
    return World(
        hq=hq,
        region=region,
        outlet=outlet,
        other_region=other_region,
        other_outlet=other_outlet,
        dealer=dealer,
        users=users,
        technician=tech,
        senior_technician=senior,
        outsider_technician=outsider,
        aircon=aircon,
        model=model,
        fault_easy=fault_easy,
        fault_hard=fault_hard,
    )


def race(requests: list) -> list:
    """Run each zero-argument callable in its own thread, released together; return their results."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)
    errors: list = []

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection, so the test database can be dropped

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise AssertionError(errors)
    if any(t.is_alive() for t in threads):
        raise AssertionError("a racer did not finish")
    return results
