"""The grade an order needs is one rule (``orders.grading``, decision 0033): the page shows the grade
the assignment check enforces, VIP minimum included, and the VIP minimum is HQ's policy data."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse
from django.utils import translation

from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.customers.choices import CustomerGroup
from anxin.demo.builder import Builder
from anxin.demo.plan import SCALES, make_plan
from anxin.dispatch.services import technician_assignment_problems
from anxin.network.selectors import technicians_for_order
from anxin.orders.models import GradePolicy, WorkOrder
from anxin.orders.workflow.grading import grade_policy, grade_policy_save, order_required_level, vip_minimum_level
from anxin.orders.workflow.services import order_transition


def vip_order(world, fault=None):
    order = world.order(customer=world.customer(group=CustomerGroup.VIP), fault=fault or world.fault_easy)
    assert order.is_vip
    return order


def test_the_policy_row_is_seeded_with_grade_a(db):
    assert GradePolicy.objects.get().vip_min_grade == "A"
    assert vip_minimum_level() == 4


def test_the_order_page_shows_the_grade_the_assignment_check_enforces(client, world):
    order = vip_order(world)  # difficulty 2, but a VIP customer: grade A (level 4)
    assert order.required_level == 4
    client.force_login(world.dispatcher)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-required-level="4"' in html
    assert f'data-ineligible-technician="{world.technician.pk}"' in html  # grade C
    assert "VIP 客户：仅限 A 级及以上。" in html
    plain = world.order(fault=world.fault_easy)
    html = client.get(reverse("order_detail", args=[plain.pk])).content.decode()
    assert 'data-required-level="2"' in html and "VIP" not in html.split("data-required-level")[1][:200]


def test_hq_raises_the_vip_minimum_and_every_check_follows(client, world):
    order = vip_order(world)
    assert technician_assignment_problems(order=order, technician=world.senior_technician) == []  # grade A
    client.force_login(world.hq_manager)
    response = client.post(reverse("grade_policy_edit"), {"vip_min_grade": "A+"})
    assert response.status_code == 302 and response["Location"] == reverse("sla_policy_list")
    assert grade_policy().vip_min_grade == "A+" and GradePolicy.history.filter(history_user=world.hq_manager).exists()
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.required_level == 5
    with translation.override("en"):
        assert technician_assignment_problems(order=order, technician=world.senior_technician) == ["Grade A does not cover difficulty 5."]
    assert technicians_for_order(order=order) == []
    with pytest.raises(ValidationFailed):
        order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    client.force_login(world.dispatcher)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-required-level="5"' in html and "A+ 级及以上" in html
    # A plain order is not touched by the VIP minimum.
    assert world.order(fault=world.fault_easy).required_level == 2


def test_only_hq_changes_the_policy_and_a_bad_grade_is_refused(client, world):
    with pytest.raises(PermissionDenied):
        grade_policy_save(actor=world.region_director, vip_min_grade="B")
    client.force_login(world.dispatcher)
    assert client.post(reverse("grade_policy_edit"), {"vip_min_grade": "B"}).status_code == 403
    client.force_login(world.hq_manager)
    response = client.post(reverse("grade_policy_edit"), {"vip_min_grade": "Z"})
    assert response.status_code == 400 and 'data-field-error="vip_min_grade"' in response.content.decode()
    assert client.get(reverse("sla_policy_list")).content.decode().count("data-grade-policy") == 1
    assert grade_policy().vip_min_grade == "A"


def test_required_level_is_the_hardest_fault_and_the_vip_minimum(world):
    order = world.order(fault=world.fault_hard)
    lines = list(order.lines.all())
    assert order_required_level(lines=lines, is_vip=False) == 4
    assert order_required_level(lines=lines, is_vip=True, vip_minimum=5) == 5
    assert order_required_level(lines=[], is_vip=False) == 1


def test_bulk_demo_orders_follow_the_policy(db):
    GradePolicy.objects.update(vip_min_grade="A+")
    scale = dataclasses.replace(SCALES["tiny"], name="tiny-bulk", bulk_customers=True, bulk_orders_older_than=5)
    Builder(make_plan(scale, 3)).build()
    vip = list(WorkOrder.objects.filter(is_vip=True, technician__isnull=False).select_related("technician"))
    assert vip
    assert all(o.technician.covers(o.required_level) for o in vip)
    assert {o.technician.grade for o in vip} == {"A+"}
