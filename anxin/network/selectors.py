from __future__ import annotations

from django.db.models import Count, Q

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


def technicians_for_order(*, order) -> list[Technician]:
    """Active technicians of the order's outlet whose grade covers the order and who have the skills."""
    from anxin.dispatch.services import technician_assignment_problems

    candidates = Technician.objects.filter(outlet_id=order.outlet_id, active=True).prefetch_related("skills").order_by("name")
    return [t for t in candidates if not technician_assignment_problems(order=order, technician=t)]
