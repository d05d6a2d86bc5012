"""The work-order state machine, declared as data with the kit (``anxin.core.statemachine``, decision 0041).

Each action names the statuses it leaves from, the status it reaches, the roles that may take it,
the data it needs, what it does to the order (``apply``, in ``orders.workflow.steps``) and what the
pages need to know about it (decision 0042): whether it opens a dialog, the label of its reason
field, whether it asks for an appointment window, where it sits on the technician's phone (the big
"next" button or a small "side" link), whether it is a bulk action of the queue, and the page it
opens instead of a form (``page``: a URL name taking the order's id). Adding an action is one
``OrderTransition`` here: the order page, the technician's jobs, the queue's bulk bar, the API and
``order_transition`` all read this table, so the UI and the server apply the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anxin.accounts.choices import Role
from anxin.core.statemachine import SYSTEM, Machine, Transition
from anxin.orders.choices import OrderStatus as S
from anxin.orders.choices import OrderType
from anxin.orders.job_stamps import jobs_changed
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.workflow import steps
from anxin.orders.workflow.changes import loaded_value, note_step

__all__ = ["ORDER_MACHINE", "SYSTEM", "TRANSITIONS", "OrderTransition", "available_actions", "role_of"]

NEXT, SIDE = "next", "side"  # the technician's big button / small links (``technician_step``)


@dataclass(frozen=True)
class OrderTransition(Transition):
    # Order types the action applies to (empty: every type), e.g. only an install can be refused.
    order_types: tuple[str, ...] = ()
    # The dialog asks for an appointment window (required when the window is in ``required``).
    window: bool = False
    technician_step: str = ""  # NEXT, SIDE or ""
    page: str = ""  # a page of its own instead of a form (URL name, argument: the order's id)

    def refusal(self, order) -> str:
        if self.order_types and order.order_type not in self.order_types:
            return gettext("“%(action)s” does not apply to a “%(type)s” order.") % {
                "action": self.label,
                "type": order.get_order_type_display(),
            }
        return super().refusal(order)


# Who plans field work of an outlet, and who decides on returns / exchanges.
_DISPATCH = (Role.OUTLET_MANAGER,)
_APPROVERS = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.QUALITY)
_WINDOW = ("appointment_start", "appointment_end")
_REASON = _("Reason")

_DECLARED = (
    # A return / exchange order waits for approval before anybody is sent (routing skips it).
    OrderTransition(
        "submit_for_approval", _("Submit for approval"), (S.CREATED,), S.PENDING_APPROVAL, (SYSTEM,), apply=steps.apply_submit_for_approval
    ),
    OrderTransition("approve", _("Approve"), (S.PENDING_APPROVAL,), S.CREATED, _APPROVERS, apply=steps.apply_approve),
    OrderTransition(
        "refuse",
        _("Refuse"),
        (S.PENDING_APPROVAL,),
        S.CANCELLED,
        _APPROVERS,
        ("reason",),
        "danger",
        apply=steps.apply_refuse,
        dialog=True,
        reason_label=_("Why the return / exchange is refused"),
    ),
    OrderTransition(
        "route",
        _("Route to outlet"),
        (S.CREATED, S.REJECTED),
        S.ROUTED,
        (SYSTEM, Role.AGENT, Role.REGION_DIRECTOR, Role.HQ_MANAGER),
        ("outlet",),
        apply=steps.apply_route,
        dialog=True,
    ),
    OrderTransition(
        "reroute",
        _("Reroute"),
        (S.ROUTED, S.ACCEPTED, S.ASSIGNED, S.CONFIRMED),
        S.ROUTED,
        (Role.AGENT, Role.REGION_DIRECTOR, Role.HQ_MANAGER),
        ("outlet", "reason"),
        apply=steps.apply_reroute,
        dialog=True,
        reason_label=_("Why it moves to another outlet"),
        # In bulk, an order not routed yet (created) or rejected by its outlet is simply routed.
        bulk=True,
        bulk_label=_("Reroute to outlet"),
        bulk_also=("route",),
    ),
    OrderTransition("accept", _("Accept"), (S.ROUTED,), S.ACCEPTED, _DISPATCH, apply=steps.apply_accept, bulk=True),
    OrderTransition(
        "reject", _("Reject"), (S.ROUTED, S.ACCEPTED), S.REJECTED, _DISPATCH, ("reason",), "danger", dialog=True, reason_label=_REASON
    ),
    OrderTransition(
        "assign",
        _("Assign technician"),
        (S.ROUTED, S.ACCEPTED),
        S.ASSIGNED,
        _DISPATCH,
        ("technician",),
        apply=steps.apply_assign,
        dialog=True,
    ),
    # Confirming may re-plan the window agreed with the customer (the SLA clocks follow it).
    OrderTransition(
        "confirm",
        _("Confirm appointment"),
        (S.ASSIGNED,),
        S.CONFIRMED,
        (Role.OUTLET_MANAGER, Role.TECHNICIAN),
        apply=steps.apply_confirm,
        dialog=True,
        window=True,
    ),
    OrderTransition("depart", _("Depart"), (S.ASSIGNED, S.CONFIRMED), S.EN_ROUTE, (Role.TECHNICIAN,), technician_step=NEXT),
    OrderTransition(
        "check_in",
        _("Check in"),
        (S.ASSIGNED, S.CONFIRMED, S.EN_ROUTE),
        S.ON_SITE,
        (Role.TECHNICIAN,),
        apply=steps.apply_check_in,
        technician_step=NEXT,
    ),
    # Completing needs the whole completion report (orders.completion), not just these keys.
    OrderTransition(
        "complete",
        _("Complete"),
        (S.ON_SITE,),
        S.COMPLETED,
        (Role.TECHNICIAN,),
        apply=steps.apply_complete,
        technician_step=NEXT,
        page="order_complete",
    ),
    OrderTransition(
        "resolve_by_phone",
        _("Resolved by phone"),
        (S.CREATED, S.ROUTED, S.ACCEPTED, S.ASSIGNED, S.CONFIRMED),
        S.RESOLVED_BY_PHONE,
        (Role.AGENT, Role.OUTLET_MANAGER, Role.TECHNICIAN, Role.HQ_MANAGER),
        ("reason",),
        apply=steps.apply_resolve_by_phone,
        dialog=True,
        reason_label=_("What the customer was advised"),
    ),
    OrderTransition(
        "pending_parts",
        _("Wait for parts"),
        (S.ON_SITE,),
        S.PENDING_PARTS,
        (Role.TECHNICIAN, Role.OUTLET_MANAGER),
        ("reason",),
        apply=steps.apply_pending_parts,
        dialog=True,
        reason_label=_("Part needed"),
        technician_step=SIDE,
    ),
    OrderTransition(
        "parts_arrived",
        _("Parts arrived"),
        (S.PENDING_PARTS,),
        S.ASSIGNED,
        (Role.OUTLET_MANAGER, Role.TECHNICIAN, Role.PARTS_CLERK),
        _WINDOW,
        apply=steps.apply_revisit_planned,
        dialog=True,
        window=True,
        technician_step=NEXT,
    ),
    OrderTransition(
        "revisit",
        _("Revisit needed"),
        (S.ON_SITE,),
        S.REVISIT,
        (Role.TECHNICIAN,),
        ("reason",),
        dialog=True,
        reason_label=_("Why another visit is needed"),
        technician_step=SIDE,
    ),
    OrderTransition(
        "schedule_revisit",
        _("Schedule revisit"),
        (S.REVISIT, S.INSTALL_REFUSED),
        S.ASSIGNED,
        (Role.OUTLET_MANAGER, Role.TECHNICIAN),
        _WINDOW,
        apply=steps.apply_revisit_planned,
        dialog=True,
        window=True,
        technician_step=NEXT,
    ),
    # Only install orders; the hazard is recorded on the order (unsafe wiring blocks the install).
    OrderTransition(
        "refuse_install",
        _("Refuse install (unsafe)"),
        (S.ON_SITE,),
        S.INSTALL_REFUSED,
        (Role.TECHNICIAN,),
        ("hazard_type", "reason"),
        "danger",
        apply=steps.apply_refuse_install,
        order_types=(OrderType.INSTALL,),
        dialog=True,
        reason_label=_("What was found on site"),
        technician_step=SIDE,
    ),
    # A callback is more than a status: pages and the API hand it to the registered action handler
    # (``orders.workflow.hooks``: feedback records the Callback row and may close the order).
    OrderTransition(
        "record_callback",
        _("Record callback"),
        (S.COMPLETED, S.RESOLVED_BY_PHONE),
        S.CALLBACK_DONE,
        (Role.CALLBACK_AGENT, Role.HQ_MANAGER),
        ("satisfaction",),
        apply=steps.apply_callback,
        page="callback_record",
    ),
    OrderTransition(
        "close",
        _("Close"),
        (S.CALLBACK_DONE,),
        S.CLOSED,
        (SYSTEM, Role.CALLBACK_AGENT, Role.HQ_MANAGER, Role.REGION_DIRECTOR),
        apply=steps.apply_close,
    ),
    OrderTransition(
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
        dialog=True,
        reason_label=_REASON,
        bulk=True,
    ),
)


def role_of(user) -> str:
    if user is None:
        return SYSTEM
    return Role.HQ_MANAGER if user.is_superuser else user.role


def _record(order: WorkOrder, step) -> None:
    """Record a step taken, in its transaction: the status change row; the job list of the
    technician who had the order and of the one who has it now moves on (``orders.job_stamps``,
    decision 0048); and what the step set, for the caller's answer (``orders.workflow.changes``)."""
    StatusChange.objects.create(
        order=order,
        action=step.action,
        from_status=step.from_status,
        to_status=order.status,
        actor=step.actor,
        reason=step.reason,
        data=step.recorded,
    )
    jobs_changed((loaded_value(order, "technician_id"), order.technician_id))
    note_step(order)


ORDER_MACHINE = Machine(
    model=WorkOrder,
    transitions=_DECLARED,
    role_of=role_of,
    record=_record,
    event="order",
    not_found=_("Work order not found."),
    wrong_status=lambda t, order: (
        gettext("Cannot “%(action)s” an order that is “%(status)s”.") % {"action": t.label, "status": order.get_status_display()}
    ),
    forbidden=lambda t, order: gettext("Your role may not “%(action)s” this order.") % {"action": t.label},
    audit_reason=lambda step: step.reason or step.action,
)
# action → transition, in declaration order (what pages, the API and the tests read).
TRANSITIONS: dict[str, OrderTransition] = ORDER_MACHINE.by_action


def available_actions(order, user) -> list[OrderTransition]:
    """Actions ``user`` may take on ``order`` now (the order must already be visible to them)."""
    return ORDER_MACHINE.available_actions(order, user)
