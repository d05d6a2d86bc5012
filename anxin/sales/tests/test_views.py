"""The dealer's pages: /sales/new/ with inline row errors, and /sales/."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anxin.customers.models import Customer
from anxin.sales.models import SaleRegistration


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(world, **kw):
    data = {
        "customer_name": "陈静",
        "phone": "13955556666",
        "phone2": "",
        "address": "浙江省杭州市西湖区文三路100号",
        "purchase_date": timezone.localdate().isoformat(),
        "store_name": "国美",
        "invoice_no": "",
        "install_wanted": "on",
        "items-count": "5",
        "items-0-product_model": str(world.model.pk),
        "items-0-quantity": "2",
        "items-0-serials": "SN-A\nSN-B\n",
    }
    data.update(kw)
    return data


def test_dealer_registers_a_sale_and_sees_it_in_the_list(world):
    client = client_for(world.users["dealer"])
    page = client.get(reverse("sale_create"))
    assert page.status_code == 200
    assert page.content.count(b"data-item-row=") == 5
    response = client.post(reverse("sale_create"), form_data(world), follow=True)
    assert response.status_code == 200
    sale = SaleRegistration.objects.get()
    html = response.content.decode()
    assert reverse("customer_detail", args=[sale.customer_id]) in html
    assert reverse("order_detail", args=[sale.order_id]) in html
    assert f'data-sale="{sale.pk}"' in html
    assert sale.appliances.count() == 2


def test_row_errors_show_in_their_row_and_nothing_is_saved(world):
    client = client_for(world.users["dealer"])
    data = form_data(
        world,
        phone="123",
        **{"items-0-quantity": "1", "items-2-product_model": str(world.model.pk), "items-2-quantity": "99"},
    )
    response = client.post(reverse("sale_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-item-row="0" class="has-error"' in html
    assert 'data-item-row="2" class="has-error"' in html
    assert 'data-item-row="1" class="has-error"' not in html
    assert 'data-error-field="items.0.serials"' in html
    assert 'data-error-field="items.1.quantity"' in html  # item 1 is page row 2 (row 1 was blank)
    assert "SN-A" in html  # the input is kept
    assert not Customer.objects.exists()


def test_extra_rows_added_by_the_page_are_read(world):
    client = client_for(world.users["dealer"])
    data = form_data(world, **{"items-count": "6", "items-5-product_model": str(world.model.pk), "items-5-quantity": "1"})
    client.post(reverse("sale_create"), data)
    assert SaleRegistration.objects.get().appliances.count() == 3


def test_other_roles_are_refused(world):
    for persona in ("agent", "technician", "dispatcher"):
        client = client_for(world.users[persona])
        assert client.get(reverse("sale_create")).status_code == 403
        assert client.get(reverse("sale_list")).status_code == 403


def test_nav_shows_the_entry_to_dealers_only(world):
    assert b'data-nav="sales"' in client_for(world.users["dealer"]).get(reverse("sale_list")).content
    assert b'data-nav="sales"' not in client_for(world.agent).get(reverse("home")).content


def test_hq_manager_picks_the_dealer_on_the_page(world):
    client = client_for(world.hq_manager)
    page = client.get(reverse("sale_create"))
    assert b'name="dealer_id"' in page.content
    response = client.post(reverse("sale_create"), form_data(world))
    assert response.status_code == 400 and not SaleRegistration.objects.exists()
    client.post(reverse("sale_create"), form_data(world, dealer_id=str(world.dealer.pk)))
    assert SaleRegistration.objects.get().dealer == world.dealer


def test_sales_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    client = client_for(world.users["dealer"])
    for i in range(4):
        client.post(reverse("sale_create"), form_data(world, phone=f"1395555000{i}", **{"items-0-serials": f"S{i}"}))
    assert SaleRegistration.objects.count() == 4
    with django_assert_max_num_queries(12):
        assert client.get(reverse("sale_list")).status_code == 200
