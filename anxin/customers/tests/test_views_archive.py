"""Archive pages: search UI, edit, phones and addresses, merge, reveal, 360 sections, scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anxin.core.models import ActivityLog
from anxin.customers.models import CustomerAddress
from anxin.customers.services import address_create

LIST = reverse("customer_list")


def _open(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def zhang(world):
    return world.customer(name="张伟", phone="13812345678")


# --- search UI ----------------------------------------------------------------------------------


def test_search_by_phone_tail_marks_the_digits(client, world, zhang):
    html = _open(client, world.agent).get(LIST, {"q": "5678"}).content.decode()
    assert 'data-matched="phone"' in html
    assert "1381234<mark>5678</mark>" in html


def test_masked_role_sees_masked_number_with_no_digit_marked(client, world, zhang):
    world.order(customer=zhang)  # in the director's region either way
    html = _open(client, world.region_director).get(LIST, {"q": "13812345678"}).content.decode()
    table = html.split("<tbody>", 1)[1]
    assert "13812345678" not in table
    assert "138****5678" in table and "<mark>" not in table  # matched digits are never marked (decision 0024)


def test_search_by_name_and_pinyin(client, world, zhang):
    html = _open(client, world.agent).get(LIST, {"q": "张"}).content.decode()
    assert "<mark>张</mark>伟" in html and 'data-matched="name"' in html
    html = client.get(LIST, {"q": "zhangwei"}).content.decode()
    assert 'data-matched="pinyin"' in html


def test_search_by_address_and_serial(client, world, zhang):
    world.order(customer=zhang)  # appliance serial SN-1
    html = _open(client, world.agent).get(LIST, {"q": "文三路"}).content.decode()
    assert 'data-matched="address"' in html and "<mark>文三路</mark>" in html
    response = client.get(LIST, {"q": "SN-1"})
    html = response.content.decode()
    assert 'data-matched="serial"' in html and "<mark>SN-1</mark>" in html


def test_search_hint_for_too_short_input(client, world, zhang):
    response = _open(client, world.agent).get(LIST, {"q": "a"})
    assert response.status_code == 200
    assert "data-search-hint" in response.content.decode()
    assert response.context["rows"] == []


def test_search_respects_scope(client, world, zhang):
    response = _open(client, world.outsider_dispatcher).get(LIST, {"q": "5678"})
    assert response.context["rows"] == []


def test_no_query_list_keeps_pagination(client, world, zhang):
    response = _open(client, world.agent).get(LIST)
    assert response.context["page_obj"] is not None and len(response.context["rows"]) == 1


# --- edit and opt-out ----------------------------------------------------------------------------------


def test_edit_customer_with_tags(client, world, zhang):
    url = reverse("customer_edit", args=[zhang.pk])
    assert _open(client, world.agent).get(url).status_code == 200
    response = client.post(url, {"name": "张伟强", "group": "vip", "tags": "高端，早上", "notes": "", "marketing_consent": ""})
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.name == "张伟强" and zhang.is_vip
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["早上", "高端"]
    html = client.get(reverse("customer_detail", args=[zhang.pk])).content.decode()
    assert "data-tag" in html and "高端" in html


def test_edit_errors_and_permissions(client, world, zhang):
    url = reverse("customer_edit", args=[zhang.pk])
    response = _open(client, world.agent).post(url, {"name": "", "group": "urban"})
    assert response.status_code == 400
    client.force_login(world.users["technician"])
    assert client.get(url).status_code == 404  # out of scope first
    world.order(customer=zhang)
    client.force_login(world.parts_clerk)
    assert client.get(url).status_code in (403, 404)


def test_opt_out_button(client, world):
    c = world.customer(marketing_consent=True)
    response = _open(client, world.callback_agent).post(reverse("customer_opt_out", args=[c.pk]))
    assert response.status_code == 302
    c.refresh_from_db()
    assert not c.marketing_consent and c.marketing_opt_out_at


# --- phones and addresses ---------------------------------------------------------------------------


def test_add_and_remove_phone(client, world, zhang):
    url = reverse("phone_create", args=[zhang.pk])
    response = _open(client, world.agent).post(url, {"number": "123"})
    assert response.status_code == 400 and "number" in response.context["form"].errors
    assert client.post(url, {"number": "13900001234", "primary": "on"}).status_code == 302
    assert zhang.phones.get(is_primary=True).number == "13900001234"
    old = zhang.phones.get(number="13812345678")
    client.post(reverse("phone_delete", args=[zhang.pk, old.pk]))
    last = zhang.phones.get()
    response = client.post(reverse("phone_delete", args=[zhang.pk, last.pk]), follow=True)
    assert zhang.phones.count() == 1
    assert "at least one phone" in str(list(response.context["messages"])[0]) or response.status_code == 200


def test_unparsed_address_links_to_correction(client, world, zhang):
    response = _open(client, world.agent).post(reverse("address_create", args=[zhang.pk]), {"text": "东山村老街口第三家"})
    address = CustomerAddress.objects.get(text="东山村老街口第三家")
    assert response.status_code == 302 and response["Location"] == reverse("address_correct", args=[zhang.pk, address.pk])
    html = client.get(reverse("customer_detail", args=[zhang.pk])).content.decode()
    assert "data-correct-address" in html
    response = client.post(
        reverse("address_correct", args=[zhang.pk, address.pk]),
        {"province": "浙江省", "city": "杭州市", "district": "淳安县", "detail": "东山村", "division_code": "330127", "market_tier": "3"},
    )
    assert response.status_code == 302
    address.refresh_from_db()
    assert not address.needs_review and address.market_tier == 3


def test_contact_forms_are_scoped(client, world, zhang):
    address = zhang.addresses.get()
    phone = zhang.phones.get()
    client.force_login(world.outsider_dispatcher)
    for url in (
        reverse("customer_edit", args=[zhang.pk]),
        reverse("phone_create", args=[zhang.pk]),
        reverse("address_create", args=[zhang.pk]),
        reverse("address_correct", args=[zhang.pk, address.pk]),
        reverse("customer_merge", args=[zhang.pk]),
        reverse("customer_detail", args=[zhang.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("phone_delete", args=[zhang.pk, phone.pk]),
        reverse("address_primary", args=[zhang.pk, address.pk]),
        reverse("customer_opt_out", args=[zhang.pk]),
        reverse("customer_reveal", args=[zhang.pk]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    # An address of another customer cannot be reached through this customer's URL.
    other = world.customer(name="王芳", phone="13700001111")
    client.force_login(world.agent)
    assert client.get(reverse("address_correct", args=[zhang.pk, other.addresses.get().pk])).status_code == 404


# --- merge ------------------------------------------------------------------------------------------


def test_merge_flow(client, world, zhang):
    dup = world.customer(name="张卫", phone="13812345678")
    order = world.order(customer=dup)
    _open(client, world.agent)
    html = client.get(reverse("customer_detail", args=[zhang.pk])).content.decode()
    assert "data-merge" in html
    response = client.get(reverse("customer_merge", args=[zhang.pk]), {"q": "5678"})
    assert [r.customer.pk for r in response.context["rows"]] == [dup.pk]  # not itself
    confirm = reverse("customer_merge_confirm", args=[zhang.pk, dup.pk])
    response = client.get(confirm)
    assert response.status_code == 200 and "data-merge-sides" in response.content.decode()
    assert client.post(confirm, {"reason": ""}).status_code == 400
    assert client.post(confirm, {"reason": "同一人"}).status_code == 302
    order.refresh_from_db()
    assert order.customer_id == zhang.pk
    assert dup.pk not in {r.customer.pk for r in client.get(LIST).context["rows"]}
    assert dup.pk not in {r.customer.pk for r in client.get(LIST, {"q": "张卫"}).context["rows"]}
    # Old links to the duplicate lead to the survivor.
    response = client.get(reverse("customer_detail", args=[dup.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customer_detail", args=[zhang.pk])
    assert ActivityLog.objects.filter(action="customers.merge").count() == 1


def test_merge_not_for_dispatchers(client, world, zhang):
    world.order(customer=zhang)
    assert _open(client, world.dispatcher).get(reverse("customer_merge", args=[zhang.pk])).status_code == 403


# --- reveal -------------------------------------------------------------------------------------------


def test_reveal_shows_full_contact_once_with_a_logged_reason(client, world, zhang):
    url = reverse("customer_detail", args=[zhang.pk])
    _open(client, world.quality)
    html = client.get(url).content.decode()
    assert "13812345678" not in html and "data-reveal" in html
    response = client.post(reverse("customer_reveal", args=[zhang.pk]), {"reason": ""})
    assert response.status_code == 400 and "13812345678" not in response.content.decode()
    response = client.post(reverse("customer_reveal", args=[zhang.pk]), {"reason": "投诉核实"})
    html = response.content.decode()
    assert response.status_code == 200 and "13812345678" in html and "文三路90号" in html and "data-revealed" in html
    log = ActivityLog.objects.get(action="customers.reveal")
    assert log.actor == world.quality and log.detail["reason"] == "投诉核实"
    assert "13812345678" not in client.get(url).content.decode()  # for that request only


def test_technicians_and_parts_clerks_cannot_reveal(client, world, zhang):
    order = world.order(customer=zhang)
    order.technician = world.technician  # a technician sees the customer of an order assigned to them
    order.save(update_fields=["technician"])
    for user in (world.users["technician"], world.parts_clerk):
        client.force_login(user)
        url = reverse("customer_detail", args=[zhang.pk])
        detail = client.get(url)
        if detail.status_code == 200:
            assert "data-reveal" not in detail.content.decode()
        assert client.post(reverse("customer_reveal", args=[zhang.pk]), {"reason": "x"}).status_code in (403, 404)
    assert not ActivityLog.objects.filter(action="customers.reveal").exists()


# --- 360 page ------------------------------------------------------------------------------------------


def test_360_page_shows_warranties_callbacks_and_quick_actions(client, world, zhang):
    from anxin.feedback.models import Callback

    order = world.order(customer=zhang)
    Callback.objects.create(order=order, agent=world.callback_agent, satisfaction="very_satisfied", comment="师傅很专业")
    address_create(actor=world.agent, customer=zhang, text="某地某处")
    html = _open(client, world.agent).get(reverse("customer_detail", args=[zhang.pk])).content.decode()
    assert "data-main-parts" in html
    assert "data-callbacks" in html and "师傅很专业" in html
    assert "data-new-order" in html and "data-quick-actions" in html


def test_export_of_a_search_matches_the_page(client, world, zhang):
    world.customer(name="王芳", phone="13700005678")
    world.customer(name="李娜", phone="13700001111")
    _open(client, world.agent)
    page = [r.customer.name for r in client.get(LIST, {"q": "5678"}).context["rows"]]
    response = client.get(reverse("customer_export"), {"format": "csv", "q": "5678"})
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    exported = [line.split(",")[1] for line in text.splitlines()[1:]]
    assert sorted(page) == sorted(exported) == ["张伟", "王芳"]


def test_search_page_query_count_does_not_grow_with_hits(client, world, django_assert_max_num_queries):
    for i in range(8):
        world.customer(name=f"张{i}号", phone=f"1380000{i:04d}")
    _open(client, world.agent)
    client.get(LIST, {"q": "张"})  # warm up session and caches
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"q": "张"})
    assert len(response.context["rows"]) == 8


def test_360_page_lists_the_customers_calls(client, world, zhang):
    from django.utils import timezone

    from anxin.telephony.models import Call

    Call.objects.create(call_id="pbx-9", caller_number="13812345678", customer=zhang, region=world.region, started_at=timezone.now())
    response = _open(client, world.agent).get(reverse("customer_detail", args=[zhang.pk]))
    assert len(response.context["calls"]) == 1 and "data-calls" in response.content.decode()
