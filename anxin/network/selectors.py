from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.network.models import OutletCoverage, Technician


def _prefixes(division_code: str) -> list[str]:
    return [division_code[:n] for n in range(2, len(division_code) + 1)]


def region_for_division(division_code: str) -> OrgUnit | None:
    """The regional center whose division prefix is the longest match for the code."""
    regions = OrgUnit.objects.filter(kind=OrgKind.REGION, division_code__in=_prefixes(division_code))
    return max(regions, key=lambda r: len(r.division_code), default=None)


def outlets_covering(*, division_code: str, category_ids: set[int]) -> list[OrgUnit]:
    """Active (or probationary) outlets covering the division for every category, best match first.

    Best = longest matching coverage prefix (a district-level agreement beats a city-wide one),
    then fewest open orders (spreads the load), then code for a stable order.
    """
    from anxin.orders.choices import OPEN_STATUSES

    if not division_code:
        return []
    coverages = OutletCoverage.objects.filter(
        division_prefix__in=_prefixes(division_code),
        outlet__status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION),
    ).filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
    best: dict[int, int] = {}
    categories_by_outlet: dict[int, set] = {}
    for cov in coverages:
        best[cov.outlet_id] = max(best.get(cov.outlet_id, 0), len(cov.division_prefix))
        categories_by_outlet.setdefault(cov.outlet_id, set()).add(cov.category_id)
    eligible = [oid for oid, cats in categories_by_outlet.items() if None in cats or category_ids <= cats]
    outlets = OrgUnit.objects.filter(pk__in=eligible).annotate(
        open_orders=Count("outlet_orders", filter=Q(outlet_orders__status__in=OPEN_STATUSES))
    )
    return sorted(outlets, key=lambda o: (-best[o.pk], o.open_orders, o.code))


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
