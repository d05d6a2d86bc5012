"""What each step of the order machine does beyond its status (the ``apply`` of its transition).

Each ``apply(order, data, actor) -> dict`` changes the locked order and returns what the status
change records; a refusal (``ValidationFailed``) rolls the whole step back. The transitions are
declared in ``orders.workflow.transitions``; ``orders.workflow.services.order_transition`` takes them.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, OutletStatus
from anxin.accounts.models import OrgUnit
from anxin.core.errors import ValidationFailed
from anxin.network.models import Technician
from anxin.orders.choices import ApprovalDecision, HazardType, Satisfaction
from anxin.orders.completion import report
from anxin.orders.models import WorkOrder
from anxin.orders.sla import policy as sla
from anxin.orders.workflow import grading


def validate_appointment_window(start, end, errors: dict) -> None:
    if start is None and end is None:
        return
    if start is None or end is None:
        errors["appointment_start"] = _("Give both the start and the end of the appointment window.")
        return
    if end <= start:
        errors["appointment_end"] = _("The appointment window ends before it starts.")
    elif end < timezone.now():
        errors["appointment_end"] = _("The appointment window is in the past.")


def _id(data: dict, key: str) -> int | None:
    """The integer id under ``key``, or a field error naming it (never a 500 on ``"abc"``)."""
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={key: _("Enter a valid id.")}) from None


def _when(data: dict, key: str) -> datetime | None:
    """An aware datetime under ``key`` (a datetime or an ISO string), or a field error naming it."""
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValidationFailed(fields={key: _("Enter a valid date and time.")})
        value = parsed
    if not isinstance(value, datetime):
        raise ValidationFailed(fields={key: _("Enter a valid date and time.")})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _line_count(order: WorkOrder) -> int:
    return order.lines.count()


def _replan(order: WorkOrder, data: dict, *, required: bool) -> dict:
    """Take a new appointment window from ``data`` (validated like on create) and re-plan the SLA.

    Returns what the status change records; ``{}`` when no window was given and none is required."""
    start, end = _when(data, "appointment_start"), _when(data, "appointment_end")
    if not required and start is None and end is None:
        return {}
    errors: dict[str, str] = {}
    if required:
        for key, value in (("appointment_start", start), ("appointment_end", end)):
            if value is None:
                errors[key] = _("This field is required.")
    if not errors:
        validate_appointment_window(start, end, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    order.appointment_start, order.appointment_end = start, end
    sla.plan_deadlines(order, now=timezone.now(), lines=_line_count(order))
    return {"appointment_start": start.isoformat(), "appointment_end": end.isoformat()}


def _outlet(data: dict, actor):
    # A person routes only to outlets in their own scope (a region's agent to the region's outlets),
    # and only to an outlet that works (active or on probation).
    units = OrgUnit.objects.all() if actor is None else OrgUnit.objects.visible_to(actor)
    outlet = units.filter(pk=_id(data, "outlet"), kind=OrgKind.OUTLET, status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION)).first()
    if outlet is None:
        raise ValidationFailed(fields={"outlet": _("Choose a service outlet.")})
    return outlet


def apply_route(order: WorkOrder, data: dict, actor) -> dict:
    outlet = _outlet(data, actor)
    order.outlet = outlet
    order.technician = None
    if order.region_id is None:
        order.region = outlet.parent
    order.routing_note = ""
    return {"outlet": outlet.pk, "outlet_name": outlet.name}


def apply_reroute(order: WorkOrder, data: dict, actor) -> dict:
    outlet = _outlet(data, actor)
    if outlet.pk == order.outlet_id:
        raise ValidationFailed(fields={"outlet": _("The order is already with this outlet; choose another one.")})
    previous = order.outlet_id
    order.outlet = outlet
    order.technician = None  # the new outlet accepts and assigns again
    order.accepted_at = None
    order.routing_note = ""
    return {"outlet": outlet.pk, "outlet_name": outlet.name, "from_outlet": previous}


def apply_submit_for_approval(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.PENDING
    return {}


def apply_approve(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.APPROVED
    # The promise to the customer starts now: deadlines are planned afresh, and dispatch routes the
    # order (it listens to ``order.approve``) like a new one.
    sla.plan_deadlines(order, now=timezone.now(), lines=_line_count(order))
    return {"approval": order.approval}


def apply_refuse(order: WorkOrder, data: dict, actor) -> dict:
    order.approval = ApprovalDecision.REFUSED
    return {"approval": order.approval}


def apply_accept(order: WorkOrder, data: dict, actor) -> dict:
    order.accepted_at = timezone.now()
    return {}


def apply_assign(order: WorkOrder, data: dict, actor) -> dict:
    technician = Technician.objects.filter(pk=_id(data, "technician")).prefetch_related("skills").first()
    if technician is None:
        raise ValidationFailed(fields={"technician": _("Choose a technician.")})
    problems = grading.technician_assignment_problems(order=order, technician=technician)
    if problems:
        raise ValidationFailed(" ".join(problems), code="technician_not_eligible", fields={"technician": problems})
    order.technician = technician
    return {"technician": technician.pk, "technician_name": technician.name}


def apply_confirm(order: WorkOrder, data: dict, actor) -> dict:
    # Confirming may move the window agreed with the customer; the SLA clocks follow it.
    return _replan(order, data, required=False)


def apply_check_in(order: WorkOrder, data: dict, actor) -> dict:
    order.checked_in_at = timezone.now()
    # The on-site clock (install 2 h, repair 1 h per line…) starts at every check-in.
    sla.plan_onsite(order)
    order.visit_count += 1
    return {"visit": order.visit_count}


def apply_complete(order: WorkOrder, data: dict, actor) -> dict:
    recorded = report.apply_completion(order, data, actor)
    now = timezone.now()
    if order.completed_at is None:
        order.completed_at = now
    # First-time fix (一次就好): the work was done in the first visit.
    order.first_time_fix = order.visit_count == 1
    # The callback clock starts when the work was reported done (the report's own time).
    sla.plan_callback(order, now=order.completed_at)
    return {**recorded, "first_time_fix": order.first_time_fix}


def apply_resolve_by_phone(order: WorkOrder, data: dict, actor) -> dict:
    # Settled by guidance on the phone: nobody goes, the callback confirms it (DONE_STATUSES).
    sla.plan_callback(order, now=timezone.now())
    return {}


def apply_pending_parts(order: WorkOrder, data: dict, actor) -> dict:
    return {"part": (data.get("reason") or "").strip()[:300]}


def apply_revisit_planned(order: WorkOrder, data: dict, actor) -> dict:
    recorded = _replan(order, data, required=True)
    # A new visit: its clock runs again until the technician checks in for it.
    order.checked_in_at = None
    order.onsite_deadline = None
    return recorded


def apply_refuse_install(order: WorkOrder, data: dict, actor) -> dict:
    hazard = data.get("hazard_type") or ""
    if hazard not in HazardType.values or hazard == HazardType.NONE:
        raise ValidationFailed(fields={"hazard_type": _("Choose the hazard found on site.")})
    order.hazard_type = hazard
    order.hazard_note = ((data.get("hazard_note") or "").strip() or (data.get("reason") or "").strip())[:300]
    return {"hazard_type": hazard}


def apply_callback(order: WorkOrder, data: dict, actor) -> dict:
    if data.get("satisfaction") not in Satisfaction.values:
        raise ValidationFailed(fields={"satisfaction": _("Choose the customer's satisfaction.")})
    order.satisfaction = data["satisfaction"]
    return {"satisfaction": order.satisfaction}


def apply_close(order: WorkOrder, data: dict, actor) -> dict:
    order.closed_at = timezone.now()
    return {}
