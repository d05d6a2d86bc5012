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
from anxin.orders.choices import OrderType

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
    # Order types the action applies to (empty: every type), e.g. only an install can be refused.
    order_types: tuple[str, ...] = ()

    def applies_to(self, order) -> bool:
        return not self.order_types or order.order_type in self.order_types


# Who plans field work of an outlet, and who decides on returns / exchanges.
_DISPATCH = (Role.OUTLET_MANAGER,)
_APPROVERS = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.QUALITY)
_WINDOW = ("appointment_start", "appointment_end")

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # A return / exchange order waits for approval before anybody is sent (routing skips it).
        Transition("submit_for_approval", _("Submit for approval"), (S.CREATED,), S.PENDING_APPROVAL, (SYSTEM,)),
        Transition("approve", _("Approve"), (S.PENDING_APPROVAL,), S.CREATED, _APPROVERS),
        Transition("refuse", _("Refuse"), (S.PENDING_APPROVAL,), S.CANCELLED, _APPROVERS, ("reason",), "danger"),
        Transition(
            "route",
            _("Route to outlet"),
            (S.CREATED, S.REJECTED),
            S.ROUTED,
            (SYSTEM, Role.AGENT, Role.REGION_DIRECTOR, Role.HQ_MANAGER),
            ("outlet",),
        ),
        Transition(
            "reroute",
            _("Reroute"),
            (S.ROUTED, S.ACCEPTED, S.ASSIGNED, S.CONFIRMED),
            S.ROUTED,
            (Role.AGENT, Role.REGION_DIRECTOR, Role.HQ_MANAGER),
            ("outlet", "reason"),
        ),
        Transition("accept", _("Accept"), (S.ROUTED,), S.ACCEPTED, _DISPATCH),
        Transition("reject", _("Reject"), (S.ROUTED, S.ACCEPTED), S.REJECTED, _DISPATCH, ("reason",), "danger"),
        Transition("assign", _("Assign technician"), (S.ROUTED, S.ACCEPTED), S.ASSIGNED, _DISPATCH, ("technician",)),
        # Confirming may re-plan the window agreed with the customer (the SLA clocks follow it).
        Transition("confirm", _("Confirm appointment"), (S.ASSIGNED,), S.CONFIRMED, (Role.OUTLET_MANAGER, Role.TECHNICIAN)),
        Transition("depart", _("Depart"), (S.ASSIGNED, S.CONFIRMED), S.EN_ROUTE, (Role.TECHNICIAN,)),
        Transition("check_in", _("Check in"), (S.ASSIGNED, S.CONFIRMED, S.EN_ROUTE), S.ON_SITE, (Role.TECHNICIAN,)),
        # Completing needs the whole completion report (orders.completion), not just these keys.
        Transition("complete", _("Complete"), (S.ON_SITE,), S.COMPLETED, (Role.TECHNICIAN,)),
        Transition(
            "resolve_by_phone",
            _("Resolved by phone"),
            (S.CREATED, S.ROUTED, S.ACCEPTED, S.ASSIGNED, S.CONFIRMED),
            S.RESOLVED_BY_PHONE,
            (Role.AGENT, Role.OUTLET_MANAGER, Role.TECHNICIAN, Role.HQ_MANAGER),
            ("reason",),
        ),
        Transition(
            "pending_parts", _("Wait for parts"), (S.ON_SITE,), S.PENDING_PARTS, (Role.TECHNICIAN, Role.OUTLET_MANAGER), ("reason",)
        ),
        Transition(
            "parts_arrived",
            _("Parts arrived"),
            (S.PENDING_PARTS,),
            S.ASSIGNED,
            (Role.OUTLET_MANAGER, Role.TECHNICIAN, Role.PARTS_CLERK),
            _WINDOW,
        ),
        Transition("revisit", _("Revisit needed"), (S.ON_SITE,), S.REVISIT, (Role.TECHNICIAN,), ("reason",)),
        Transition(
            "schedule_revisit",
            _("Schedule revisit"),
            (S.REVISIT, S.INSTALL_REFUSED),
            S.ASSIGNED,
            (Role.OUTLET_MANAGER, Role.TECHNICIAN),
            _WINDOW,
        ),
        # Only install orders; the hazard is recorded on the order (unsafe wiring blocks the install).
        Transition(
            "refuse_install",
            _("Refuse install (unsafe)"),
            (S.ON_SITE,),
            S.INSTALL_REFUSED,
            (Role.TECHNICIAN,),
            ("hazard_type", "reason"),
            "danger",
            (OrderType.INSTALL,),
        ),
        Transition(
            "record_callback",
            _("Record callback"),
            (S.COMPLETED, S.RESOLVED_BY_PHONE),
            S.CALLBACK_DONE,
            (Role.CALLBACK_AGENT, Role.HQ_MANAGER),
            ("satisfaction",),
        ),
        Transition("close", _("Close"), (S.CALLBACK_DONE,), S.CLOSED, (SYSTEM, Role.CALLBACK_AGENT, Role.HQ_MANAGER, Role.REGION_DIRECTOR)),
        Transition(
            "cancel",
            _("Cancel"),
            (
                S.CREATED,
                S.ROUTED,
                S.ACCEPTED,
                S.ASSIGNED,
                S.CONFIRMED,
                S.REJECTED,
                S.PENDING_APPROVAL,
                S.PENDING_PARTS,
                S.REVISIT,
                S.INSTALL_REFUSED,
            ),
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
    return [t for t in TRANSITIONS.values() if order.status in t.sources and role in t.roles and t.applies_to(order)]
