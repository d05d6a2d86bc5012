"""The SLA engine (服务时效): which policy applies to an order and the deadlines it sets.

The policy table (``SlaPolicy``, edited by HQ at /orders/sla/) is matched on four criteria — order
type, the address's market tier, the customer's group and the service level (A/B/C) of the order's
region; a blank criterion matches anything and the most specific active row wins (most criteria
filled, then the lowest id). When no row matches, the DOMAIN.md defaults apply (visit 24 / 48 / 72 h
by tier — ``ANXIN_VISIT_DEADLINE_HOURS`` overrides them per tier —, accept 2 h, callback 72 h, on
site 2 h for an install and 1 h otherwise, +1 h per further line). See docs/decisions/0014.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anxin.accounts.choices import Role, ServiceLevel
from anxin.core.audit import audited
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.customers.choices import CustomerGroup, MarketTier
from anxin.orders.choices import OrderType
from anxin.orders.models import SlaPolicy

# Visit deadline after the order is taken, per market tier (Hanel: city 24 h, county 48 h, remote 72 h).
DEFAULT_VISIT_HOURS = {MarketTier.CITY: 24, MarketTier.COUNTY: 48, MarketTier.REMOTE: 72, MarketTier.UNKNOWN: 48}
DEFAULT_ACCEPT_HOURS = 2
DEFAULT_CALLBACK_HOURS = 72  # Haier: 100 % callback within 72 h of completion
# On-site standard (Haier): install ≤ 2 h, repair ≤ 1 h; a complete set adds the per-line minutes.
DEFAULT_ONSITE = {OrderType.INSTALL: (120, 60)}
DEFAULT_ONSITE_OTHER = (60, 60)
# The visit clock turns "at risk" when this share of its span is left (stored as visit_risk_at).
AT_RISK_FRACTION = Decimal("0.25")


def visit_hours(tier: int) -> int:
    """The fallback visit hours of a market tier (used when no policy row matches; demo data)."""
    configured = getattr(settings, "ANXIN_VISIT_DEADLINE_HOURS", {}) or {}
    return int(configured.get(int(tier), DEFAULT_VISIT_HOURS.get(tier, 48)))


def _callback_hours_setting() -> float:
    return float(getattr(settings, "ANXIN_CALLBACK_DEADLINE_HOURS", DEFAULT_CALLBACK_HOURS))


@dataclass(frozen=True)
class Terms:
    """The numbers an order is held to (from a policy row, or the defaults when none matches)."""

    policy: SlaPolicy | None
    accept_hours: float
    visit_hours: float
    onsite_minutes: int
    onsite_minutes_per_extra_line: int
    callback_hours: float

    def onsite_for(self, lines: int) -> int:
        return self.onsite_minutes + max(int(lines) - 1, 0) * self.onsite_minutes_per_extra_line


def specificity(policy: SlaPolicy) -> int:
    return sum(
        (
            bool(policy.order_type),
            policy.market_tier is not None,
            bool(policy.customer_group),
            bool(policy.service_level),
        )
    )


def _criteria(order) -> dict:
    address = getattr(order, "address", None) if order.address_id else None
    customer = order.customer if order.customer_id else None
    region = order.region if order.region_id else None
    return {
        "order_type": order.order_type or "",
        "market_tier": int(address.market_tier) if address is not None else None,
        "customer_group": customer.group if customer is not None else "",
        "service_level": (region.service_level or "") if region is not None else "",
    }


def policy_for(order) -> SlaPolicy | None:
    """The most specific active policy row matching the order (one query; no cache, edits apply at once)."""
    c = _criteria(order)
    q = Q(active=True)
    q &= Q(order_type="") | Q(order_type=c["order_type"])
    q &= Q(market_tier__isnull=True) | (Q(market_tier=c["market_tier"]) if c["market_tier"] is not None else Q(pk__in=[]))
    q &= Q(customer_group="") | Q(customer_group=c["customer_group"])
    q &= Q(service_level="") | Q(service_level=c["service_level"])
    rows = list(SlaPolicy.objects.filter(q))
    if not rows:
        return None
    return min(rows, key=lambda p: (-specificity(p), p.pk))


def terms_for(order, policy: SlaPolicy | None = None) -> Terms:
    policy = policy if policy is not None else policy_for(order)
    if policy is not None:
        return Terms(
            policy=policy,
            accept_hours=float(policy.accept_hours),
            visit_hours=float(policy.visit_hours),
            onsite_minutes=int(policy.onsite_minutes),
            onsite_minutes_per_extra_line=int(policy.onsite_minutes_per_extra_line),
            callback_hours=float(policy.callback_hours),
        )
    tier = order.address.market_tier if order.address_id else MarketTier.UNKNOWN
    first, extra = DEFAULT_ONSITE.get(order.order_type, DEFAULT_ONSITE_OTHER)
    return Terms(
        policy=None,
        accept_hours=DEFAULT_ACCEPT_HOURS,
        visit_hours=visit_hours(tier),
        onsite_minutes=first,
        onsite_minutes_per_extra_line=extra,
        callback_hours=_callback_hours_setting(),
    )


def risk_moment(start: datetime, deadline: datetime) -> datetime:
    """When a clock from ``start`` to ``deadline`` turns "at risk": 25 % of its span left."""
    span = deadline - start
    return deadline - span * float(AT_RISK_FRACTION)


def plan_deadlines(order, *, now: datetime, lines: int | None = None) -> None:
    """Set the order's policy and its accept / visit deadlines and on-site standard (not saved).

    Called when the order is created and again when it is re-planned (a new appointment window):
    a re-plan restarts the visit clock from ``now`` and keeps the accept deadline already set.
    The appointment window does not move the visit deadline: on-time arrival (check-in inside the
    window) is judged separately (``selectors.arrived_on_time``)."""
    if lines is None:
        lines = order.lines.count() if order.pk else 1
    terms = terms_for(order)
    order.sla_policy = terms.policy
    if order.accept_deadline is None:
        order.accept_deadline = now + timedelta(hours=terms.accept_hours)
    order.visit_deadline = now + timedelta(hours=terms.visit_hours)
    order.visit_risk_at = risk_moment(now, order.visit_deadline)
    order.onsite_minutes = terms.onsite_for(max(int(lines), 1))


def onsite_end(checked_in_at: datetime | None, onsite_minutes: int | None) -> datetime | None:
    """When the technician should be done on site: check-in + the on-site standard."""
    if checked_in_at is None or not onsite_minutes:
        return None
    return checked_in_at + timedelta(minutes=onsite_minutes)


def plan_onsite(order) -> None:
    """Start the on-site clock at check-in (not saved); the escalation job reads the stored deadline."""
    order.onsite_deadline = onsite_end(order.checked_in_at, order.onsite_minutes)


def plan_callback(order, *, now: datetime) -> None:
    """Set the callback deadline when the work is done (completed or resolved by phone; not saved)."""
    policy = order.sla_policy if order.sla_policy_id else None
    if policy is not None and policy.active:
        hours = float(policy.callback_hours)
    else:
        hours = terms_for(order).callback_hours
    order.callback_deadline = now + timedelta(hours=hours)


# --- the policy table (HQ) --------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "order_type",
    "market_tier",
    "customer_group",
    "service_level",
    "accept_hours",
    "visit_hours",
    "onsite_minutes",
    "onsite_minutes_per_extra_line",
    "callback_hours",
    "active",
)


def may_edit_policies(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.HQ_MANAGER))


def _positive(value, name: str, errors: dict, *, allow_zero: bool = False) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        errors[name] = _("Enter a number.")
        return None
    if not number.is_finite() or number < 0 or (number == 0 and not allow_zero):
        errors[name] = _("Must be greater than zero.") if not allow_zero else _("Must not be negative.")
        return None
    if number > 10000:
        errors[name] = _("Must be at most %(max)s.") % {"max": 10000}
        return None
    return number


@transaction.atomic
def sla_policy_save(*, actor, data: dict, policy: SlaPolicy | None = None) -> SlaPolicy:
    """Create or change one policy row (HQ manager only; audited). Deactivate with ``active=False``."""
    if not may_edit_policies(actor):
        raise PermissionDenied(_("Only the HQ service manager may change SLA policies."))
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 100:
        errors["name"] = _("At most %(max)s characters.") % {"max": 100}
    order_type = data.get("order_type") or ""
    if order_type and order_type not in OrderType.values:
        errors["order_type"] = _("Unknown order type.")
    tier = data.get("market_tier")
    if tier in ("", None):
        tier = None
    else:
        try:
            tier = int(tier)
        except (TypeError, ValueError):
            tier = -1
        if tier not in (MarketTier.CITY, MarketTier.COUNTY, MarketTier.REMOTE):
            errors["market_tier"] = _("Choose tier 1, 2 or 3.")
    group = data.get("customer_group") or ""
    if group and group not in CustomerGroup.values:
        errors["customer_group"] = _("Unknown customer group.")
    level = data.get("service_level") or ""
    if level and level not in ServiceLevel.values:
        errors["service_level"] = _("Choose service level A, B or C.")
    numbers = {
        "accept_hours": _positive(data.get("accept_hours"), "accept_hours", errors),
        "visit_hours": _positive(data.get("visit_hours"), "visit_hours", errors),
        "callback_hours": _positive(data.get("callback_hours"), "callback_hours", errors),
        "onsite_minutes": _positive(data.get("onsite_minutes"), "onsite_minutes", errors),
        "onsite_minutes_per_extra_line": _positive(
            data.get("onsite_minutes_per_extra_line"), "onsite_minutes_per_extra_line", errors, allow_zero=True
        ),
    }
    for key in ("onsite_minutes", "onsite_minutes_per_extra_line"):
        value = numbers[key]
        if value is not None and value != value.to_integral_value():
            errors[key] = _("Enter whole minutes.")
    if numbers["accept_hours"] is not None and numbers["visit_hours"] is not None and numbers["accept_hours"] > numbers["visit_hours"]:
        errors["accept_hours"] = _("The time to accept cannot be longer than the visit deadline.")
    if errors:
        raise ValidationFailed(fields=errors)
    creating = policy is None
    policy = policy or SlaPolicy()
    policy.name = name
    policy.order_type = order_type
    policy.market_tier = tier
    policy.customer_group = group
    policy.service_level = level
    policy.accept_hours = numbers["accept_hours"]
    policy.visit_hours = numbers["visit_hours"]
    policy.callback_hours = numbers["callback_hours"]
    policy.onsite_minutes = int(numbers["onsite_minutes"])
    policy.onsite_minutes_per_extra_line = int(numbers["onsite_minutes_per_extra_line"])
    policy.active = bool(data.get("active", True))
    audited(policy, actor, "created" if creating else "changed").save()
    return policy
