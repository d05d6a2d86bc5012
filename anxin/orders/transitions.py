"""The work-order state machine, declared as data (cf. django-oscar's pipeline).

Each action names the statuses it leaves from, the status it reaches, the roles that may take it
and the data it needs. ``orders.services.order_transition`` is the only code that changes
``WorkOrder.status``; the order page asks ``available_actions`` which buttons to show, so the UI
and the server apply the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from anxin.accounts.choices import Role
from anxin.orders.choices import OrderStatus as S

SYSTEM = "system"  # automatic steps (routing on create) run with this pseudo-role


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    required: tuple[str, ...] = ()
    style: str = "primary"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "route",
            _("Route to outlet"),
            (S.CREATED, S.REJECTED),
            S.ROUTED,
            (SYSTEM, Role.AGENT, Role.REGION_DIRECTOR, Role.HQ_MANAGER),
            ("outlet",),
        ),
        Transition("accept", _("Accept"), (S.ROUTED,), S.ACCEPTED, (Role.OUTLET_MANAGER,)),
        Transition("reject", _("Reject"), (S.ROUTED, S.ACCEPTED), S.REJECTED, (Role.OUTLET_MANAGER,), ("reason",), "danger"),
        Transition("assign", _("Assign technician"), (S.ROUTED, S.ACCEPTED), S.ASSIGNED, (Role.OUTLET_MANAGER,), ("technician",)),
        Transition("confirm", _("Confirm appointment"), (S.ASSIGNED,), S.CONFIRMED, (Role.OUTLET_MANAGER, Role.TECHNICIAN)),
        Transition("depart", _("Depart"), (S.ASSIGNED, S.CONFIRMED), S.EN_ROUTE, (Role.TECHNICIAN,)),
        Transition("check_in", _("Check in"), (S.ASSIGNED, S.CONFIRMED, S.EN_ROUTE), S.ON_SITE, (Role.TECHNICIAN,)),
        Transition("complete", _("Complete"), (S.ON_SITE,), S.COMPLETED, (Role.TECHNICIAN,), ("fault_code",)),
        Transition(
            "record_callback",
            _("Record callback"),
            (S.COMPLETED,),
            S.CALLBACK_DONE,
            (Role.CALLBACK_AGENT, Role.HQ_MANAGER),
            ("satisfaction",),
        ),
        Transition("close", _("Close"), (S.CALLBACK_DONE,), S.CLOSED, (SYSTEM, Role.CALLBACK_AGENT, Role.HQ_MANAGER, Role.REGION_DIRECTOR)),
        Transition(
            "cancel",
            _("Cancel"),
            (S.CREATED, S.ROUTED, S.ACCEPTED, S.ASSIGNED, S.CONFIRMED, S.REJECTED),
            S.CANCELLED,
            (Role.AGENT, Role.HQ_MANAGER, Role.REGION_DIRECTOR),
            ("reason",),
            "danger",
        ),
    )
}


def role_of(user) -> str:
    if user is None:
        return SYSTEM
    return Role.HQ_MANAGER if user.is_superuser else user.role


def available_actions(order, user) -> list[Transition]:
    """Actions ``user`` may take on ``order`` now (the order must already be visible to them)."""
    role = role_of(user)
    return [t for t in TRANSITIONS.values() if order.status in t.sources and role in t.roles]
