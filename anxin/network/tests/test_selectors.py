"""Routing by coverage (``network.selectors``): which outlets cover an address for a set of product
categories, in which order, and which technicians of an outlet may take an order.

Every case names the exact outlets (by code, best first) or the exact technicians.
"""

from __future__ import annotations

import pytest

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.catalog.models import ProductCategory
from anxin.network.models import OutletCoverage
from anxin.network.selectors import outlets_covering, region_for_division, technicians_for_order
from anxin.orders.workflow.services import order_transition

XIHU = "330106"  # 杭州市西湖区: the world's outlet covers the whole city (3301)
BINJIANG = "330108"
NANJING_XUANWU = "320102"


def outlet(world, code: str, *, status: str = OutletStatus.ACTIVE, parent=None) -> OrgUnit:
    return OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=parent or world.region, code=code, name=code, city="杭州市", status=status)


def covering(division_code: str, *categories) -> list[str]:
    return [o.code for o in outlets_covering(division_code=division_code, category_ids={c.pk for c in categories})]


@pytest.fixture
def fridge(db):
    return ProductCategory.objects.create(code="RF", name="冰箱")


def test_the_outlet_covering_the_city_is_found(world):
    assert covering(XIHU, world.aircon) == ["O-HZ-01"]
    assert covering(NANJING_XUANWU, world.aircon) == ["O-NJ-01"]


def test_a_district_agreement_beats_a_city_wide_one(world):
    district = outlet(world, "O-HZ-09")  # code after O-HZ-01: the prefix, not the code, decides
    OutletCoverage.objects.create(outlet=district, division_prefix=BINJIANG)
    assert covering(BINJIANG, world.aircon) == ["O-HZ-09", "O-HZ-01"]
    # Its district agreement does not reach the neighbouring district.
    assert covering(XIHU, world.aircon) == ["O-HZ-01"]


def test_the_longest_of_an_outlets_own_prefixes_counts(world):
    # The city-wide outlet also holds a district agreement for Xihu: it is then as specific as the
    # district outlet there, and the code breaks the tie (both carry no open order).
    OutletCoverage.objects.create(outlet=world.outlet, division_prefix=XIHU)
    district = outlet(world, "O-HZ-00")
    OutletCoverage.objects.create(outlet=district, division_prefix=XIHU)
    assert covering(XIHU, world.aircon) == ["O-HZ-00", "O-HZ-01"]


def test_no_outlet_covers_another_province_or_an_unknown_code(world):
    assert covering("440305", world.aircon) == []  # 深圳市南山区: nobody signed for it
    assert covering("", world.aircon) == []
    assert covering("33", world.aircon) == []  # a province code is shorter than every agreement


def test_a_category_limited_agreement_covers_only_its_category(world, fridge):
    only_fridges = outlet(world, "O-HZ-05")
    OutletCoverage.objects.create(outlet=only_fridges, division_prefix=BINJIANG, category=fridge)
    assert covering(BINJIANG, fridge) == ["O-HZ-05", "O-HZ-01"]
    assert covering(BINJIANG, world.aircon) == ["O-HZ-01"]
    # An order with both categories needs an outlet covering every one of them.
    assert covering(BINJIANG, fridge, world.aircon) == ["O-HZ-01"]


def test_agreements_for_each_category_together_cover_a_mixed_order(world, fridge):
    both = outlet(world, "O-HZ-06")
    OutletCoverage.objects.create(outlet=both, division_prefix=BINJIANG, category=fridge)
    OutletCoverage.objects.create(outlet=both, division_prefix=BINJIANG, category=world.aircon)
    assert covering(BINJIANG, fridge, world.aircon) == ["O-HZ-06", "O-HZ-01"]


def test_only_working_outlets_are_routed_to(world):
    for code, status in [
        ("O-HZ-A", OutletStatus.APPLIED),
        ("O-HZ-P", OutletStatus.PROBATION),
        ("O-HZ-S", OutletStatus.SUSPENDED),
        ("O-HZ-R", OutletStatus.REVOKED),
    ]:
        OutletCoverage.objects.create(outlet=outlet(world, code, status=status), division_prefix=BINJIANG)
    assert covering(BINJIANG, world.aircon) == ["O-HZ-P", "O-HZ-01"]
    OrgUnit.objects.filter(pk=world.outlet.pk).update(status=OutletStatus.SUSPENDED)
    assert covering(XIHU, world.aircon) == []


