"""Dispatch (``dispatch.services``): routing a new order to the covering outlet, and graded dispatch
(分级派工) — which technician may take which order, with the exact reasons why not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.catalog.models import FaultCode, ProductCategory, ProductModel
from anxin.customers.choices import CustomerGroup
from anxin.customers.services import appliance_add
from anxin.dispatch.services import route_new_order, technician_assignment_problems
from anxin.network.models import OutletCoverage, Technician
from anxin.orders.choices import OrderStatus as S
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import LineInput, OrderInput, order_create

BINJIANG = "浙江省杭州市滨江区江南大道100号"
SHENZHEN = "广东省深圳市南山区科技园路1号"  # no outlet has an agreement there

OTHER_OUTLET = "The technician does not belong to the order's outlet."
INACTIVE = "The technician is not active."
NO_SKILL = "The technician lacks the skill for a product category on this order."


def grade_problem(grade: str, level: int) -> str:
    return f"Grade {grade} does not cover difficulty {level}."


def problems(order, technician) -> list[str]:
    technician = Technician.objects.prefetch_related("skills").get(pk=technician.pk)
    order = WorkOrder.objects.get(pk=order.pk)
    with translation.override("en"):
        return technician_assignment_problems(order=order, technician=technician)


def technician(world, username: str, grade: str, *, outlet=None, skills=None, active=True) -> Technician:
    from anxin.accounts.choices import Role
    from anxin.accounts.services import user_create
    from anxin.testing import PASSWORD

    outlet = outlet or world.outlet
    user = user_create(username=username, password=PASSWORD, role=Role.TECHNICIAN, org_unit=outlet, display_name=username)
    tech = Technician.objects.create(user=user, outlet=outlet, name=username, grade=grade, active=active)
    tech.skills.set(skills if skills is not None else [world.aircon])
    return tech


@pytest.fixture
def washer(world):
    category = ProductCategory.objects.create(code="WM", name="洗衣机")
    model = ProductModel.objects.create(category=category, code="XQG-100", name="滚筒洗衣机")
    return model


def mixed_order(world, washer_model, **kw):
    """One order with an air conditioner and a washing machine (complete-set service)."""
    customer = world.customer(**kw)
    day = timezone.localdate() - timedelta(days=100)
    ac = appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="AC-1", purchase_date=day)
    wm = appliance_add(actor=world.agent, customer=customer, product_model=washer_model, serial="WM-1", purchase_date=day)
    start = timezone.now() + timedelta(hours=2)
    data = OrderInput(
        customer_id=customer.pk,
        lines=[LineInput(appliance_id=ac.pk, symptom="不制冷"), LineInput(appliance_id=wm.pk, symptom="不脱水")],
        appointment_start=start,
        appointment_end=start + timedelta(hours=2),
    )
    return order_create(actor=world.agent, data=data)


# --- routing ---------------------------------------------------------------------------------------


def test_a_new_order_is_routed_to_the_covering_outlet(world):
    order = world.order()
    assert (order.status, order.outlet, order.routing_note) == (S.ROUTED, world.outlet, "")
    change = order.status_changes.get(action="route")
    assert (change.actor, change.data["outlet"]) == (None, world.outlet.pk)


def test_an_order_goes_to_the_district_outlet_before_the_city_wide_one(world):
    district = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-99", name="滨江特约网点", city="杭州市")
    OutletCoverage.objects.create(outlet=district, division_prefix="330108")
    assert world.order(customer=world.customer(address=BINJIANG)).outlet == district
    assert world.order().outlet == world.outlet  # 西湖区: only the city-wide agreement covers it


def test_the_least_loaded_of_two_equal_outlets_gets_the_order(world):
    twin = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="拱墅特约网点", city="杭州市")
    OutletCoverage.objects.create(outlet=twin, division_prefix="3301")
    assert [world.order().outlet for _ in range(3)] == [world.outlet, twin, world.outlet]


def test_an_order_of_a_category_nobody_covers_stays_created_with_a_note(world, washer):
    # Only the washing-machine side is uncovered: the city-wide outlet is limited to air conditioners.
    OutletCoverage.objects.filter(outlet=world.outlet).update(category=world.aircon)
    order = mixed_order(world, washer)
    assert (order.status, order.outlet) == (S.CREATED, None)
    # The note is stored in the language of the request that created the order.
    assert order.routing_note == translation.gettext("No outlet covers this address and product; route it by hand.")
    assert order.routing_note == "没有网点覆盖该地址和产品，请手动分派。"
    assert not order.status_changes.filter(action="route").exists()


def test_an_order_in_an_uncovered_area_stays_created(world):
    order = world.order(customer=world.customer(address=SHENZHEN))
    assert (order.status, order.outlet) == (S.CREATED, None)
    assert order.routing_note == "没有网点覆盖该地址和产品，请手动分派。"


def test_a_suspended_outlet_gets_no_orders(world):
    OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.SUSPENDED)
    order = world.order()
    assert (order.status, order.outlet) == (S.CREATED, None)


def test_routing_leaves_an_order_that_is_no_longer_new_alone(world):
    order = world.order()
    route_new_order(order=order, actor=None)  # already routed: a second event changes nothing
    order.refresh_from_db()
    assert (order.status, order.outlet, order.version) == (S.ROUTED, world.outlet, 2)
    assert order.status_changes.filter(action="route").count() == 1


def test_a_return_exchange_is_routed_only_after_approval(world):
    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent, customer=customer, product_model=world.model, purchase_date=timezone.localdate() - timedelta(days=5)
    )
    order = world.order(customer=customer, appliance=appliance, order_type="return_exchange", return_kind="exchange")
    assert (order.status, order.outlet) == (S.PENDING_APPROVAL, None)
    route_new_order(order=order, actor=None)
    order.refresh_from_db()
    assert (order.status, order.outlet) == (S.PENDING_APPROVAL, None)


# --- graded dispatch -------------------------------------------------------------------------------


def test_a_technician_of_the_outlet_with_grade_and_skill_may_take_the_order(world):
    order = world.order(fault=world.fault_easy)  # difficulty 2
    assert problems(order, world.technician) == []  # grade C covers 2
    assert problems(order, world.senior_technician) == []


@pytest.mark.parametrize(
    "grade,difficulty,expected",
    [
        ("D", 1, []),
        ("D", 2, [grade_problem("D", 2)]),
        ("C", 2, []),
        ("C", 3, [grade_problem("C", 3)]),
        ("B", 3, []),
        ("B", 4, [grade_problem("B", 4)]),
        ("A", 4, []),
        ("A", 5, [grade_problem("A", 5)]),
        ("A+", 5, []),
    ],
)
def test_the_grade_must_cover_the_hardest_fault(world, grade, difficulty, expected):
    fault = FaultCode.objects.create(category=world.aircon, code=f"AC-X{difficulty}", name="故障", difficulty=difficulty)
    order = world.order(fault=fault)
    assert problems(order, technician(world, f"tech_{grade}_{difficulty}", grade)) == expected


def test_without_a_diagnosed_fault_any_grade_may_go(world):
    order = world.order()
    assert order.required_level == 1
    assert problems(order, technician(world, "trainee", "D")) == []


@pytest.mark.parametrize("grade,expected", [("C", [grade_problem("C", 4)]), ("B", [grade_problem("B", 4)]), ("A", []), ("A+", [])])
def test_a_vip_customer_gets_a_senior_technician(world, grade, expected):
    order = world.order(customer=world.customer(group=CustomerGroup.VIP), fault=world.fault_easy)
    assert order.is_vip
    assert problems(order, technician(world, f"vip_{grade}", grade)) == expected


def test_a_vip_order_harder_than_the_vip_minimum_needs_the_fault_level(world):
    fault = FaultCode.objects.create(category=world.aircon, code="AC-X5", name="压缩机更换", difficulty=5)
    order = world.order(customer=world.customer(group=CustomerGroup.VIP), fault=fault)
    assert problems(order, world.senior_technician) == [grade_problem("A", 5)]
    assert problems(order, world.outsider_technician) == [OTHER_OUTLET]  # A+ covers it, but works elsewhere


def test_a_technician_without_the_category_skill_may_not_go(world):
    order = world.order()
    assert problems(order, technician(world, "no_skill", "A", skills=[])) == [NO_SKILL]


def test_every_category_of_a_mixed_order_needs_a_skill(world, washer):
    OutletCoverage.objects.filter(outlet=world.outlet).update(category=None)
    order = mixed_order(world, washer)
    assert order.outlet == world.outlet
    assert problems(order, world.senior_technician) == [NO_SKILL]  # air conditioners only
    both = technician(world, "both", "B", skills=[world.aircon, washer.category])
    assert problems(order, both) == []


def test_an_inactive_technician_may_not_go(world):
    order = world.order()
    assert problems(order, technician(world, "left", "A", active=False)) == [INACTIVE]


def test_another_outlets_technician_may_not_go(world):
    order = world.order()
    assert problems(order, world.outsider_technician) == [OTHER_OUTLET]
    same_region = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-03", name="上城特约网点", city="杭州市")
    assert problems(order, technician(world, "neighbour", "A", outlet=same_region)) == [OTHER_OUTLET]


def test_an_unrouted_order_has_no_technician_yet(world):
    order = world.order(customer=world.customer(address=SHENZHEN))
    assert problems(order, world.senior_technician) == [OTHER_OUTLET]


def test_every_problem_is_named_at_once_in_a_fixed_order(world):
    order = world.order(customer=world.customer(group=CustomerGroup.VIP), fault=world.fault_hard)
    other = OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-04", name="余杭特约网点", city="杭州市")
    worst = technician(world, "worst", "D", outlet=other, skills=[], active=False)
    assert problems(order, worst) == [OTHER_OUTLET, INACTIVE, grade_problem("D", 4), NO_SKILL]


def test_the_assign_step_refuses_with_the_same_problems(world):
    from anxin.core.errors import ValidationFailed
    from anxin.orders.workflow.services import order_transition

    order = world.order(fault=world.fault_hard)
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    assert refused.value.code == "technician_not_eligible"
    assert refused.value.fields == {"technician": [grade_problem("C", 4)]}
    order.refresh_from_db()
    assert (order.status, order.technician) == (S.ROUTED, None)


@pytest.mark.parametrize(
    "minimum,grade,expected",
    [("B", "B", []), ("B", "C", [grade_problem("C", 3)]), ("A+", "A", [grade_problem("A", 5)]), ("A+", "A+", [])],
)
def test_the_vip_minimum_is_the_graded_dispatch_policy(world, minimum, grade, expected):
    """HQ sets the lowest grade for VIP customers (decision 0033); dispatch applies what is set."""
    from anxin.orders.workflow.grading import grade_policy_save

    grade_policy_save(actor=world.hq_manager, vip_min_grade=minimum)
    order = world.order(customer=world.customer(group=CustomerGroup.VIP), fault=world.fault_easy)
    assert problems(order, technician(world, f"policy_{minimum}_{grade}", grade)) == expected


def test_the_vip_minimum_does_not_touch_ordinary_customers(world):
    from anxin.orders.workflow.grading import grade_policy_save

    grade_policy_save(actor=world.hq_manager, vip_min_grade="A+")
    order = world.order(fault=world.fault_easy)
    assert problems(order, world.technician) == []  # grade C covers difficulty 2
