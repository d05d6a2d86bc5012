"""Work lists: the queues of each role, their tabs with counts, SLA filters and bounded counts."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import order_transition
from anxin.orders.worklist import queues


def numbers_on(response) -> set[str]:
    return set(re.findall(r'data-order-number="([^"]+)"', response.content.decode()))


def keys(user, key, **filters) -> set[int]:
    queue, qs = queues.queue_orders(user, key, **filters)
    assert queue.key == key
    return set(qs.values_list("pk", flat=True))


def set_status(order, status, **fields):
    WorkOrder.objects.filter(pk=order.pk).update(status=status, **fields)
    order.refresh_from_db()
    return order


def test_outlet_manager_queues(world):
    routed = world.order()
    accepted = order_transition(order_id=world.order().pk, action="accept", actor=world.dispatcher)
    parts = set_status(world.order(), "pending_parts")
    revisit = set_status(world.order(), "revisit")
    refused = set_status(world.order(), "install_refused")
    boss = world.dispatcher
    assert [q.key for q in queues.queues_for(boss)][:4] == ["to_accept", "to_assign", "pending_parts", "revisit"]
    assert keys(boss, "to_accept") == {routed.pk}
    assert keys(boss, "to_assign") == {accepted.pk}
    assert keys(boss, "pending_parts") == {parts.pk}
    assert keys(boss, "revisit") == {revisit.pk, refused.pk}
    # The outsider outlet's manager sees none of them.
    assert keys(world.outsider_dispatcher, "to_accept") == set()


def test_sla_queues_follow_the_visit_deadline(world):
    now = timezone.now()
    on_track, at_risk, breached = world.order(), world.order(), world.order()
    WorkOrder.objects.filter(pk=on_track.pk).update(
        created_at=now - timedelta(hours=1), visit_deadline=now + timedelta(hours=23), visit_risk_at=now + timedelta(hours=17)
    )
    WorkOrder.objects.filter(pk=at_risk.pk).update(
        created_at=now - timedelta(hours=20), visit_deadline=now + timedelta(hours=4), visit_risk_at=now - timedelta(hours=2)
    )
    WorkOrder.objects.filter(pk=breached.pk).update(
        created_at=now - timedelta(hours=30), visit_deadline=now - timedelta(hours=6), visit_risk_at=now - timedelta(hours=12)
    )
    # Checked in on site: the visit clock stopped, in no SLA queue even though the deadline passed.
    on_site = world.order()
    WorkOrder.objects.filter(pk=on_site.pk).update(visit_deadline=now - timedelta(hours=1), checked_in_at=now, status="on_site")
    for user in (world.dispatcher, world.region_director, world.hq_manager):
        assert keys(user, "at_risk", now=now) == {at_risk.pk}
        assert keys(user, "breached", now=now) == {breached.pk}
    assert keys(world.outsider_director, "breached", now=now) == set()
    # The filters bar's SLA filter on the "all" queue gives the same sets.
    assert keys(world.hq_manager, "all", sla="on_track", now=now) == {on_track.pk}
    assert keys(world.hq_manager, "all", sla="breached", now=now) == {breached.pk}
    # A row planned before the stored risk moment existed is judged by the span rule.
    legacy = world.order()
    WorkOrder.objects.filter(pk=legacy.pk).update(
        created_at=now - timedelta(hours=40), visit_deadline=now + timedelta(hours=8), visit_risk_at=None
    )
    assert keys(world.hq_manager, "at_risk", now=now) == {at_risk.pk, legacy.pk}
    assert legacy.pk not in keys(world.hq_manager, "all", sla="on_track", now=now)


def test_agent_callback_and_hq_queues(world):
    created = set_status(world.order(), "created", outlet=None)
    rejected = order_transition(order_id=world.order().pk, action="reject", actor=world.dispatcher, data={"reason": "不在服务范围"})
    approval = set_status(world.order(), "pending_approval")
    done = set_status(world.order(), "completed")
    phone = set_status(world.order(), "resolved_by_phone")
    repeat = world.order()
    WorkOrder.objects.filter(pk=repeat.pk).update(is_repeat=True)
    assert keys(world.agent, "not_routed") == {created.pk}
    assert keys(world.agent, "rejected") == {rejected.pk}
    assert keys(world.agent, "awaiting_approval") == {approval.pk}
    assert keys(world.region_director, "awaiting_approval") == {approval.pk}
    assert keys(world.callback_agent, "awaiting_callback") == {done.pk, phone.pk}
    assert keys(world.hq_manager, "repeats") == {repeat.pk}


def test_technician_my_jobs(world):
    mine = order_transition(order_id=world.order().pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    theirs = order_transition(
        order_id=world.order().pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk}
    )
    assert keys(world.users["technician"], "my_jobs") == {mine.pk}
    assert keys(world.senior, "my_jobs") == {theirs.pk}


def test_unknown_queue_is_the_whole_list(world):
    a, b = world.order(), world.order()
    queue, qs = queues.queue_orders(world.dispatcher, "nonsense")
    assert queue.key == "all" and set(qs.values_list("pk", flat=True)) == {a.pk, b.pk}
    # A queue of another role is not offered either.
    queue, _qs = queues.queue_orders(world.dispatcher, "repeats")
    assert queue.key == "all"


def test_page_shows_tabs_with_counts_and_the_queue(client, world):
    routed = world.order()
    accepted = order_transition(order_id=world.order().pk, action="accept", actor=world.dispatcher)
    client.force_login(world.dispatcher)
    response = client.get(reverse("order_list"), {"queue": "to_accept"})
    assert response.status_code == 200
    html = response.content.decode()
    assert numbers_on(response) == {routed.number}
    assert re.search(r'data-queue="to_accept"[^>]*aria-current="page"', html)
    assert "data-queue-count" not in html  # the counts follow in a second request, the rows do not wait
    assert f'hx-get="{reverse("order_tab_counts")}?queue=to_accept"' in html
    tabs = client.get(reverse("order_tab_counts"), {"queue": "to_accept"}).content.decode()
    assert re.search(r'data-queue="to_accept"[^>]*aria-current="page"', tabs)
    counts = dict(re.findall(r'data-queue="(\w+)"[^>]*>[^<]*<span class="badge[^"]*" data-queue-count>(\d+)', tabs))
    assert counts["to_accept"] == "1" and counts["to_assign"] == "1"
    assert numbers_on(client.get(reverse("order_list"), {"queue": "to_assign"})) == {accepted.number}
    # The bulk bar offers the outlet manager's action, with a checkbox per row.
    assert 'value="accept"' in html and f'name="ids" value="{routed.pk}"' in html
    assert 'value="reroute"' not in html


def test_bounded_count_says_more(world, settings):
    for _ in range(4):
        world.order()
    qs = WorkOrder.objects.all()
    assert queues.bounded_count(qs, limit=3) == (3, True)
    assert queues.bounded_count(qs, limit=4) == (4, False)
    assert queues.bounded_count(qs, limit=10) == (4, False)


def test_list_says_more_than_the_limit(client, world, monkeypatch):
    for _ in range(3):
        world.order()
    monkeypatch.setattr(queues, "COUNT_LIMIT", 2)
    client.force_login(world.hq_manager)
    html = client.get(reverse("order_list")).content.decode()
    assert 'data-list-count="2+"' in html
    assert len(numbers_on_html(html)) == 3  # the first page still shows every row


def numbers_on_html(html: str) -> set[str]:
    return set(re.findall(r'data-order-number="([^"]+)"', html))
