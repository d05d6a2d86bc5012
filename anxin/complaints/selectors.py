"""Complaint reads: every one goes through ``visible_to``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from anxin.accounts.models import User
from anxin.complaints.choices import ACTIVE_STATUSES
from anxin.complaints.models import Complaint
from anxin.complaints.services import RESOLVE_ROLES


def complaint_list(
    *, user: User, status: str = "", severity: str = "", overdue: bool = False, now: datetime | None = None
) -> QuerySet[Complaint]:
    qs = Complaint.objects.visible_to(user).select_related("customer", "order", "outlet", "technician", "assigned_to")
    if status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if overdue:
        qs = qs.filter(status__in=ACTIVE_STATUSES, due_at__lte=now or timezone.now())
    return qs


def complaints_for_order(*, user: User, order) -> list[Complaint]:
    return list(Complaint.objects.visible_to(user).filter(order=order).select_related("assigned_to").order_by("-created_at", "-id"))


def complaints_for_customer(*, user: User, customer) -> list[Complaint]:
    return list(
        Complaint.objects.visible_to(user).filter(customer=customer).select_related("order", "assigned_to").order_by("-created_at", "-id")
    )


def assignable_handlers(*, complaint: Complaint) -> list[User]:
    """The people who may handle the complaint and can see it (small sets: HQ, the region, the outlet)."""
    users = User.objects.filter(is_active=True, role__in=RESOLVE_ROLES).select_related("org_unit").order_by("username")
    return [u for u in users if Complaint.objects.visible_to(u).filter(pk=complaint.pk).exists()]
