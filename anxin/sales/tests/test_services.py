"""sale_register: one entry → customer, one appliance per unit, one complete-set install order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.catalog.models import ProductModel
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Appliance, Customer
from anxin.customers.search import customer_search
from anxin.orders.choices import Channel, OrderType
from anxin.orders.models import WorkOrder
from anxin.sales.models import SaleRegistration
from anxin.sales.services import sale_register

ADDRESS = "浙江省杭州市西湖区文三路100号"


@pytest.fixture
def fridge(world):
    from anxin.catalog.models import ProductCategory

    category = ProductCategory.objects.create(code="RF", name="冰箱")
    return ProductModel.objects.create(category=category, code="BCD-470", name="对开门冰箱")


def sale(world, **kw):
    start = timezone.now() + timedelta(days=1)
    data = {
        "actor": world.users["dealer"],
        "customer_name": "陈静",
        "phones": ["13955556666"],
        "address": ADDRESS,
        "items": [{"product_model_id": world.model.pk, "quantity": 2, "serials": ["AC-001", "AC-002"]}],
        "purchase_date": timezone.localdate(),
        "store_name": "国美文三路店",
        "invoice_no": "FP-1",
        "appointment_start": start,
        "appointment_end": start + timedelta(hours=2),
    }
    data.update(kw)
    return sale_register(**data)


def test_two_models_three_units_make_one_install_order_with_three_lines(world, fridge):
    registration = sale(
        world,
        items=[
            {"product_model_id": world.model.pk, "quantity": 2, "serials": ["AC-001"]},
            {"model": "BCD-470", "quantity": 1, "serials": ["RF-9"]},
        ],
    )
    customer = registration.customer
    assert customer.registered_by == world.dealer
    appliances = list(Appliance.objects.filter(customer=customer).order_by("pk"))
    assert [a.product_model.code for a in appliances] == ["KFR-35GW", "KFR-35GW", "BCD-470"]
    assert [a.serial for a in appliances] == ["AC-001", "", "RF-9"]
    assert all(a.dealer == world.dealer and a.store_name == "国美文三路店" and a.invoice_no == "FP-1" for a in appliances)
    assert all(a.purchase_date == timezone.localdate() and a.warranty_end for a in appliances)
    order = registration.order
    assert WorkOrder.objects.count() == 1
    assert order.order_type == OrderType.INSTALL and order.channel == Channel.DEALER
    assert order.dealer == world.dealer
    assert sorted(line.appliance_id for line in order.lines.all()) == [a.pk for a in appliances]
    assert set(registration.appliances.all()) == set(appliances)
    assert registration.items[1] == {"product_model_id": fridge.pk, "model": "BCD-470", "quantity": 1, "serials": ["RF-9"]}
    # The search index knows the new customer and the dealer keeps seeing both customer and sale.
    assert customer in [h.customer for h in customer_search(user=world.agent, q="13955556666").hits]
    assert Customer.objects.visible_to(world.users["dealer"]).filter(pk=customer.pk).exists()
    assert SaleRegistration.objects.visible_to(world.users["dealer"]).filter(pk=registration.pk).exists()
    assert WorkOrder.objects.visible_to(world.users["dealer"]).filter(pk=order.pk).exists()


def test_existing_customer_is_found_by_phone_even_outside_the_dealers_scope(world):
    existing = world.customer(name="张伟", phone="138 1234 5678")
    assert not Customer.objects.visible_to(world.users["dealer"]).filter(pk=existing.pk).exists()
    registration = sale(world, customer_name="张先生", phones=["13812345678"], address="浙江省杭州市西湖区文三路90号")
    assert registration.customer == existing
    assert Customer.objects.filter(phones__number="13812345678").count() == 1
    existing.refresh_from_db()
    assert existing.name == "张伟"  # the archive is not overwritten by the sale
    assert existing.addresses.count() == 1  # the same address is reused
    assert Customer.objects.visible_to(world.users["dealer"]).filter(pk=existing.pk).exists()


def test_existing_customer_new_address_gets_the_install(world):
    existing = world.customer(phone="13812345678")
    registration = sale(world, phones=["13812345678"], address="浙江省杭州市滨江区江南大道1号")
    assert existing.addresses.count() == 2
    assert registration.order.address.text.endswith("江南大道1号")


def test_existing_customer_gets_the_sales_other_number_once_an_agent_confirms(world):
    from anxin.sales.services import sale_review

    existing = world.customer(phone="13812345678")
    registration = sale(world, phones=["13812345678", "0571-88886666"])
    assert registration.customer == existing
    # Not merged silently: recorded for an agent to confirm.
    assert existing.phones.count() == 1 and registration.differences["phones"] == ["057188886666"]
    assert customer_search(user=world.users["agent"], q="88886666").hits == []
    sale_review(actor=world.agent, sale_id=registration.pk, accept=True)
    assert existing.phones.filter(kind="landline").exists()
    assert existing.phones.count() == 2
    assert existing.phones.filter(is_primary=True).count() == 1  # the archive's primary stays
    assert existing.phones.get(is_primary=True).number == "13812345678"
    assert customer_search(user=world.users["agent"], q="88886666").hits[0].customer == existing  # indexed


def test_several_units_make_a_complete_set_customer(world):
    registration = sale(world)  # two air conditioners
    assert registration.customer.group == CustomerGroup.COMPLETE_SET
    history = registration.customer.history.first()
    assert history.history_change_reason == "complete-set sale"


def test_one_unit_leaves_the_group_and_vip_stays_vip(world):
    single = sale(world, items=[{"product_model_id": world.model.pk, "quantity": 1}])
    assert single.customer.group == CustomerGroup.URBAN
    vip = world.customer(phone="13700001111")
    vip.group = CustomerGroup.VIP
    vip.save()
    registration = sale(world, phones=["13700001111"])
    registration.customer.refresh_from_db()
    assert registration.customer.group == CustomerGroup.VIP


def test_all_errors_are_reported_at_once_and_nothing_is_saved(world):
    before = (Customer.objects.count(), Appliance.objects.count(), WorkOrder.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        sale(
            world,
            customer_name="",
            phones=["12345"],
            purchase_date=timezone.localdate() + timedelta(days=1),
            items=[
                {"product_model_id": world.model.pk, "quantity": 0},
                {"product_model_id": world.model.pk, "quantity": 1, "serials": ["A", "B"]},
                {"model": "NO-SUCH", "quantity": 51},
                {"product_model_id": world.model.pk, "quantity": "x"},
            ],
        )
    fields = caught.value.fields
    assert {
        "customer_name",
        "phone",
        "purchase_date",
        "items.0.quantity",
        "items.1.serials",
        "items.2.product_model",
        "items.2.quantity",
        "items.3.quantity",
    } <= set(fields)
    assert (Customer.objects.count(), Appliance.objects.count(), WorkOrder.objects.count()) == before
    assert not SaleRegistration.objects.exists()


def test_no_items_and_duplicate_serials_are_errors(world):
    with pytest.raises(ValidationFailed) as caught:
        sale(world, items=[])
    assert "items" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        sale(world, items=[{"product_model_id": world.model.pk, "quantity": 2, "serials": ["S1", "s1"]}])
    assert "items.0.serials" in caught.value.fields


def test_a_late_failure_rolls_everything_back(world, monkeypatch):
    import anxin.sales.services as services

    def boom(**kw):
        raise RuntimeError("order service down")

    monkeypatch.setattr(services, "order_create", boom)
    with pytest.raises(RuntimeError):
        sale(world)
    assert not Customer.objects.exists()
    assert not Appliance.objects.exists()
    assert not SaleRegistration.objects.exists()


def test_without_install_no_order(world):
    registration = sale(world, install_wanted=False, appointment_start=None, appointment_end=None)
    assert registration.order is None
    assert not WorkOrder.objects.exists()
    assert registration.appliances.count() == 2


@pytest.mark.parametrize("persona", ["agent", "dispatcher", "technician", "region_director"])
def test_other_roles_may_not_register_sales(world, persona):
    with pytest.raises(PermissionDenied):
        sale(world, actor=world.users[persona])


def test_hq_manager_registers_on_behalf_of_a_dealer(world):
    with pytest.raises(ValidationFailed) as caught:
        sale(world, actor=world.hq_manager)
    assert "dealer_id" in caught.value.fields
    registration = sale(world, actor=world.hq_manager, dealer_id=world.dealer.pk)
    assert registration.dealer == world.dealer
    assert registration.order.dealer == world.dealer
    assert registration.customer.registered_by == world.dealer


def test_scope_of_the_sales_list(world):
    registration = sale(world)
    assert SaleRegistration.objects.visible_to(world.hq_manager).filter(pk=registration.pk).exists()
    assert SaleRegistration.objects.visible_to(world.region_director).filter(pk=registration.pk).exists()
    assert not SaleRegistration.objects.visible_to(world.outsider_director).exists()
    assert not SaleRegistration.objects.visible_to(world.dispatcher).exists()
