"""The grade an order needs (分级派工): one rule, called by the order page, the technician's jobs,
the assignment check (``technician_assignment_problems``, here since it is a pure rule over the
network's qualification and this grade; dispatch offers it too) and the demo data.

An order needs a technician whose grade covers the hardest known fault of its lines (1 while none is
diagnosed) and, for a VIP customer, at least the grade HQ set in the graded-dispatch policy
(``GradePolicy``; DOMAIN.md "VIP customers get senior technicians", default A). Whether a given
technician qualifies is ``network.selectors.qualification_problems`` (grade, skills, outlet).
See docs/decisions/0033-graded-dispatch-policy.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.audit import audited
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.network.choices import GRADE_LEVEL, Grade
from anxin.network.selectors import qualification_problems
from anxin.orders.models import GradePolicy
from anxin.orders.sla.policy import may_edit_policies

DEFAULT_VIP_MIN_GRADE = Grade.A


def grade_policy() -> GradePolicy:
    """The policy row (the migration seeds it); an unsaved default row when it was deleted."""
    return GradePolicy.objects.order_by("pk").first() or GradePolicy(vip_min_grade=DEFAULT_VIP_MIN_GRADE)


def vip_minimum_level() -> int:
    """The grade level (A = 4) a VIP customer's order needs at least (one small query)."""
    return GRADE_LEVEL[Grade(grade_policy().vip_min_grade)]


def order_required_level(*, lines: Iterable, is_vip: bool, vip_minimum: int | None = None) -> int:
    """The grade level an order with these lines needs. ``vip_minimum`` lets a caller that looks at
    many orders read the policy once (``vip_minimum_level()``); otherwise a VIP order reads it."""
    needed = max((line.fault_code.difficulty for line in lines if line.fault_code_id), default=1)
    if is_vip:
        needed = max(needed, vip_minimum_level() if vip_minimum is None else vip_minimum)
    return needed


def technician_assignment_problems(*, order, technician) -> list[str]:
    """Why ``technician`` may not take ``order`` (empty list: they may): the network's qualification
    rule applied to the grade the order needs (``order.required_level``: its hardest fault, and the
    graded-dispatch policy's minimum for a VIP customer) and its product categories."""
    categories = {line.product_model.category_id for line in order.lines.all()}
    return qualification_problems(technician=technician, level=order.required_level, category_ids=categories, outlet_id=order.outlet_id)


@transaction.atomic
def grade_policy_save(*, actor, vip_min_grade: str) -> GradePolicy:
    """Set the lowest grade that serves a VIP customer (HQ manager only; audited). Orders already
    assigned keep their technician; the rule applies to every later assignment."""
    if not may_edit_policies(actor):
        raise PermissionDenied(_("Only the HQ service manager may change the graded-dispatch policy."))
    if vip_min_grade not in Grade.values:
        raise ValidationFailed(fields={"vip_min_grade": _("Choose a technician grade.")})
    policy = GradePolicy.objects.select_for_update().order_by("pk").first() or GradePolicy()
    policy.vip_min_grade = vip_min_grade
    audited(policy, actor, "changed").save()
    return policy
