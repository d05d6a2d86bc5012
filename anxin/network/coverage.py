"""The coverage rule, pure (no database): which outlets cover an address for a set of product
categories, and in what order routing prefers them. ``selectors.outlets_covering`` applies it to the
coverage table; the demo planner and the bulk demo loader apply it to rows they hold in memory, so
the rule is written once (issue 10 item 6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def division_prefixes(division_code: str) -> list[str]:
    """Every prefix of a division code a coverage row may name (province "33" … the full code)."""
    return [division_code[:n] for n in range(2, len(division_code) + 1)]


def coverage_matches(coverages: Iterable[tuple[K, str, Hashable | None]], *, division_code: str, categories: Collection) -> dict[K, int]:
    """``{outlet: length of its longest matching prefix}`` for the outlets that cover ``division_code``
    for every category. ``coverages`` are ``(outlet, division prefix, category or None)`` rows (None:
    every category) of outlets that may take orders; outlets and categories are any keys (ids, codes)."""
    if not division_code:
        return {}
    prefixes = set(division_prefixes(division_code))
    wanted = set(categories)
    best: dict[K, int] = {}
    covered: dict[K, set] = defaultdict(set)
    for outlet, prefix, category in coverages:
        if prefix in prefixes and (category is None or category in wanted):
            best[outlet] = max(best.get(outlet, 0), len(prefix))
            covered[outlet].add(category)
    return {outlet: best[outlet] for outlet, cats in covered.items() if None in cats or wanted <= cats}


def routing_preference(*, prefix_length: int, open_orders: int, code: str) -> tuple:
    """Sort key of covering outlets, best first: the longest matching prefix (a district-level
    agreement beats a city-wide one), then the fewest open orders (spreads the load), then the code."""
    return (-prefix_length, open_orders, code)
