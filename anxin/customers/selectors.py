from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, Role
from anxin.core.errors import TooManyRequests
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Appliance, Customer, CustomerAccess, CustomerAddress, CustomerPhone

# Roles whose work is talking to customers: they see full numbers and addresses of customers in scope.
FULL_CONTACT_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT, Role.OUTLET_MANAGER, Role.DEALER)


def mask_phone(number: str) -> str:
    if len(number) >= 7:
        return f"{number[:3]}****{number[-4:]}"
    return "****"


def mask_address(text: str, district: str = "") -> str:
    if district and district in text:
        head = text[: text.index(district) + len(district)]
        return f"{head}****"
    return f"{text[:6]}****" if len(text) > 6 else "****"


def contact_visible(*, user, customer: Customer) -> bool:
    """Whether ``user`` sees ``customer``'s full phone and address (the customer is already in scope)."""
    if user.is_superuser or user.role in FULL_CONTACT_ROLES:
        return True
    if user.role == Role.TECHNICIAN and user.org_unit and user.org_unit.kind == OrgKind.OUTLET:
        # While an order of theirs for the customer is in the field (kept by the order side, 0046).
        return CustomerAccess.objects.filter(customer=customer, user=user, in_field=True).exists()
    return False


def contact_visible_ids(*, user, customer_ids) -> set[int]:
    """``contact_visible`` for many customers at once (one query at most), for lists and exports."""
    ids = set(customer_ids)
    if not ids:
        return set()
    if user.is_superuser or user.role in FULL_CONTACT_ROLES:
        return ids
    if user.role == Role.TECHNICIAN and user.org_unit and user.org_unit.kind == OrgKind.OUTLET:
        rows = CustomerAccess.objects.filter(customer_id__in=ids, user=user, in_field=True)
        return set(rows.values_list("customer_id", flat=True))
    return set()


def phone_tail_search_allowed(user) -> bool:
    """Whether a phone query of ``user`` may match part of a number (its last digits). Only roles that
    see numbers unmasked may; for the others a phone query matches a whole number only, or a masked
    ``130****0376`` could be rebuilt digit by digit from which searches answer (decision 0024)."""
    return user.is_superuser or user.role in FULL_CONTACT_ROLES


def _minute() -> int:
    """The current one-minute window of the search limit."""
    return int(timezone.now().timestamp() // 60)


def customer_search_throttle(*, user) -> None:
    """Count one customer search of ``user``; past ``ANXIN_CUSTOMER_SEARCH_PER_MINUTE`` in the current
    minute raise ``TooManyRequests`` (429). The counter lives in the shared cache (files under var/ in
    the embedded set-up, Redis in production), so every server process counts against one limit."""
    limit = settings.ANXIN_CUSTOMER_SEARCH_PER_MINUTE
    if limit <= 0 or not getattr(user, "pk", None):
        return
    key = f"anxin:customer-search:{user.pk}:{_minute()}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        raise TooManyRequests(
            _("You searched customers %(count)s times within a minute (limit %(limit)s); wait a moment and try again.")
            % {"count": count, "limit": limit}
        )


# --- a dealer's view: only what its own sales recorded (decision 0023) ---------------------------


def dealer_unit_of(user):
    """The dealer whose view of customers is limited to what it recorded itself, or ``None``."""
    unit = getattr(user, "org_unit", None)
    if user.is_superuser or user.role != Role.DEALER or unit is None or unit.kind != OrgKind.DEALER:
        return None
    return unit


@dataclass
class DealerCard:
    """What one dealer recorded of a customer: the name, numbers and addresses its people typed (with
    a sale or when registering the customer), and the appliances it sold. Never the archive's other
    data: its other phones and addresses, corrections by agents, other dealers' appliances."""

    name: str = ""
    phones: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    appliances: list = field(default_factory=list)


def _dealer_entries_q(unit) -> Q:
    return Q(history_type="+", history_user__org_unit=unit)


def dealer_cards(*, unit, customer_ids) -> dict[int, DealerCard]:
    """``DealerCard`` of each customer for the dealer ``unit`` (five queries whatever the count)."""
    ids = set(customer_ids)
    cards: dict[int, DealerCard] = {cid: DealerCard() for cid in ids}
    if not ids:
        return cards

    def add(items: list[str], value: str) -> None:
        if value and value not in items:
            items.append(value)

    # Registered by the dealer's own people (customer form, API): the record as they entered it.
    entered = _dealer_entries_q(unit)
    for cid, name in Customer.history.filter(entered, id__in=ids).order_by("history_date").values_list("id", "name"):
        cards[cid].name = name
    for cid, number in (
        CustomerPhone.history.filter(entered, customer_id__in=ids).order_by("history_date").values_list("customer_id", "number")
    ):
        add(cards[cid].phones, number)
    for cid, text in (
        CustomerAddress.history.filter(entered, customer_id__in=ids).order_by("history_date").values_list("customer_id", "text")
    ):
        add(cards[cid].addresses, text)
    # Its sales: what was typed there (the latest name wins).
    Sale = apps.get_model("sales", "SaleRegistration")
    sales = Sale.objects.filter(dealer=unit, customer_id__in=ids).order_by("created_at", "id")
    for cid, name, phones, address in sales.values_list("customer_id", "customer_name", "phones", "address"):
        card = cards[cid]
        card.name = name or card.name
        for number in phones or []:
            add(card.phones, number)
        add(card.addresses, address)
    for appliance in Appliance.objects.filter(customer_id__in=ids, dealer=unit).select_related("product_model__category").order_by("-pk"):
        cards[appliance.customer_id].appliances.append(appliance)
    return cards


