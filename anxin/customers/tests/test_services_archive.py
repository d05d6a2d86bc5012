"""Archive maintenance services: edit, opt-out, tags, phones, addresses, merge, reveal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.core.models import ActivityLog
from anxin.customers.choices import CustomerGroup, MarketTier
from anxin.customers.models import Appliance, Customer, CustomerPhone, SearchToken, Tag
from anxin.customers.search import customer_search
from anxin.customers.selectors import customer_list
from anxin.customers.services import (
    address_correct,
    address_create,
    address_set_primary,
    appliance_add,
    contact_reveal,
    customer_marketing_opt_out,
    customer_merge,
    customer_update,
    phone_add,
    phone_remove,
    phone_set_primary,
)
from anxin.orders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _found(user, q) -> set[int]:
    return {h.customer.pk for h in customer_search(user=user, q=q).hits}


# --- edit, opt-out, tags --------------------------------------------------------------------------


def test_customer_update_is_audited_and_reindexed(world):
    c = world.customer(name="张伟", marketing_consent=True)
    customer_update(
        actor=world.agent, customer=c, name="刘洋", group=CustomerGroup.VIP, marketing_consent=True, notes="n", tags=["高端", "早上"]
    )
    c.refresh_from_db()
    assert (c.name, c.group, c.is_vip) == ("刘洋", CustomerGroup.VIP, True)
    assert sorted(c.tags.values_list("name", flat=True)) == ["早上", "高端"]
    latest = c.history.first()
    assert latest.history_user == world.agent and "tags" in latest.history_change_reason
    assert c.pk in _found(world.agent, "刘洋")
    assert c.pk not in _found(world.agent, "张伟")
    # Tags are shared by name, not duplicated.
    other = world.customer(name="王芳", phone="13700001111")
    customer_update(actor=world.agent, customer=other, name="王芳", group=CustomerGroup.URBAN, marketing_consent=False, tags=["高端"])
    assert Tag.objects.filter(name="高端").count() == 1


def test_customer_update_validates_and_checks_role(world):
    c = world.customer()
    with pytest.raises(ValidationFailed) as exc:
        customer_update(actor=world.agent, customer=c, name=" ", group="nope", marketing_consent=False)
    assert set(exc.value.fields) == {"name", "group"}
    with pytest.raises(PermissionDenied):
        customer_update(actor=world.users["technician"], customer=c, name="x", group=CustomerGroup.URBAN, marketing_consent=False)


def test_withdrawing_consent_on_edit_stamps_the_opt_out(world):
    c = world.customer(marketing_consent=True)
    customer_update(actor=world.agent, customer=c, name=c.name, group=c.group, marketing_consent=False)
    c.refresh_from_db()
    assert c.marketing_opt_out_at is not None


def test_marketing_opt_out(world):
    c = world.customer(marketing_consent=True)
    customer_marketing_opt_out(actor=world.callback_agent, customer=c)
    c.refresh_from_db()
    assert c.marketing_consent is False
    assert timezone.now() - c.marketing_opt_out_at < timedelta(minutes=1)
    assert c.history.first().history_change_reason == "marketing opt-out"
    assert c.history.first().history_user == world.callback_agent


# --- phones -----------------------------------------------------------------------------------------


def test_phone_add_validates_and_reindexes(world):
    c = world.customer()
    with pytest.raises(ValidationFailed) as exc:
        phone_add(actor=world.agent, customer=c, number="12345")
    assert "number" in exc.value.fields
    with pytest.raises(ValidationFailed):
        phone_add(actor=world.agent, customer=c, number="138 1234 5678")  # already hers
    phone = phone_add(actor=world.agent, customer=c, number="0571-8800 1234")
    assert phone.number == "057188001234" and not phone.is_primary
    assert c.pk in _found(world.agent, "1234")
    assert c.pk in _found(world.agent, "057188001234")
    assert phone.history.first().history_user == world.agent


def test_last_phone_cannot_be_removed_and_primary_moves(world):
    c = world.customer()
    only = c.phones.get()
    with pytest.raises(ValidationFailed):
        phone_remove(actor=world.agent, phone=only)
    second = phone_add(actor=world.agent, customer=c, number="13900009999")
    phone_remove(actor=world.agent, phone=only)
    assert list(c.phones.values_list("number", flat=True)) == ["13900009999"]
    second.refresh_from_db()
    assert second.is_primary
    assert c.pk not in _found(world.agent, "13812345678")
    third = phone_add(actor=world.agent, customer=c, number="13700002222")
    phone_set_primary(actor=world.agent, phone=third)
    assert list(c.phones.filter(is_primary=True).values_list("number", flat=True)) == ["13700002222"]


# --- addresses ---------------------------------------------------------------------------------------


def test_unparsed_address_is_flagged_and_correction_clears_it(world):
    c = world.customer()
    address = address_create(actor=world.agent, customer=c, text="东山村老街口第三家")
    assert address.needs_review and address.market_tier == MarketTier.UNKNOWN and not address.is_primary
    fixed = address_correct(
        actor=world.agent,
        address=address,
        province="浙江省",
        city="杭州市",
        district="淳安县",
        division_code="330127",
        market_tier=MarketTier.REMOTE,
    )
    assert not fixed.needs_review and fixed.market_tier == MarketTier.REMOTE and fixed.division_code == "330127"
    assert fixed.history.first().history_change_reason == "corrected"
    assert fixed.history.first().history_user == world.agent
    assert c.pk in _found(world.agent, "东山村")
    address_set_primary(actor=world.agent, address=fixed)
    assert list(c.addresses.filter(is_primary=True)) == [fixed]


def test_address_correction_validates(world):
    c = world.customer()
    address = c.addresses.get()
    with pytest.raises(ValidationFailed) as exc:
        address_correct(actor=world.agent, address=address, province="", city="", district="", division_code="12a", market_tier=0)
    assert set(exc.value.fields) == {"province", "city", "division_code", "market_tier"}
    with pytest.raises(PermissionDenied):
        address_correct(
            actor=world.users["technician"], address=address, province="浙江省", city="杭州市", district="", division_code="", market_tier=1
        )


# --- appliance warranty ---------------------------------------------------------------------------------


def test_appliance_add_computes_main_parts_warranty(world):
    c = world.customer()
    bought = timezone.localdate() - timedelta(days=10)
    a = appliance_add(actor=world.agent, customer=c, product_model=world.model, purchase_date=bought)
    assert a.warranty_end.year - bought.year == 2  # 24 months
    assert a.main_parts_warranty_end.year - bought.year == 3  # 36 months
    none = appliance_add(actor=world.agent, customer=c, product_model=world.model)
    assert none.main_parts_warranty_end is None


# --- merge --------------------------------------------------------------------------------------------


def test_merge_moves_everything_and_retires_the_duplicate(world):
    survivor = world.customer(name="张伟", phone="13812345678")
    duplicate = world.customer(name="张伟伟", phone="13812345678")  # same number, typo in the name
    phone_add(actor=world.agent, customer=duplicate, number="13911112222")
    o1 = world.order(customer=survivor)
    o2 = world.order(customer=duplicate)
    extra = appliance_add(actor=world.agent, customer=duplicate, product_model=world.model, serial="SN-DUP-9")
    tag = Tag.objects.create(name="老客户")
    duplicate.tags.add(tag)

    customer_merge(actor=world.agent, survivor=survivor, duplicate=duplicate, reason="同一个人，名字录错")

    assert set(WorkOrder.objects.filter(customer=survivor).values_list("pk", flat=True)) == {o1.pk, o2.pk}
    assert not WorkOrder.objects.filter(customer=duplicate).exists()
    assert Appliance.objects.filter(customer=survivor).count() == 3 and extra in survivor.appliances.all()
    assert sorted(survivor.phones.values_list("number", flat=True)) == ["13812345678", "13911112222"]
    assert survivor.phones.filter(is_primary=True).count() == 1
    assert survivor.addresses.count() == 2 and survivor.addresses.filter(is_primary=True).count() == 1
    assert list(survivor.tags.all()) == [tag]
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert not CustomerPhone.objects.filter(customer=duplicate).exists()
    assert not SearchToken.objects.filter(customer_id=duplicate.pk).exists()
    # Audited on both records, logged once.
    assert "merged into" in duplicate.history.first().history_change_reason
    assert "merged customer" in survivor.history.first().history_change_reason
    log = ActivityLog.objects.get(action="customers.merge")
    assert log.actor == world.agent and log.detail["duplicate"] == duplicate.pk and log.detail["reason"]
    # Gone from search and lists, found by the survivor's new data.
    for q in ("13911112222", "SN-DUP-9", "13812345678"):
        assert _found(world.agent, q) == {survivor.pk}, q
    assert duplicate.pk not in _found(world.agent, "张伟伟")
    assert duplicate.pk not in set(customer_list(user=world.agent).values_list("pk", flat=True))
    assert duplicate.pk not in set(Customer.objects.visible_to(world.hq_manager).values_list("pk", flat=True))


def test_merge_rules(world):
    a = world.customer(name="甲", phone="13800000001")
    b = world.customer(name="乙", phone="13800000002")
    with pytest.raises(PermissionDenied):
        customer_merge(actor=world.dispatcher, survivor=a, duplicate=b, reason="x")
    with pytest.raises(ValidationFailed):
        customer_merge(actor=world.agent, survivor=a, duplicate=b, reason=" ")
    with pytest.raises(ValidationFailed):
        customer_merge(actor=world.agent, survivor=a, duplicate=a, reason="x")
    customer_merge(actor=world.region_director, survivor=a, duplicate=b, reason="x")
    with pytest.raises(ValidationFailed):
        customer_merge(actor=world.agent, survivor=b, duplicate=a, reason="again")


def test_merge_moves_chained_duplicates(world):
    a, b, c = (world.customer(name=n, phone=p) for n, p in (("甲", "13800000001"), ("乙", "13800000002"), ("丙", "13800000003")))
    customer_merge(actor=world.agent, survivor=b, duplicate=c, reason="x")
    customer_merge(actor=world.agent, survivor=a, duplicate=b, reason="x")
    c.refresh_from_db()
    assert c.merged_into_id == a.pk


# --- reveal -------------------------------------------------------------------------------------------


def test_reveal_requires_reason_and_is_logged(world):
    c = world.customer()
    with pytest.raises(ValidationFailed):
        contact_reveal(actor=world.region_director, customer=c, reason="  ")
    contact_reveal(actor=world.quality, customer=c, reason="投诉核实")
    log = ActivityLog.objects.get(action="customers.reveal")
    assert log.actor == world.quality and log.detail == {"reason": "投诉核实"} and log.target == f"customers.customer:{c.pk}"


def test_reveal_refused_for_technicians_and_parts_clerks(world):
    c = world.order().customer
    for user in (world.users["technician"], world.parts_clerk):
        with pytest.raises(PermissionDenied):
            contact_reveal(actor=user, customer=c, reason="need it")
    assert not ActivityLog.objects.filter(action="customers.reveal").exists()


@pytest.mark.skipif(not apps.is_installed("anxin.telephony"), reason="telephony not installed")
def test_merge_moves_rows_of_other_apps_generically(world):
    Call = apps.get_model("telephony", "Call")
    survivor = world.customer(name="甲", phone="13800000001")
    duplicate = world.customer(name="乙", phone="13800000002")
    call = Call.objects.create(call_id="pbx-1", caller_number="13800000002", customer=duplicate, started_at=timezone.now())
    customer_merge(actor=world.agent, survivor=survivor, duplicate=duplicate, reason="x")
    call.refresh_from_db()
    assert call.customer_id == survivor.pk
    assert ActivityLog.objects.get(action="customers.merge").detail["moved"]["telephony.call"] == 1
