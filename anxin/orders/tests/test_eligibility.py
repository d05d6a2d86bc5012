"""Warranty and return / exchange eligibility (``orders.eligibility``), service contracts, and the
rules ``order_create`` enforces with them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from anxin.customers.contracts import contract_add, contract_list
from anxin.customers.models import ServiceContract
from anxin.customers.services import appliance_add
from anxin.orders.choices import ApprovalDecision, OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.eligibility import CONTRACT, POLICY, appliance_eligibility
from anxin.orders.workflow.services import LineInput, OrderInput, order_create


def bought(world, days_ago: int | None, customer=None):
    customer = customer or world.customer()
    purchase = timezone.localdate() - timedelta(days=days_ago) if days_ago is not None else None
    return appliance_add(actor=world.agent, customer=customer, product_model=world.model, purchase_date=purchase)


def return_order(world, appliance, kind: str):
    return order_create(
        actor=world.agent,
        data=OrderInput(
            customer_id=appliance.customer_id,
            order_type="return_exchange",
            return_kind=kind,
            lines=[LineInput(appliance_id=appliance.pk, symptom="开机异响")],
        ),
    )


# --- warranty ---------------------------------------------------------------------------------


def test_in_warranty_by_policy(world):
    appliance = bought(world, 100)  # the category's policy: 24 months
    e = appliance_eligibility(appliance, timezone.localdate())
    assert (e.in_warranty, e.basis, e.contract) == (True, POLICY, None)
    assert e.warranty_end == appliance.warranty_end
    assert e.days_since_purchase == 100


def test_policy_ends_on_its_last_day(world):
    appliance = bought(world, 100)
    assert appliance_eligibility(appliance, appliance.warranty_end).in_warranty
    after = appliance_eligibility(appliance, appliance.warranty_end + timedelta(days=1))
    assert (after.in_warranty, after.basis) == (False, "")


def test_expired_policy_is_out_of_warranty_but_main_parts_may_still_be_covered(world):
    appliance = bought(world, 800)  # 24 months over, main parts (36 months) not yet
    e = appliance_eligibility(appliance, timezone.localdate())
    assert (e.in_warranty, e.basis) == (False, "")
    assert e.main_parts_in_warranty and e.main_parts_warranty_end == appliance.main_parts_warranty_end


def test_unknown_purchase_date_is_out_of_warranty_and_not_returnable(world):
    e = appliance_eligibility(bought(world, None), timezone.localdate())
    assert (e.in_warranty, e.days_since_purchase, e.return_allowed, e.exchange_allowed) == (False, None, False, False)


def test_extended_contract_covering_the_day_makes_it_in_warranty(world):
    appliance = bought(world, 800)
    today = timezone.localdate()
    contract = contract_add(
        actor=world.agent,
        appliance=appliance,
        kind="extended_warranty",
        starts_on=appliance.warranty_end + timedelta(days=1),
        ends_on=appliance.warranty_end + timedelta(days=730),
        number="YB-2026-001",
    )
    e = appliance_eligibility(appliance, today)
    assert (e.in_warranty, e.basis, e.contract) == (True, CONTRACT, contract)
    assert e.warranty_end == contract.ends_on
    # Not before it starts, nor after it ends.
    assert not appliance_eligibility(appliance, contract.ends_on + timedelta(days=1)).in_warranty
    # While the policy still runs, the policy is the basis.
    assert appliance_eligibility(appliance, appliance.warranty_end).basis == POLICY


def test_order_lines_record_basis_and_contract(world):
    customer = world.customer()
    by_policy = bought(world, 100, customer)
    by_contract = bought(world, 800, customer)
    expired = bought(world, 800, customer)
    today = timezone.localdate()
    contract = contract_add(
        actor=world.agent,
        appliance=by_contract,
        kind="maintenance",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=355),
    )
    order = order_create(
        actor=world.agent,
        data=OrderInput(customer_id=customer.pk, lines=[LineInput(appliance_id=a.pk) for a in (by_policy, by_contract, expired)]),
    )
    lines = list(order.lines.order_by("id"))
    assert [(ln.in_warranty, ln.warranty_basis, ln.contract_id) for ln in lines] == [
        (True, POLICY, None),
        (True, CONTRACT, contract.pk),
        (False, "", None),
    ]


# --- return / exchange ----------------------------------------------------------------------------


@pytest.mark.parametrize("days,allowed", [(0, True), (15, True), (16, False)])
def test_return_within_15_days(world, days, allowed):
    e = appliance_eligibility(bought(world, days), timezone.localdate())
    assert e.return_allowed is allowed
    assert e.exchange_allowed is True


@pytest.mark.parametrize("days,allowed", [(16, True), (30, True), (31, False)])
def test_exchange_within_30_days(world, days, allowed):
    e = appliance_eligibility(bought(world, days), timezone.localdate())
    assert e.exchange_allowed is allowed
    assert e.return_allowed is False


def test_thresholds_come_from_settings(world, settings):
    settings.ANXIN_RETURN_DAYS = 7
    settings.ANXIN_EXCHANGE_DAYS = 10
    e = appliance_eligibility(bought(world, 8), timezone.localdate())
    assert (e.return_allowed, e.exchange_allowed, e.return_days, e.exchange_days) == (False, True, 7, 10)


def test_return_on_day_15_is_accepted_and_waits_for_approval(world):
    order = return_order(world, bought(world, 15), "return")
    assert (order.status, order.approval, order.return_kind) == (OrderStatus.PENDING_APPROVAL, ApprovalDecision.PENDING, "return")
    assert order.outlet is None  # nobody is sent before the approval
    assert [c.action for c in order.status_changes.all()] == ["create", "submit_for_approval"]


def test_return_on_day_16_is_refused_naming_the_line_and_the_limit(world):
    appliance = bought(world, 16)
    with pytest.raises(ValidationFailed) as exc:
        return_order(world, appliance, "return")
    message = exc.value.fields["lines.0.appliance"][0]
    assert "15" in message and "16" in message
    assert not WorkOrder.objects.exists()


def test_exchange_on_day_30_ok_and_day_31_refused(world):
    assert return_order(world, bought(world, 30), "exchange").status == OrderStatus.PENDING_APPROVAL
    with pytest.raises(ValidationFailed) as exc:
        return_order(world, bought(world, 31), "exchange")
    assert "30" in exc.value.fields["lines.0.appliance"][0]
    assert WorkOrder.objects.count() == 1


def test_return_needs_a_kind_and_a_registered_appliance(world):
    appliance = bought(world, 3)
    with pytest.raises(ValidationFailed) as exc:
        return_order(world, appliance, "")
    assert set(exc.value.fields) == {"return_kind"}
    with pytest.raises(ValidationFailed) as exc:
        order_create(
            actor=world.agent,
            data=OrderInput(
                customer_id=appliance.customer_id,
                order_type="return_exchange",
                return_kind="return",
                lines=[LineInput(product_model_id=world.model.pk)],
            ),
        )
    assert "lines.0.appliance" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        return_order(world, bought(world, None), "exchange")
    assert "lines.0.appliance" in exc.value.fields
    assert not WorkOrder.objects.exists()


def test_return_kind_is_ignored_on_other_order_types(world):
    appliance = bought(world, 3)
    order = order_create(
        actor=world.agent,
        data=OrderInput(customer_id=appliance.customer_id, return_kind="return", lines=[LineInput(appliance_id=appliance.pk)]),
    )
    assert (order.return_kind, order.approval, order.status) == ("", "", OrderStatus.ROUTED)


# --- contracts ------------------------------------------------------------------------------------


def test_contract_must_end_after_it_starts_and_is_audited(world):
    appliance = bought(world, 100)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as exc:
        contract_add(actor=world.agent, appliance=appliance, kind="extended_warranty", starts_on=today, ends_on=today)
    assert set(exc.value.fields) == {"ends_on"}
    with pytest.raises(ValidationFailed) as exc:
        contract_add(actor=world.agent, appliance=appliance, kind="gold", starts_on=None, ends_on=None)
    assert set(exc.value.fields) == {"kind", "starts_on", "ends_on"}
    assert not ServiceContract.objects.exists()
    contract = contract_add(
        actor=world.agent, appliance=appliance, kind="maintenance", starts_on=today, ends_on=today + timedelta(days=365), note=" 季度保养 "
    )
    assert contract.note == "季度保养"
    record = contract.history.get()
    assert (record.history_user, record.history_change_reason) == (world.agent, "created")
    assert contract_list(actor=world.agent, appliance=appliance) == [contract]


def test_contract_needs_a_role_and_the_customer_in_scope(world):
    appliance = bought(world, 100)
    today = timezone.localdate()
    args = {"appliance": appliance, "kind": "maintenance", "starts_on": today, "ends_on": today + timedelta(days=30)}
    with pytest.raises(PermissionDenied):
        contract_add(actor=world.users["technician"], **args)
    with pytest.raises(NotFound):
        contract_add(actor=world.outsider_dispatcher, **args)
    with pytest.raises(NotFound):
        contract_list(actor=world.outsider_dispatcher, appliance=appliance)
    assert not ServiceContract.objects.exists()
