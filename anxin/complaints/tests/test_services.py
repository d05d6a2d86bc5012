"""Complaint services: filing (with / without an order, bad input named), defaults from the order,
deadlines per severity, escalation once per level, resolution rules, the status flow."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from anxin.complaints.choices import ComplaintStatus, EventKind, RootCause, Severity
from anxin.complaints.models import Complaint, ComplaintEvent
from anxin.complaints.services import (
    DEADLINES,
    MAX_LEVEL,
    ComplaintInput,
    complaint_assign,
    complaint_close,
    complaint_create,
    complaint_escalate,
    complaint_reopen,
    complaint_resolve,
    escalate_overdue_complaints,
)
from anxin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from anxin.orders.workflow.services import order_transition

NANJING = "江苏省南京市玄武区中山路1号"


def file(world, actor=None, **kw):
    data = {"description": "师傅迟到两小时", "category": "timeliness", "severity": Severity.MAJOR, **kw}
    return complaint_create(actor=actor or world.agent, data=ComplaintInput(**data))


def assigned_order(world):
    order = world.order()
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order.refresh_from_db()
    return order


def test_a_complaint_on_an_order_takes_its_customer_outlet_technician_and_opens_a_follow_up(world):
    order = assigned_order(world)
    now = timezone.now()
    complaint = file(world, order_id=order.pk)
    assert complaint.number.startswith("TS")
    assert complaint.customer == order.customer
    assert complaint.outlet == world.outlet
    assert complaint.technician == world.technician
    assert complaint.region == world.region
    assert complaint.status == ComplaintStatus.OPEN
    assert complaint.created_by == world.agent
    follow_up = ComplaintEvent.objects.get(complaint=complaint, kind=EventKind.FOLLOW_UP)
    assert follow_up.due_at == complaint.follow_up_due_at
    assert now + timedelta(hours=23) < complaint.follow_up_due_at <= timezone.now() + timedelta(hours=24)
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.FOLLOW_UP]
    assert complaint.history.count() == 1


def test_a_complaint_without_an_order_names_the_customer_and_has_no_follow_up(world):
    customer = world.customer()
    complaint = file(world, customer_id=customer.pk, category="attitude")
    assert complaint.order is None and complaint.outlet is None and complaint.technician is None
    assert complaint.customer == customer
    assert complaint.region == world.region  # the customer's home region
    assert complaint.follow_up_due_at is None
    assert not complaint.events.filter(kind=EventKind.FOLLOW_UP).exists()


def test_bad_input_is_refused_naming_each_field_and_nothing_is_saved(world):
    with pytest.raises(ValidationFailed) as exc:
        complaint_create(actor=world.agent, data=ComplaintInput(description=" ", category="weather", severity="apocalyptic", channel="fax"))
    assert set(exc.value.fields) == {"customer", "description", "category", "severity", "channel"}
    with pytest.raises(ValidationFailed) as exc:
        file(world, order_id=999999)
    assert set(exc.value.fields) == {"order"}
    other = world.customer(name="李雷", phone="13900009999", address=NANJING)
    order = world.order()
    with pytest.raises(ValidationFailed) as exc:
        file(world, order_id=order.pk, customer_id=other.pk)
    assert set(exc.value.fields) == {"customer"}
    with pytest.raises(ValidationFailed) as exc:
        file(world, order_id=order.pk, technician_id=world.outsider_technician.pk)
    assert set(exc.value.fields) == {"technician"}
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


def test_roles_that_may_not_file_are_refused(world):
    order = world.order()
    for persona in ("technician", "dealer", "dispatcher", "settlement"):
        with pytest.raises(PermissionDenied):
            file(world, actor=world.users[persona], order_id=order.pk)


def test_an_out_of_scope_order_cannot_be_complained_about(world):
    order = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    assert order.outlet == world.other_outlet
    with pytest.raises(ValidationFailed) as exc:
        file(world, actor=world.region_director, order_id=order.pk)
    assert set(exc.value.fields) == {"order"}


@pytest.mark.parametrize(
    ("severity", "respond", "resolve"),
    [(Severity.CRITICAL, 4, 24), (Severity.MAJOR, 24, 72), (Severity.MINOR, 48, 7 * 24)],
)
def test_deadlines_per_severity(world, severity, respond, resolve):
    assert DEADLINES[severity].respond == timedelta(hours=respond)
    assert DEADLINES[severity].resolve == timedelta(hours=resolve)
    complaint = file(world, customer_id=world.customer().pk, severity=severity)
    assert abs(complaint.due_at - (complaint.created_at + timedelta(hours=respond))) < timedelta(seconds=5)
    complaint = complaint_assign(actor=world.quality, complaint_id=complaint.pk, assignee_id=world.quality.pk)
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    assert complaint.due_at == complaint.created_at + timedelta(hours=resolve)


def test_the_overdue_check_escalates_once_per_level_with_a_new_deadline_and_notifies(world):
    complaint = file(world, order_id=world.order().pk, severity=Severity.CRITICAL)
    start = complaint.due_at
    sent = []
    with mock.patch("anxin.complaints.services._notify", side_effect=lambda r, **kw: sent.append((list(r), kw["kind"]))):
        assert escalate_overdue_complaints(start - timedelta(minutes=1)) == 0
        assert escalate_overdue_complaints(start + timedelta(minutes=1)) == 1
        complaint.refresh_from_db()
        assert complaint.escalation_level == 1
        assert complaint.due_at == start + timedelta(minutes=1) + timedelta(hours=4)
        # Run again before the new deadline: nothing more.
        assert escalate_overdue_complaints(start + timedelta(minutes=2)) == 0
        assert escalate_overdue_complaints(complaint.due_at + timedelta(minutes=1)) == 1
        complaint.refresh_from_db()
        assert complaint.escalation_level == MAX_LEVEL == 2
        # At the top level it stays there, however late.
        assert escalate_overdue_complaints(complaint.due_at + timedelta(days=30)) == 0
    assert complaint.events.filter(kind=EventKind.ESCALATE).count() == 2
    assert [kind for _, kind in sent] == ["complaint.escalated", "complaint.escalated"]
    assert sent[0][0] == [world.region_director]
    assert set(sent[1][0]) == {world.hq_manager, world.quality}


def test_escalation_notification_lands_in_the_bell(world):
    from anxin.notifications.models import Notification

    complaint = file(world, customer_id=world.customer().pk, severity=Severity.CRITICAL)
    complaint_escalate(actor=world.quality, complaint_id=complaint.pk, reason="客户情绪激动")
    assert Notification.objects.filter(recipient=world.region_director).count() == 1


def test_manual_escalation_stops_at_the_top_level(world):
    complaint = file(world, customer_id=world.customer().pk)
    complaint_escalate(actor=world.quality, complaint_id=complaint.pk)
    complaint_escalate(actor=world.quality, complaint_id=complaint.pk)
    with pytest.raises(InvalidTransition):
        complaint_escalate(actor=world.quality, complaint_id=complaint.pk)
    with pytest.raises(PermissionDenied):
        complaint_escalate(actor=world.agent, complaint_id=complaint.pk)


def test_resolve_requires_a_resolution_and_a_root_cause(world):
    complaint = file(world, customer_id=world.customer().pk)
    with pytest.raises(ValidationFailed) as exc:
        complaint_resolve(actor=world.quality, complaint_id=complaint.pk, resolution="", root_cause="")
    assert set(exc.value.fields) == {"resolution", "root_cause"}
    with pytest.raises(ValidationFailed) as exc:
        complaint_resolve(actor=world.quality, complaint_id=complaint.pk, resolution="已道歉", root_cause=RootCause.OTHER)
    assert set(exc.value.fields) == {"root_cause_note"}
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN and complaint.resolution == ""
    complaint = complaint_resolve(
        actor=world.quality,
        complaint_id=complaint.pk,
        resolution="已道歉并补偿",
        root_cause=RootCause.LATE_VISIT,
        responsible_party="outlet",
    )
    assert complaint.status == ComplaintStatus.RESOLVED
    assert complaint.due_at is None and complaint.resolved_at is not None


def test_close_and_reopen_flow(world):
    complaint = file(world, order_id=world.order().pk)
    with pytest.raises(InvalidTransition):
        complaint_close(actor=world.quality, complaint_id=complaint.pk)
    complaint_resolve(actor=world.dispatcher, complaint_id=complaint.pk, resolution="重新上门", root_cause=RootCause.LATE_VISIT)
    with pytest.raises(ValidationFailed) as exc:
        complaint_reopen(actor=world.callback_agent, complaint_id=complaint.pk, reason="")
    assert set(exc.value.fields) == {"reason"}
    complaint = complaint_close(actor=world.region_director, complaint_id=complaint.pk)
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at
    complaint = complaint_reopen(actor=world.callback_agent, complaint_id=complaint.pk, reason="客户不满意")
    assert complaint.status == ComplaintStatus.REOPENED and complaint.closed_at is None
    assert complaint.due_at > timezone.now() + timedelta(hours=71)
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["created", "follow_up", "resolve", "close", "reopen"]
    assert complaint.events.get(kind="close").from_status == ComplaintStatus.RESOLVED


def test_the_outlet_manager_cannot_touch_another_outlets_complaint(world):
    order = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    complaint = file(world, actor=world.hq_manager, order_id=order.pk)
    from anxin.core.errors import NotFound

    with pytest.raises(NotFound):
        complaint_resolve(actor=world.dispatcher, complaint_id=complaint.pk, resolution="x", root_cause=RootCause.OTHER)


def test_assign_refuses_a_handler_who_cannot_see_the_complaint(world):
    complaint = file(world, order_id=world.order().pk)
    with pytest.raises(ValidationFailed) as exc:
        complaint_assign(actor=world.quality, complaint_id=complaint.pk, assignee_id=world.outsider_dispatcher.pk)
    assert set(exc.value.fields) == {"assignee"}
    with pytest.raises(ValidationFailed):
        complaint_assign(actor=world.quality, complaint_id=complaint.pk, assignee_id=world.users["technician"].pk)
    complaint = complaint_assign(actor=world.quality, complaint_id=complaint.pk, assignee_id=world.dispatcher.pk)
    assert complaint.assigned_to == world.dispatcher


def test_the_overdue_check_is_a_registered_periodic_job(world):
    from anxin.core.periodic import get_job, load_jobs

    load_jobs()
    job = get_job("complaints.escalate_overdue")
    assert job is not None and job.every == timedelta(minutes=5)
    complaint = file(world, customer_id=world.customer().pk, severity=Severity.CRITICAL)
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert job.fn() == 1
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