def dealer_card_for(*, user, customer) -> DealerCard | None:
    """For a dealer, its card of ``customer`` (what order pages, slips and forms may show it); else ``None``."""
    unit = dealer_unit_of(user)
    return None if unit is None else dealer_cards(unit=unit, customer_ids=[customer.pk])[customer.pk]


def shown_customer_names(*, user, customers) -> dict[int, str]:
    """The name ``user`` is shown for each customer: the archive's, or for a dealer the one it typed
    (one batch of queries for a dealer, none for anyone else)."""
    customers = list(customers)
    unit = dealer_unit_of(user)
    if unit is None:
        return {c.pk: c.name for c in customers}
    cards = dealer_cards(unit=unit, customer_ids=[c.pk for c in customers])
    return {c.pk: cards[c.pk].name for c in customers}


def dealer_customer_matches(*, user, unit, q: str, limit: int = 50) -> list[tuple[int, str]]:
    """(customer id, matched field) of the customers in ``user``'s scope whose *dealer card* matches
    ``q``: a name, number or address its people typed, a serial it sold, one of its orders. The
    archive's search index is not used: it holds what the dealer may not see."""
    from anxin.customers.search import search_sources

    q = (q or "").strip()
    if not q:
        return []
    Sale = apps.get_model("sales", "SaleRegistration")
    digits = re.sub(r"[\s\-()+]", "", q)
    phone = digits.isdigit() and len(digits) >= 4
    found: dict[int, str] = {}

    def take(rows, matched: str) -> None:
        for cid in rows:
            found.setdefault(cid, matched)

    entered = _dealer_entries_q(unit)
    sales = Sale.objects.filter(dealer=unit)
    if phone:
        take(sales.filter(phones__icontains=digits).values_list("customer_id", flat=True)[:500], "phone")
        take(CustomerPhone.history.filter(entered, number__contains=digits).values_list("customer_id", flat=True)[:500], "phone")
    else:
        take(sales.filter(customer_name__contains=q).values_list("customer_id", flat=True)[:500], "name")
        take(Customer.history.filter(entered, name__contains=q).values_list("id", flat=True)[:500], "name")
        take(sales.filter(address__contains=q).values_list("customer_id", flat=True)[:500], "address")
        take(CustomerAddress.history.filter(entered, text__contains=q).values_list("customer_id", flat=True)[:500], "address")
    if len(q) >= 4:
        take(Appliance.objects.filter(dealer=unit, serial__istartswith=q).values_list("customer_id", flat=True)[:500], "serial")
        for source in search_sources():  # its orders (by number), through the order side's source
            take([cid for cid, _text in source.find(user=user, q=q, limit=500)], source.name)
    visible = set(Customer.objects.visible_to(user).filter(pk__in=found).values_list("pk", flat=True))
    ranked = sorted((cid for cid in found if cid in visible), reverse=True)[:limit]
    return [(cid, found[cid]) for cid in ranked]


# Who may download the customer list (CSV / Excel); the export is scoped and masked like the page.
CUSTOMER_EXPORT_ROLES = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.AGENT, Role.OUTLET_MANAGER, Role.DEALER)

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def customer_list(*, user, q: str = "", group: str = "", vip: bool = False, sort: str = ""):
    """Customers in ``user``'s scope, found by phone digits (any part, e.g. the last four, for the roles
    that see numbers unmasked; the whole number for the others) or by name; roles that see full
    contact details may also search the address text. A dealer searches what it recorded itself."""
    qs = Customer.objects.visible_to(user).select_related("region").prefetch_related("phones", "addresses")
    q = (q or "").strip()
    unit = dealer_unit_of(user)
    if q and unit is not None:
        qs = qs.filter(pk__in=[cid for cid, _matched in dealer_customer_matches(user=user, unit=unit, q=q, limit=1000)])
    elif q:
        number = Q(number__contains=q) if phone_tail_search_allowed(user) else Q(number=q)
        phone_match = Exists(CustomerPhone.objects.filter(number, customer=OuterRef("pk")))
        if q.isdigit():
            qs = qs.filter(phone_match)
        elif user.is_superuser or user.role in FULL_CONTACT_ROLES:
            address_match = Exists(CustomerAddress.objects.filter(customer=OuterRef("pk"), text__contains=q))
            qs = qs.filter(Q(name__contains=q) | Q(address_match))
        else:
            qs = qs.filter(name__contains=q)
    if unit is not None:
        # The group, the VIP flag and the archive's name are not the dealer's to filter or sort by.
        return qs.order_by(*CUSTOMER_SORTS["-created"])
    if group:
        qs = qs.filter(group=group)
    if vip:
        qs = qs.filter(group=CustomerGroup.VIP)
    return qs.order_by(*CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["-created"]))
