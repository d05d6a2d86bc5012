"""Reads of the service network: coverage, regions, the technicians who qualify.

Network sits below customers and orders (decision 0043): it knows outlets, coverage and technicians,
not orders. What it needs of the order side (how loaded an outlet is, to spread new orders) is
registered from above with ``register_outlet_load``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from django.db.models import Q
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.network.coverage import coverage_matches, division_prefixes, routing_preference
from anxin.network.models import OutletCoverage, Technician


def region_for_division(division_code: str) -> OrgUnit | None:
    """The regional center whose division prefix is the longest match for the code."""
    regions = OrgUnit.objects.filter(kind=OrgKind.REGION, division_code__in=division_prefixes(division_code))
    return max(regions, key=lambda r: len(r.division_code), default=None)


# outlet ids -> their load (open orders); set by the order side (``orders/apps.py``). None: no load known.
OutletLoad = Callable[[Collection[int]], Mapping[int, int]]
_outlet_load: OutletLoad | None = None


def register_outlet_load(fn: OutletLoad | None) -> None:
    """Name the function that says how loaded each outlet is (the order side: its open orders).
    ``outlets_covering`` breaks ties between equally good outlets by it; without one, by code."""
    global _outlet_load
    _outlet_load = fn


def outlets_covering(*, division_code: str, category_ids: set[int]) -> list[OrgUnit]:
    """Active (or probationary) outlets covering the division for every category, best match first
    (``coverage.routing_preference``: longest matching coverage prefix, then fewest open orders as
    the registered ``register_outlet_load`` counts them, then code). Each outlet carries
    ``open_orders`` (its load)."""
    if not division_code:
        return []
    rows = (
        OutletCoverage.objects.filter(
            division_prefix__in=division_prefixes(division_code),
            outlet__status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION),
        )
        .filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
        .values_list("outlet_id", "division_prefix", "category_id")
    )
    best = coverage_matches(rows, division_code=division_code, categories=category_ids)
    outlets = list(OrgUnit.objects.filter(pk__in=list(best)))
    load = _outlet_load(list(best)) if (_outlet_load and best) else {}
    for outlet in outlets:
        outlet.open_orders = load.get(outlet.pk, 0)
    return sorted(outlets, key=lambda o: routing_preference(prefix_length=best[o.pk], open_orders=o.open_orders, code=o.code))


def qualification_problems(*, technician: Technician, level: int, category_ids: set[int], outlet_id: int | None) -> list[str]:
    """Why ``technician`` may not take a job of the given facts (empty list: they may), in a fixed
    order: not the job's outlet, not active, grade below ``level`` (the grade the order needs,
    ``orders.grading``), a product category without the skill. Pure: reads the prefetched skills."""
    problems = []
    if technician.outlet_id != outlet_id:
        problems.append(_("The technician does not belong to the order's outlet."))
    if not technician.active:
        problems.append(_("The technician is not active."))
    if not technician.covers(level):
        problems.append(_("Grade %(grade)s does not cover difficulty %(level)s.") % {"grade": technician.grade, "level": level})
    if set(category_ids) - {s.pk for s in technician.skills.all()}:
        problems.append(_("The technician lacks the skill for a product category on this order."))
    return problems


def technicians_for_order(*, order) -> list[Technician]:
    """Active technicians of the order's outlet whose grade covers the order and who have the skills
    (the order's needs are read once, not per candidate)."""
    level = order.required_level
    categories = {line.product_model.category_id for line in order.lines.all()}
    candidates = Technician.objects.filter(outlet_id=order.outlet_id, active=True).prefetch_related("skills").order_by("name")
    return [
        t for t in candidates if not qualification_problems(technician=t, level=level, category_ids=categories, outlet_id=order.outlet_id)
    ]