def test_the_least_loaded_outlet_comes_first_among_equals(world):
    busy = world.outlet  # O-HZ-01, first by code
    idle = outlet(world, "O-HZ-02")
    OutletCoverage.objects.create(outlet=idle, division_prefix="3301")
    assert covering(XIHU, world.aircon) == ["O-HZ-01", "O-HZ-02"]  # no load anywhere: by code

    order = world.order()  # routed to O-HZ-01, the first of the two
    assert order.outlet == busy
    assert covering(XIHU, world.aircon) == ["O-HZ-02", "O-HZ-01"]
    second = world.order()  # so the next order goes to the idle outlet
    assert second.outlet == idle
    assert covering(XIHU, world.aircon) == ["O-HZ-01", "O-HZ-02"]  # one open order each: by code

    # Only open orders count as load: a cancelled one no longer does.
    order_transition(order_id=order.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    assert covering(XIHU, world.aircon) == ["O-HZ-01", "O-HZ-02"]
    order_transition(order_id=second.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    world.order()  # O-HZ-01 again (tie by code), now one open order against none
    assert covering(XIHU, world.aircon) == ["O-HZ-02", "O-HZ-01"]


def test_a_longer_prefix_wins_over_a_lighter_load(world):
    district = outlet(world, "O-HZ-07")
    OutletCoverage.objects.create(outlet=district, division_prefix=XIHU)
    assert world.order().outlet == district
    assert world.order().outlet == district  # busier, but still the most specific agreement
    assert covering(XIHU, world.aircon) == ["O-HZ-07", "O-HZ-01"]


def test_region_for_division_is_the_longest_match(world):
    assert region_for_division(XIHU) == world.region
    assert region_for_division(NANJING_XUANWU) == world.other_region
    assert region_for_division("440305") is None
    city_part = OrgUnit.objects.create(kind=OrgKind.REGION, parent=world.hq, code="R-HZ-XH", name="西湖分中心", division_code=XIHU)
    assert region_for_division(XIHU) == city_part
    assert region_for_division(BINJIANG) == world.region


def test_technicians_for_order_are_the_eligible_ones_of_its_outlet(world):
    order = world.order()
    assert [t.name for t in technicians_for_order(order=order)] == ["李师傅", "王师傅"]  # by name; the outsider is elsewhere

    hard = world.order(fault=world.fault_hard)  # difficulty 4: grade C (李师傅) is not enough
    assert [t.name for t in technicians_for_order(order=hard)] == ["王师傅"]

    world.senior_technician.active = False
    world.senior_technician.save()
    assert technicians_for_order(order=hard) == []
    assert [t.name for t in technicians_for_order(order=order)] == ["李师傅"]


@pytest.mark.parametrize(
    "kw,expected",
    [
        ({}, []),
        ({"level": 3}, ["Grade C does not cover difficulty 3."]),
        ({"outlet": "other"}, ["The technician does not belong to the order's outlet."]),
        ({"categories": "fridge"}, ["The technician lacks the skill for a product category on this order."]),
        (
            {"level": 5, "outlet": "other", "categories": "fridge", "inactive": True},
            [
                "The technician does not belong to the order's outlet.",
                "The technician is not active.",
                "Grade C does not cover difficulty 5.",
                "The technician lacks the skill for a product category on this order.",
            ],
        ),
    ],
)
def test_qualification_problems_name_every_reason_in_a_fixed_order(world, fridge, kw, expected):
    from django.utils import translation

    from anxin.network.models import Technician
    from anxin.network.selectors import qualification_problems

    tech = world.technician  # grade C, air conditioners, the world's outlet
    if kw.get("inactive"):
        Technician.objects.filter(pk=tech.pk).update(active=False)
    tech = Technician.objects.prefetch_related("skills").get(pk=tech.pk)
    outlet_id = world.other_outlet.pk if kw.get("outlet") == "other" else world.outlet.pk
    categories = {world.aircon.pk} | ({fridge.pk} if kw.get("categories") == "fridge" else set())
    with translation.override("en"):
        got = qualification_problems(technician=tech, level=kw.get("level", 2), category_ids=categories, outlet_id=outlet_id)
    assert got == expected
