"""Customer services: every change leaves an audit row naming the actor."""

from __future__ import annotations

import pytest
from django.utils import timezone

from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.customers.models import Customer
from anxin.customers.services import appliance_add, customer_create, phone_normalize


def test_create_writes_history_with_the_actor(world):
    customer = world.customer(actor=world.hq_manager)
    record = customer.history.get()
    assert record.history_type == "+"
    assert record.history_user == world.hq_manager
    assert record.history_change_reason == "created"
    for phone in customer.phones.all():
        assert phone.history.get().history_user == world.hq_manager
    for address in customer.addresses.all():
        assert address.history.get().history_user == world.hq_manager


def test_appliance_history_names_the_actor(world):
    customer = world.customer()
    dealer = world.users["dealer"]
    appliance = appliance_add(actor=dealer, customer=customer, product_model=world.model, purchase_date=timezone.localdate())
    assert appliance.history.get().history_user == dealer
    assert appliance.warranty_end is not None


def test_invalid_input_saves_nothing(world):
    with pytest.raises(ValidationFailed) as exc:
        customer_create(actor=world.agent, name="王五", phones=["123"], address="浙江省杭州市西湖区文三路90号")
    assert "phone" in exc.value.fields
    assert not Customer.objects.exists()
    assert not Customer.history.exists()


def test_role_check(world):
    with pytest.raises(PermissionDenied):
        customer_create(actor=world.users["technician"], name="王五", phones=["13812345678"], address="杭州")


def test_the_registering_unit_is_recorded(world):
    assert world.customer(actor=world.users["dealer"]).registered_by == world.dealer
    assert world.customer(actor=world.dispatcher, phone="13812340000").registered_by == world.outlet


def test_an_outlet_sees_its_walk_in_before_the_first_order(world):
    customer = world.customer(actor=world.dispatcher)
    assert Customer.objects.visible_to(world.dispatcher).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(world.outsider_dispatcher).filter(pk=customer.pk).exists()


@pytest.mark.parametrize(
    "raw,number,kind",
    [
        ("13812345678", "13812345678", "mobile"),
        ("+86 138 1234 5678", "13812345678", "mobile"),
        ("0571-88001234", "057188001234", "landline"),
    ],
)
def test_phone_normalize(raw, number, kind):
    result = phone_normalize(raw)
    assert (result.number, result.kind) == (number, kind)
