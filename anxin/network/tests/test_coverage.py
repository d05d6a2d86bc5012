"""The coverage rule written once (``network.coverage``): the pure function the selector, the demo
planner and the bulk demo loader share, and the outlet load the order side registers."""

from __future__ import annotations

import pytest

from anxin.network import selectors
from anxin.network.coverage import coverage_matches, division_prefixes, routing_preference
from anxin.orders.outlet_load import open_orders_by_outlet

XIHU = "330106"
ROWS = (
    ("city", "3301", None),  # the whole city, every category
    ("district", "330106", "AC"),  # Xihu district, air conditioners only
    ("district", "330106", "WH"),
    ("elsewhere", "3201", None),
    ("short", "3", None),  # a one-digit prefix is no coverage (as in the table's lookup)
)


def test_prefixes_run_from_the_province_to_the_full_code():
    assert division_prefixes(XIHU) == ["33", "330", "3301", "33010", "330106"]


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        ({"AC"}, {"city": 4, "district": 6}),
        ({"AC", "WH"}, {"city": 4, "district": 6}),
        ({"AC", "REF"}, {"city": 4}),  # the district outlet lacks refrigerators
        (set(), {"city": 4}),  # only an all-category row covers "no category"
    ],
)
def test_an_outlet_covers_when_its_rows_cover_every_category(categories, expected):
    assert coverage_matches(ROWS, division_code=XIHU, categories=categories) == expected


def test_no_division_code_no_outlet():
    assert coverage_matches(ROWS, division_code="", categories={"AC"}) == {}


def test_the_longest_prefix_beats_the_load_and_the_load_beats_the_code():
    candidates = [("B", 4, 0), ("A", 4, 3), ("C", 6, 9)]
    ranked = sorted(candidates, key=lambda c: routing_preference(prefix_length=c[1], open_orders=c[2], code=c[0]))
    assert [c[0] for c in ranked] == ["C", "B", "A"]


def test_the_order_side_registers_the_outlet_load(world):
    """Network never counts orders: the load comes from ``orders.outlet_load`` (registered in
    ``OrdersConfig.ready``); without it routing falls back to the code."""
    assert selectors._outlet_load is open_orders_by_outlet
    world.order()
    fridge = {world.model.category_id}
    covering = selectors.outlets_covering(division_code=XIHU, category_ids=fridge)
    assert {o.code: o.open_orders for o in covering}[world.outlet.code] == open_orders_by_outlet([world.outlet.pk])[world.outlet.pk]
    selectors.register_outlet_load(None)
    try:
        assert all(o.open_orders == 0 for o in selectors.outlets_covering(division_code=XIHU, category_ids=fridge))
    finally:
        selectors.register_outlet_load(open_orders_by_outlet)
