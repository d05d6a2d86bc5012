"""Screen pop lists the open orders; an unknown caller registered from the pop is linked; a call
left ringing becomes missed; a phone-guidance confirmation records its outcome (decision 0026)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from anxin.core.errors import ValidationFailed
from anxin.core.periodic import get_job, load_jobs
from anxin.orders.models import WorkOrder
from anxin.telephony.choices import CallState, CallType, Disposition
from anxin.telephony.models import Call, FollowUpTask
from anxin.telephony.services import call_event_record, call_log, calls_mark_missed, follow_up_done

NANJING = "江苏省南京市玄武区中山路18号"


def ring(world, call_id="C-1", caller="13812345678", at=None):
    return call_event_record(actor=world.agent, call_id=call_id, event="ringing", caller=caller, extension="8012", at=at)


def test_pop_lists_the_open_orders_the_agent_may_see(world, client):
    customer = world.customer(phone="13812345678")
    mine = world.order(customer=customer)
    other = world.order(customer=world.customer(name="李四", phone="13900002222", address=NANJING))
    # The same customer's order in another region (the archive is nationwide, the orders are not).
    WorkOrder.objects.filter(pk=other.pk).update(customer=customer)
    ring(world)
    client.force_login(world.agent)
    html = client.get(reverse("screen_pop")).content.decode()
    assert f'data-pop-order="{mine.pk}"' in html and mine.number in html
    assert reverse("order_detail", args=[mine.pk]) in html
    assert mine.get_order_type_display() in html and mine.get_status_display() in html
    assert other.number not in html  # not in the agent's scope: neither listed nor counted
    assert 'data-pop-open-orders="1"' in html


def test_unknown_caller_registered_from_the_pop_is_linked_to_the_call(world, client):
    call = ring(world, caller="13700001111")
    assert call.customer is None
    client.force_login(world.agent)
    pop = client.get(reverse("screen_pop")).content.decode()
    assert f"call={call.pk}" in pop
    url = reverse("customer_create") + f"?phone=13700001111&call={call.pk}"
    response = client.post(url, {"name": "王五", "phone": "13700001111", "address": "浙江省杭州市西湖区文三路90号", "group": "urban"})
    assert response.status_code == 302, response.content.decode()[:2000]
    call.refresh_from_db()
    assert call.customer is not None and call.customer.name == "王五"
    assert call.history.first().history_change_reason == "caller registered from the pop"


def test_ringing_call_becomes_missed_after_the_configured_time(world, settings):
    settings.ANXIN_CALL_MISSED_AFTER_MINUTES = 5
    now = timezone.now()
    old = ring(world, call_id="OLD", at=now - timedelta(minutes=6))
    fresh = ring(world, call_id="FRESH", at=now - timedelta(minutes=2))
    answered = ring(world, call_id="ANS", at=now - timedelta(minutes=9))
    call_event_record(actor=world.agent, call_id="ANS", event="answered", at=now - timedelta(minutes=8))
    assert calls_mark_missed(now=now) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    answered.refresh_from_db()
    assert old.state == CallState.MISSED and old.ended_at is not None
    assert fresh.state == CallState.RINGING and answered.state == CallState.ANSWERED
    assert old.history.first().history_change_reason == "missed: rang without answer"  # audited
    # A late "ended" keeps it missed; the pop no longer shows it.
    call_event_record(actor=world.agent, call_id="OLD", event="ended")
    old.refresh_from_db()
    assert old.state == CallState.MISSED


def test_missed_call_job_is_registered(world):
    load_jobs()
    job = get_job("telephony.mark_missed_calls")
    assert job is not None and job.every == timedelta(minutes=1)


def _guidance(world, *, with_appliance=True):
    customer = world.customer(phone="13812345678")
    if with_appliance:
        from anxin.customers.services import appliance_add

        appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="SN-G")
    call = ring(world)
    call_log(actor=world.agent, call_id=call.pk, call_type=CallType.PHONE_GUIDANCE, disposition=Disposition.RESOLVED, advice="重启空调")
    return customer, FollowUpTask.objects.get()


def test_guidance_confirmation_needs_an_outcome(world):
    _customer, task = _guidance(world)
    with pytest.raises(ValidationFailed) as caught:
        follow_up_done(actor=world.agent, task_id=task.pk)
    assert "outcome" in caught.value.fields
    follow_up_done(actor=world.agent, task_id=task.pk, outcome="solved")
    task.refresh_from_db()
    assert task.done_at is not None and task.outcome == "solved" and task.order is None


def test_unsolved_guidance_registers_a_linked_service_order(world, client):
    customer, task = _guidance(world)
    client.force_login(world.agent)
    home = client.get(reverse("home")).content.decode()
    assert f'data-follow-up-not-solved="{task.pk}"' in home and f'data-follow-up-solved="{task.pk}"' in home
    client.post(reverse("follow_up_done", args=[task.pk]), {"outcome": "not_solved"})
    task.refresh_from_db()
    assert task.outcome == "not_solved" and task.done_at is not None
    order = task.order
    assert order is not None and order.customer == customer and order.order_type == "repair"
    assert order.lines.get().appliance.serial == "SN-G"
    assert "重启空调" in order.description
    assert Call.objects.get().order == order  # the call is linked too
    assert order.status_changes.exists()  # created through order_create: status change recorded


def test_unsolved_guidance_without_an_appliance_says_so(world):
    _customer, task = _guidance(world, with_appliance=False)
    with pytest.raises(ValidationFailed) as caught:
        follow_up_done(actor=world.agent, task_id=task.pk, outcome="not_solved")
    assert "appliance" in caught.value.fields
    task.refresh_from_db()
    assert task.done_at is None and not WorkOrder.objects.exists()
