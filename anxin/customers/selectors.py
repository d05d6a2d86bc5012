from __future__ import annotations

from django.db.models import Exists, OuterRef

from anxin.accounts.choices import OrgKind, Role
from anxin.customers.models import Customer, CustomerPhone

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


def customer_list(*, user, q: str = "", group: str = ""):
    qs = Customer.objects.visible_to(user).select_related("region").prefetch_related("phones", "addresses")
    if q:
        phone_match = Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), number__contains=q))
        qs = qs.filter(phone_match) if q.isdigit() else qs.filter(name__contains=q)
    if group:
        qs = qs.filter(group=group)
    return qs
