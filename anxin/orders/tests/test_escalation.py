"""SLA escalation: at risk → the outlet's manager (level 1), breached → the regional director
(level 2), each once per order, clock and level, as in-app notifications; a level with nobody goes up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.accounts.services import user_create
from anxin.notifications.models import Notification
from anxin.notifications.services import render
from anxin.orders.choices import OrderStatus, SlaClock
from anxin.orders.models import Escalation, WorkOrder
from anxin.orders.sla.escalation import escalate_due, escalate_due_job, recipients_for
from anxin.testing import PASSWORD, build_world, race


def at_risk_now(order) -> timezone.datetime:
    return order.visit_risk_at + timedelta(minutes=1)


def after_deadline(order) -> timezone.datetime:
    return order.visit_deadline + timedelta(minutes=1)


def accepted(world, order):
    """Take the order out of the accept clock (it is routed and would escalate on its own clock)."""
    WorkOrder.objects.filter(pk=order.pk).update(status=OrderStatus.ACCEPTED, accepted_at=timezone.now())
    order.refresh_from_db()
    return order


def test_at_risk_visit_clock_notifies_the_outlet_manager_once(world):
    order = accepted(world, world.order())
    assert order.outlet == world.outlet
    now = at_risk_now(order)
    assert escalate_due(now) == 1
    assert escalate_due(now) == 0  # run twice: nothing new
    assert escalate_due(now + timedelta(minutes=5)) == 0
    escalation = Escalation.objects.get(order=order)
    assert (escalation.clock, escalation.level, escalation.state) == (SlaClock.VISIT, 1, "at_risk")
    notes = Notification.objects.filter(order=order)
    assert [n.recipient for n in notes] == [world.dispatcher]
    assert notes[0].url == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.escalation_level == 1


def test_breached_visit_clock_goes_to_the_regional_director_once(world):
    order = accepted(world, world.order())
    escalate_due(at_risk_now(order))
    now = after_deadline(order)
    assert escalate_due(now) == 1
    assert escalate_due(now) == 0
    levels = list(Escalation.objects.filter(order=order).order_by("level").values_list("level", "state"))
    assert levels == [(1, "at_risk"), (2, "breached")]
    level2 = Notification.objects.filter(order=order, params__level=2)
    assert [n.recipient for n in level2] == [world.region_director]  # not the other region's director
    assert Notification.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert order.escalation_level == 2


def test_a_breach_missed_while_at_risk_sends_both_levels(world):
    # A second outlet manager: one notification per recipient per level.
    second = user_create(username="dispatcher2", password=PASSWORD, role=Role.OUTLET_MANAGER, org_unit=world.outlet)
    order = accepted(world, world.order())
    now = after_deadline(order)
    assert escalate_due(now) == 2
    assert escalate_due(now) == 0
    assert Escalation.objects.filter(order=order).count() == 2
    level1 = sorted(n.recipient.username for n in Notification.objects.filter(order=order, params__level=1))
    assert level1 == sorted([world.dispatcher.username, second.username])
    assert [n.recipient for n in Notification.objects.filter(order=order, params__level=2)] == [world.region_director]


def test_no_outlet_yet_level_one_goes_to_the_region_director(world):
    order = world.order()
    WorkOrder.objects.filter(pk=order.pk).update(outlet=None, status=OrderStatus.CREATED)
    order.refresh_from_db()
    assert [u.username for u in recipients_for(order, 1)] == ["region_director"]
    assert escalate_due(at_risk_now(order)) == 1
    assert [n.recipient for n in Notification.objects.filter(order=order)] == [world.region_director]


def test_a_level_with_nobody_goes_up_to_the_next_one(world):
    order = accepted(world, world.order())
    outlet_managers = User.objects.filter(role=Role.OUTLET_MANAGER, org_unit=world.outlet)
    directors = User.objects.filter(role=Role.REGION_DIRECTOR, org_unit=world.region)
    hq = list(User.objects.filter(role=Role.HQ_MANAGER, org_unit__kind="hq", is_active=True).order_by("pk"))
    assert hq and outlet_managers.exists() and directors.exists()
    outlet_managers.update(is_active=False)
    assert recipients_for(order, 1) == list(directors)
    directors.update(is_active=False)
    assert recipients_for(order, 1) == hq and recipients_for(order, 2) == hq
    assert escalate_due(after_deadline(order)) == 2
    assert {n.recipient for n in Notification.objects.filter(order=order)} == set(hq)


def test_accept_clock_escalates_while_the_outlet_has_not_accepted(world):
    order = world.order()
    assert order.status == OrderStatus.ROUTED
    now = order.accept_deadline + timedelta(minutes=1)
    assert escalate_due(now) == 2  # accept breached (level 1 + 2); the visit clock is still on track
    assert set(Escalation.objects.filter(order=order).values_list("clock", flat=True)) == {SlaClock.ACCEPT}
    assert escalate_due(now) == 0


def test_callback_clock_escalates_when_the_callback_is_late(world):
    order = world.order()
    done = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.COMPLETED, checked_in_at=done, completed_at=done, callback_deadline=done + timedelta(hours=72)
    )
    assert escalate_due(done + timedelta(hours=60)) == 1
    assert escalate_due(done + timedelta(hours=73)) == 1
    assert list(Escalation.objects.filter(order=order).values_list("clock", "level")) == [("callback", 1), ("callback", 2)]


def test_closed_on_track_and_checked_in_orders_are_left_alone(world):
    on_track = accepted(world, world.order())
    checked_in = accepted(world, world.order())
    WorkOrder.objects.filter(pk=checked_in.pk).update(status=OrderStatus.ON_SITE, checked_in_at=timezone.now())
    closed = world.order()
    WorkOrder.objects.filter(pk=closed.pk).update(status=OrderStatus.CLOSED)
    assert escalate_due(on_track.visit_risk_at - timedelta(minutes=1)) == 0
    assert escalate_due(after_deadline(on_track)) == 2  # only the on-track one, once it is breached
    assert not Escalation.objects.filter(order__in=[checked_in, closed]).exists()


def test_notification_text_is_rendered_in_the_readers_language(world):
    order = accepted(world, world.order())
    escalate_due(at_risk_now(order))
    note = Notification.objects.get(order=order)
    assert note.title == "%(number)s: %(clock)s deadline at risk"  # stored untranslated
    with override("en"):
        title, body = render(note)
    assert title == f"{order.number}: visit deadline at risk"
    assert "escalation level 1" in body and "张伟" in body


def test_the_periodic_job_wraps_escalate_due(world):
    order = accepted(world, world.order())
    WorkOrder.objects.filter(pk=order.pk).update(visit_risk_at=timezone.now() - timedelta(minutes=1))
    assert escalate_due_job() == 1
    assert escalate_due_job() == 0


@pytest.fixture
def race_world(transactional_db):
    return build_world()


def test_two_runners_at_once_send_each_escalation_once(race_world):
    world = race_world
    orders = [accepted(world, world.order()) for _ in range(3)]
    now = max(after_deadline(o) for o in orders)
    results = race([lambda: escalate_due(now), lambda: escalate_due(now)])
    assert sum(results) == 6  # 3 orders × 2 levels, split between the runners
    assert Escalation.objects.count() == 6
    assert Notification.objects.count() == 6  # 1 outlet manager + 1 director per order


def on_site(world, order):
    """Assigned, on the way and checked in: the visit clock stops, the on-site clock starts."""
    from anxin.orders.workflow.services import order_transition

    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="depart", actor=world.technician.user)
    order_transition(order_id=order.pk, action="check_in", actor=world.technician.user)
    order.refresh_from_db()
    return order


def test_the_on_site_clock_is_set_at_check_in_and_escalated_at_risk_then_breached(world):
    order = on_site(world, world.order())
    assert order.onsite_minutes == 60  # a one-line repair: 1 h on site
    assert order.onsite_deadline == order.checked_in_at + timedelta(minutes=60)
    assert escalate_due(order.checked_in_at + timedelta(minutes=30)) == 0  # half the time left: on track
    at_risk = order.checked_in_at + timedelta(minutes=46)  # 14 min of 60 left
    assert escalate_due(at_risk) == 1
    assert escalate_due(at_risk) == 0
    assert list(Escalation.objects.filter(order=order).values_list("clock", "level", "state")) == [(SlaClock.ONSITE, 1, "at_risk")]
    assert [n.recipient for n in Notification.objects.filter(order=order)] == [world.dispatcher]
    assert escalate_due(order.onsite_deadline + timedelta(minutes=1)) == 1
    top = Escalation.objects.get(order=order, level=2)
    assert (top.clock, top.state) == (SlaClock.ONSITE, "breached")
    assert world.region_director in [n.recipient for n in Notification.objects.filter(order=order)]
    with override("zh-hans"):
        title, _body = render(Notification.objects.filter(order=order).order_by("pk").last())
    assert order.number in title and "现场服务" in title


def test_the_on_site_clock_stops_when_the_technician_leaves_the_site(world):
    from anxin.orders.workflow.services import order_transition

    order = on_site(world, world.order())
    order_transition(order_id=order.pk, action="pending_parts", actor=world.technician.user, data={"reason": "压缩机缺货"})
    assert escalate_due(order.onsite_deadline + timedelta(hours=2)) == 0
    assert not Escalation.objects.filter(order=order, clock=SlaClock.ONSITE).exists()
