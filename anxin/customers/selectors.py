from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from anxin.accounts.choices import OrgKind, Role
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Customer, CustomerAddress, CustomerPhone

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
        from anxin.orders.choices import FIELD_STATUSES
        from anxin.orders.models import WorkOrder

        return WorkOrder.objects.filter(customer=customer, technician__user=user, status__in=FIELD_STATUSES).exists()
    return False


def contact_visible_ids(*, user, customer_ids) -> set[int]:
    """``contact_visible`` for many customers at once (one query at most), for lists and exports."""
    ids = set(customer_ids)
    if not ids:
        return set()
    if user.is_superuser or user.role in FULL_CONTACT_ROLES:
        return ids
    if user.role == Role.TECHNICIAN and user.org_unit and user.org_unit.kind == OrgKind.OUTLET:
        from anxin.orders.choices import FIELD_STATUSES
        from anxin.orders.models import WorkOrder

        rows = WorkOrder.objects.filter(customer_id__in=ids, technician__user=user, status__in=FIELD_STATUSES)
        return set(rows.values_list("customer_id", flat=True))
    return set()


# Who may download the customer list (CSV / Excel); the export is scoped and masked like the page.
CUSTOMER_EXPORT_ROLES = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.AGENT, Role.OUTLET_MANAGER, Role.DEALER)

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def customer_list(*, user, q: str = "", group: str = "", vip: bool = False, sort: str = ""):
    """Customers in ``user``'s scope, found by phone digits (any part, e.g. the last four) or by name;
    roles that see full contact details may also search the address text."""
    qs = Customer.objects.visible_to(user).select_related("region").prefetch_related("phones", "addresses")
    q = (q or "").strip()
    if q:
        phone_match = Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), number__contains=q))
        if q.isdigit():
            qs = qs.filter(phone_match)
        elif user.is_superuser or user.role in FULL_CONTACT_ROLES:
            address_match = Exists(CustomerAddress.objects.filter(customer=OuterRef("pk"), text__contains=q))
            qs = qs.filter(Q(name__contains=q) | Q(address_match))
        else:
            qs = qs.filter(name__contains=q)
    if group:
        qs = qs.filter(group=group)
    if vip:
        qs = qs.filter(group=CustomerGroup.VIP)
    return qs.order_by(*CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["-created"]))
