"""The SLA engine: policy resolution, deadlines per tier and type, clock states, and the policy pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from anxin.customers.choices import CustomerGroup
from anxin.orders.choices import OrderStatus, OrderType
from anxin.orders.models import SlaPolicy, WorkOrder
from anxin.orders.sla import clocks as selectors
from anxin.orders.sla import policy as sla
from anxin.orders.sla.clocks import AT_RISK, BREACHED, ON_TRACK
from anxin.orders.workflow.services import LineInput, OrderInput, order_create, order_transition
from anxin.orders.worklist.selectors import order_list


def customer_in_tier(world, tier: int, **kw):
    customer = world.customer(**kw)
    customer.addresses.update(market_tier=tier)
    return customer


def create(world, *, customer=None, order_type=OrderType.REPAIR, lines=1, actor=None):
    customer = customer or world.customer()
    data = OrderInput(
        customer_id=customer.pk,
        order_type=order_type,
        lines=[LineInput(product_model_id=world.model.pk, symptom="不制冷") for _ in range(lines)],
    )
    return order_create(actor=actor or world.agent, data=data)


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tier,hours", [(1, 24), (2, 48), (3, 72)])
def test_visit_deadline_per_market_tier(world, tier, hours):
    order = create(world, customer=customer_in_tier(world, tier))
    assert order.sla_policy is not None and order.sla_policy.market_tier == tier
    # accept (2 h) and visit are computed from the same moment, so their difference is exact.
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=hours - 2)
    assert timedelta(hours=hours) - timedelta(seconds=5) <= order.visit_deadline - order.created_at <= timedelta(hours=hours)
    # At risk when a quarter of the span is left.
    assert order.visit_deadline - order.visit_risk_at == timedelta(hours=hours) / 4


def test_onsite_standard_install_two_hours_plus_one_per_further_appliance(world):
    customer = customer_in_tier(world, 1)
    assert create(world, customer=customer, order_type=OrderType.INSTALL, lines=3).onsite_minutes == 240
    assert create(world, customer=customer, order_type=OrderType.INSTALL, lines=1).onsite_minutes == 120
    assert create(world, customer=customer, order_type=OrderType.REPAIR, lines=1).onsite_minutes == 60
    assert create(world, customer=customer, order_type=OrderType.REPAIR, lines=3).onsite_minutes == 180


def test_most_specific_policy_wins_and_ties_go_to_the_lowest_id(world):
    customer = customer_in_tier(world, 1, group=CustomerGroup.VIP)
    order = WorkOrder(order_type=OrderType.REPAIR, customer=customer, address=customer.addresses.first(), region=world.region)
    tier_row = sla.policy_for(order)
    assert tier_row.market_tier == 1 and not tier_row.order_type  # the default "tier 1 repair etc." row
    vip = SlaPolicy.objects.create(name="VIP", customer_group=CustomerGroup.VIP, market_tier=1, visit_hours=12)
    assert sla.policy_for(order) == vip  # 2 criteria beat 1
    vip_repair = SlaPolicy.objects.create(
        name="VIP repair", customer_group=CustomerGroup.VIP, market_tier=1, order_type=OrderType.REPAIR, visit_hours=8
    )
    assert sla.policy_for(order) == vip_repair
    # Same specificity: the older row (lower id) wins.
    SlaPolicy.objects.create(name="VIP level A", customer_group=CustomerGroup.VIP, market_tier=1, service_level="A", visit_hours=4)
    assert sla.policy_for(order) == vip_repair
    # Edits are seen at once (no stale cache): deactivating falls back to the next best.
    vip_repair.active = False
    vip_repair.save()
    assert sla.policy_for(order).name == "VIP level A"
    sla.plan_deadlines(order, now=timezone.now(), lines=1)
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=2)  # 4 h visit − 2 h accept


def test_customer_group_and_service_level_criteria(world):
    SlaPolicy.objects.create(name="tier 1 level B", market_tier=1, service_level="B", visit_hours=36)
    SlaPolicy.objects.create(name="tier 1 rural", market_tier=1, customer_group=CustomerGroup.RURAL, visit_hours=30)
    urban = customer_in_tier(world, 1)
    rural = customer_in_tier(world, 1, name="李娜", phone="13912345678", group=CustomerGroup.RURAL)

    def policy(customer, region):
        return sla.policy_for(WorkOrder(order_type=OrderType.REPAIR, customer=customer, address=customer.addresses.first(), region=region))

    assert policy(urban, world.region).visit_hours == 24  # region A: the level-B row does not apply
    assert policy(urban, world.other_region).name == "tier 1 level B"
    assert policy(rural, world.region).name == "tier 1 rural"
    order = create(world, customer=rural)
    assert order.sla_policy.name == "tier 1 rural"
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=28)


def test_no_matching_policy_falls_back_to_the_tier_defaults_and_the_setting(world, settings):
    SlaPolicy.objects.update(active=False)
    order = create(world, customer=customer_in_tier(world, 3))
    assert order.sla_policy is None
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=72 - 2)
    settings.ANXIN_VISIT_DEADLINE_HOURS = {2: 36}
    assert sla.visit_hours(2) == 36 and sla.visit_hours(1) == 24
    order = create(world, customer=customer_in_tier(world, 2, name="王芳", phone="13712345678"))
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=34)
    install = create(world, customer=customer_in_tier(world, 1, name="赵敏", phone="13612345678"), order_type=OrderType.INSTALL, lines=3)
    assert install.onsite_minutes == 240


def test_replan_restarts_the_visit_clock_and_keeps_the_accept_deadline(world):
    order = create(world, customer=customer_in_tier(world, 2))
    accept = order.accept_deadline
    later = timezone.now() + timedelta(hours=30)
    sla.plan_deadlines(order, now=later)
    assert order.accept_deadline == accept
    assert order.visit_deadline == later + timedelta(hours=48)
    assert order.visit_risk_at == later + timedelta(hours=36)
    assert order.onsite_minutes == 60  # one line, counted from the saved order


def test_appointment_window_does_not_move_the_visit_deadline(world):
    start = timezone.now() + timedelta(days=5)
    customer = customer_in_tier(world, 1)
    order = order_create(
        actor=world.agent,
        data=OrderInput(
            customer_id=customer.pk,
            lines=[LineInput(product_model_id=world.model.pk)],
            appointment_start=start,
            appointment_end=start + timedelta(hours=2),
        ),
    )
    assert order.visit_deadline - order.accept_deadline == timedelta(hours=22)


# --- clock states ------------------------------------------------------------------------------


def states(world, order, now):
    row = order_list(user=world.hq_manager, now=now).get(pk=order.pk)
    filtered = {s for s in selectors.SLA_STATES if order_list(user=world.hq_manager, sla=s, now=now).filter(pk=order.pk).exists()}
    return selectors.sla_state(order, now), row.sla_state, filtered


def test_visit_clock_at_risk_exactly_at_the_25_percent_boundary_then_breached(world):
    order = create(world, customer=customer_in_tier(world, 1))
    risk = order.visit_risk_at
    second = timedelta(seconds=1)
    assert states(world, order, risk - second) == (ON_TRACK, ON_TRACK, {ON_TRACK})
    assert states(world, order, risk) == (AT_RISK, AT_RISK, {AT_RISK})
    assert states(world, order, risk + second) == (AT_RISK, AT_RISK, {AT_RISK})
    assert states(world, order, order.visit_deadline) == (AT_RISK, AT_RISK, {AT_RISK})
    assert states(world, order, order.visit_deadline + second) == (BREACHED, BREACHED, {BREACHED})


def test_span_rule_applies_to_orders_without_a_stored_risk_moment(world):
    order = create(world, customer=customer_in_tier(world, 1))
    created = order.created_at
    WorkOrder.objects.filter(pk=order.pk).update(visit_risk_at=None, visit_deadline=created + timedelta(hours=24))
    order.refresh_from_db()
    boundary = created + timedelta(hours=18)
    assert states(world, order, boundary - timedelta(seconds=1))[0] == ON_TRACK
    assert states(world, order, boundary) == (AT_RISK, AT_RISK, {AT_RISK})
    assert states(world, order, created + timedelta(hours=25)) == (BREACHED, BREACHED, {BREACHED})


def test_visit_clock_stops_at_check_in_and_on_site_clock_runs(world):
    start = timezone.now() - timedelta(minutes=30)
    order = create(world, customer=customer_in_tier(world, 1))
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.ON_SITE, checked_in_at=now, appointment_start=start, appointment_end=start + timedelta(hours=2)
    )
    order.refresh_from_db()
    assert selectors.sla_state(order, now) == ""
    clocks = {c.key: c for c in selectors.order_clocks(order, now)}
    assert clocks["visit"].running is False and clocks["visit"].met is True
    assert clocks["onsite"].running and clocks["onsite"].deadline == now + timedelta(minutes=60)
    assert clocks["onsite"].state == ON_TRACK
    assert selectors.order_clocks(order, now + timedelta(minutes=61))[-1].state == BREACHED
    assert selectors.arrived_on_time(order) is True
    order.checked_in_at = start + timedelta(hours=3)
    assert selectors.arrived_on_time(order) is False
    order.appointment_start = order.appointment_end = None
    assert selectors.arrived_on_time(order) is None


def test_accept_clock_runs_while_routed_and_not_accepted(world):
    order = create(world, customer=customer_in_tier(world, 1))
    assert order.status == OrderStatus.ROUTED
    clock = next(c for c in selectors.order_clocks(order) if c.key == "accept")
    assert clock.running and clock.state == ON_TRACK
    assert clock.deadline == order.accept_deadline
    assert selectors.accept_state(order, order.accept_deadline - timedelta(minutes=29)) == AT_RISK  # < 25 % of 2 h
    assert selectors.accept_state(order, order.accept_deadline + timedelta(minutes=1)) == BREACHED
    order = order_transition(order_id=order.pk, action="accept", actor=world.dispatcher)
    assert selectors.accept_state(order, order.accept_deadline + timedelta(minutes=1)) == ""
    assert next(c for c in selectors.order_clocks(order) if c.key == "accept").running is False


def test_callback_clock_72_hours_after_the_work_is_done(world):
    order = create(world, customer=customer_in_tier(world, 1))
    done = timezone.now()
    sla.plan_callback(order, now=done)
    assert order.callback_deadline == done + timedelta(hours=72)
    WorkOrder.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED, completed_at=done, callback_deadline=order.callback_deadline)
    order.refresh_from_db()
    assert selectors.callback_state(order, done + timedelta(hours=1)) == ON_TRACK
    assert selectors.callback_state(order, done + timedelta(hours=54)) == AT_RISK
    assert selectors.callback_state(order, done + timedelta(hours=73)) == BREACHED
    for state, at in ((ON_TRACK, 1), (AT_RISK, 54), (BREACHED, 73)):
        qs = order_list(user=world.hq_manager, callback_sla=state, now=done + timedelta(hours=at))
        assert list(qs.values_list("pk", flat=True)) == [order.pk]
    # A policy's own callback hours apply.
    order.sla_policy.callback_hours = Decimal(24)
    order.sla_policy.save()
    sla.plan_callback(order, now=done)
    assert order.callback_deadline == done + timedelta(hours=24)


def test_order_sla_context_and_partial_render(world):
    from django.template.loader import render_to_string

    order = create(world, customer=customer_in_tier(world, 1))
    html = render_to_string("orders/partials/sla_clocks.html", selectors.order_sla_context(order))
    assert 'data-clock="accept"' in html and 'data-clock="visit"' in html
    assert "data-deadline=" in html and "data-risk-at=" in html


# --- the policy table pages -------------------------------------------------------------------


def policy_post(**over):
    data = {
        "name": "VIP 一级",
        "order_type": "",
        "market_tier": "1",
        "customer_group": "vip",
        "service_level": "",
        "accept_hours": "1",
        "visit_hours": "12",
        "onsite_minutes": "60",
        "onsite_minutes_per_extra_line": "30",
        "callback_hours": "48",
        "active": "on",
    }
    data.update(over)
    return data


@pytest.mark.parametrize("persona", ["agent", "region_director", "dispatcher", "technician", "quality"])
def test_policy_pages_are_hq_manager_only(client, world, persona):
    client.force_login(world.users[persona])
    policy = SlaPolicy.objects.first()
    assert client.get(reverse("sla_policy_list")).status_code == 403
    assert client.get(reverse("sla_policy_edit", args=[policy.pk])).status_code == 403
    assert client.post(reverse("sla_policy_create"), policy_post()).status_code == 403
    assert not SlaPolicy.objects.filter(name="VIP 一级").exists()


def test_anonymous_is_sent_to_login(client, world):
    assert client.get(reverse("sla_policy_list")).status_code == 302


def test_hq_manager_lists_creates_edits_and_deactivates_policies(client, world):
    client.force_login(world.hq_manager)
    page = client.get(reverse("sla_policy_list"))
    assert page.status_code == 200
    assert page.content.decode().count("data-policy=") == SlaPolicy.objects.count() == 7
    assert client.get(reverse("sla_policy_create")).status_code == 200
    response = client.post(reverse("sla_policy_create"), policy_post())
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="VIP 一级")
    assert (policy.market_tier, policy.customer_group, policy.visit_hours, policy.onsite_minutes_per_extra_line) == (1, "vip", 12, 30)
    assert policy.history.first().history_user == world.hq_manager
    response = client.post(reverse("sla_policy_edit", args=[policy.pk]), policy_post(visit_hours="10", active=""))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.visit_hours == 10 and policy.active is False
    assert policy.history.count() == 2
    customer = customer_in_tier(world, 1, group=CustomerGroup.VIP)
    order = WorkOrder(order_type=OrderType.REPAIR, customer=customer, address=customer.addresses.first(), region=world.region)
    assert sla.policy_for(order) != policy  # inactive rows never apply


@pytest.mark.parametrize(
    "field,value",
    [("visit_hours", "0"), ("accept_hours", "-1"), ("callback_hours", "abc"), ("onsite_minutes", "0"), ("name", ""), ("market_tier", "7")],
)
def test_bad_policy_input_is_400_naming_the_field_and_saves_nothing(client, world, field, value):
    client.force_login(world.hq_manager)
    before = SlaPolicy.objects.count()
    response = client.post(reverse("sla_policy_create"), policy_post(**{field: value}))
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert SlaPolicy.objects.count() == before


def test_accept_longer_than_visit_is_refused(world):
    from anxin.core.errors import PermissionDenied, ValidationFailed

    data = policy_post(accept_hours="30", visit_hours="24")
    with pytest.raises(ValidationFailed) as exc:
        sla.sla_policy_save(actor=world.hq_manager, data=data)
    assert "accept_hours" in exc.value.fields
    with pytest.raises(PermissionDenied):
        sla.sla_policy_save(actor=world.region_director, data=policy_post())


def test_urgency_sort_inside_one_sla_state_is_by_deadline(world):
    orders = [create(world, customer=customer_in_tier(world, tier, name=f"客户{tier}", phone=f"1381234567{tier}")) for tier in (3, 1, 2)]
    now = max(o.visit_deadline for o in orders) + timedelta(hours=1)  # all breached
    expected = [o.pk for o in sorted(orders, key=lambda o: o.visit_deadline)]
    assert [o.pk for o in order_list(user=world.hq_manager, sla=BREACHED, sort="urgency", now=now)] == expected
    assert [o.pk for o in order_list(user=world.hq_manager, sla=BREACHED, sort="-urgency", now=now)] == expected[::-1]
