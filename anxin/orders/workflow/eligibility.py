"""Warranty and return / exchange eligibility of an appliance (保修 / 退换货), and repeat repairs.

One place for the rules the agent sees on the new-order page and ``order_create`` enforces:

- in warranty by **policy** while ``on`` ≤ the appliance's whole-unit warranty end (purchase date +
  category policy); the main-parts warranty (longer) is reported separately, it does not make the
  whole repair free;
- in warranty by **contract** while an extended-warranty or maintenance contract covers ``on``;
- **return** allowed for a quality problem within ``ANXIN_RETURN_DAYS`` (15) days of purchase,
  **exchange** within ``ANXIN_EXCHANGE_DAYS`` (30) days;
- a repair is a **repeat** when the same appliance had a repair order completed within
  ``ANXIN_REPEAT_REPAIR_DAYS`` (30) days before it.

The thresholds are defaults here and data in settings (``anxin/settings.py`` reads them from the
environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings

from anxin.orders.choices import OrderType

RETURN_DAYS = 15
EXCHANGE_DAYS = 30
REPEAT_REPAIR_DAYS = 30

POLICY = "policy"
CONTRACT = "contract"


def return_days() -> int:
    return int(getattr(settings, "ANXIN_RETURN_DAYS", RETURN_DAYS))


def exchange_days() -> int:
    return int(getattr(settings, "ANXIN_EXCHANGE_DAYS", EXCHANGE_DAYS))


def repeat_repair_days() -> int:
    return int(getattr(settings, "ANXIN_REPEAT_REPAIR_DAYS", REPEAT_REPAIR_DAYS))


@dataclass(frozen=True)
class Eligibility:
    """What an appliance is entitled to on one day."""

    in_warranty: bool
    basis: str  # "policy", "contract" or "" (out of warranty)
    contract: object | None  # the ServiceContract in force on the day, if any
    warranty_end: date | None  # the end of the cover that applies (policy end, or the contract's end)
    main_parts_warranty_end: date | None
    main_parts_in_warranty: bool
    days_since_purchase: int | None
    return_allowed: bool
    exchange_allowed: bool
    return_days: int
    exchange_days: int

    def allows(self, kind: str) -> bool:
        """Is a return (``"return"``) or an exchange (``"exchange"``) allowed?"""
        return self.return_allowed if kind == "return" else self.exchange_allowed if kind == "exchange" else False

    def limit_for(self, kind: str) -> int:
        return self.return_days if kind == "return" else self.exchange_days


def appliance_eligibility(appliance, on: date) -> Eligibility:
    """Warranty and return / exchange eligibility of ``appliance`` on day ``on``.

    Reads ``appliance.contracts.all()`` (prefetch it for many appliances)."""
    policy_end = appliance.warranty_end or appliance.compute_warranty_end()
    parts_end = appliance.main_parts_warranty_end
    by_policy = policy_end is not None and on <= policy_end
    covering = [c for c in appliance.contracts.all() if c.starts_on <= on <= c.ends_on]
    contract = max(covering, key=lambda c: (c.ends_on, c.pk), default=None)
    if by_policy:
        basis, end = POLICY, policy_end
    elif contract is not None:
        basis, end = CONTRACT, contract.ends_on
    else:
        basis, end = "", policy_end
    days = (on - appliance.purchase_date).days if appliance.purchase_date else None
    r_days, x_days = return_days(), exchange_days()
    return Eligibility(
        in_warranty=bool(basis),
        basis=basis,
        contract=contract,
        warranty_end=end,
        main_parts_warranty_end=parts_end,
        main_parts_in_warranty=parts_end is not None and on <= parts_end,
        days_since_purchase=days,
        return_allowed=days is not None and 0 <= days <= r_days,
        exchange_allowed=days is not None and 0 <= days <= x_days,
        return_days=r_days,
        exchange_days=x_days,
    )


def earlier_repair(appliance, *, now: datetime, exclude_order_id: int | None = None):
    """The latest repair order of ``appliance`` completed within the repeat window before ``now``."""
    from anxin.orders.models import WorkOrder

    qs = WorkOrder.objects.filter(
        order_type=OrderType.REPAIR,
        lines__appliance=appliance,
        completed_at__isnull=False,
        completed_at__gte=now - timedelta(days=repeat_repair_days()),
        completed_at__lte=now,
    )
    if exclude_order_id is not None:
        qs = qs.exclude(pk=exclude_order_id)
    return qs.order_by("-completed_at", "-id").first()
