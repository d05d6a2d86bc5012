"""Customer pages: scope per role, masking, export (+ activity log), the two forms, query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anxin.core.models import ActivityLog
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone
from anxin.customers.services import appliance_add
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.services import order_transition

LIST = reverse("customer_list")


def _names(response) -> set[str]:
    return {row.customer.name for row in response.context["rows"]}


def _open(client, user):
    client.force_login(user)
    return client


# --- list and scope ---------------------------------------------------------------------------


@pytest.fixture
def scoped(world):
    """Three customers: one with an order at world.outlet, one in Nanjing with an order at the
    other outlet, one in Hangzhou without orders."""
    with_order = world.order(customer=world.customer(name="张伟", phone="13812345678"))
    nanjing = world.customer(name="陈静", phone="13955556666", address="江苏省南京市玄武区中山路1号")
    other_order = world.order(customer=nanjing)
    idle = world.customer(name="王芳", phone="13700001111")
    assert with_order.outlet == world.outlet and other_order.outlet == world.other_outlet
    return {"with_order": with_order.customer, "nanjing": nanjing, "idle": idle}


def test_agent_sees_the_whole_archive(client, world, scoped):
    response = _open(client, world.agent).get(LIST)
    assert response.status_code == 200
    assert _names(response) == {"张伟", "陈静", "王芳"}
    assert "data-search" in response.content.decode()


def test_dispatcher_sees_only_customers_with_orders_at_the_outlet(client, world, scoped):
    assert _names(_open(client, world.dispatcher).get(LIST)) == {"张伟"}
    client.logout()
    assert _names(_open(client, world.outsider_dispatcher).get(LIST)) == {"陈静"}


def test_region_director_sees_the_region_not_the_other(client, world, scoped):
    assert _names(_open(client, world.region_director).get(LIST)) == {"张伟", "王芳"}
    client.logout()
    assert _names(_open(client, world.outsider_director).get(LIST)) == {"陈静"}


def test_detail_out_of_scope_is_404(client, world, scoped):
    client.force_login(world.outsider_dispatcher)
    assert client.get(reverse("customer_detail", args=[scoped["with_order"].pk])).status_code == 404
    assert client.get(reverse("customer_detail", args=[scoped["nanjing"].pk])).status_code == 200
    assert client.get(reverse("appliance_create", args=[scoped["with_order"].pk])).status_code == 404


def test_filters_search_by_phone_digits_name_group_and_vip(client, world, scoped):
    world.customer(name="赵VIP", phone="13600002222", group="vip")
    client.force_login(world.agent)
    assert _names(client.get(LIST, {"q": "5678"})) == {"张伟"}
    assert _names(client.get(LIST, {"q": "138-1234 5678"})) == {"张伟"}
    assert _names(client.get(LIST, {"q": "陈"})) == {"陈静"}
    assert _names(client.get(LIST, {"q": "中山路"})) == {"陈静"}  # address, for full-contact roles
    assert _names(client.get(LIST, {"vip": "1"})) == {"赵VIP"}
    assert _names(client.get(LIST, {"group": "urban"})) == {"张伟", "陈静", "王芳"}
    response = client.get(LIST, {"q": "不存在"})
    assert response.context["rows"] == []
    assert "data-empty" in response.content.decode()


def test_sorting_by_name_and_created(client, world, scoped):
    client.force_login(world.agent)
    by_created = [r.customer.name for r in client.get(LIST, {"sort": "created"}).context["rows"]]
    assert by_created == ["张伟", "陈静", "王芳"]
    newest_first = [r.customer.name for r in client.get(LIST).context["rows"]]
    assert newest_first == ["王芳", "陈静", "张伟"]
    assert [r.customer.name for r in client.get(LIST, {"sort": "-name"}).context["rows"]] == sorted(by_created, reverse=True)


def test_pagination_shows_the_count(client, world, settings):
    settings.ANXIN_PAGE_SIZE = 2
    _bulk_customers(world, 3)
    client.force_login(world.agent)
    response = client.get(LIST)
    assert len(response.context["rows"]) == 2
    assert response.context["page_obj"].paginator.count == 3
    assert len(client.get(LIST, {"page": 2}).context["rows"]) == 1


def _bulk_customers(world, n: int, start: int = 0) -> None:
    """Customers straight in the ORM (no address parsing), two phones and an address each."""
    for i in range(start, start + n):
        c = Customer.objects.create(name=f"客户{i:03d}", region=world.region)
        CustomerPhone.objects.create(customer=c, number=f"139{i:08d}", is_primary=True)
        CustomerPhone.objects.create(customer=c, number=f"137{i:08d}")
        CustomerAddress.objects.create(customer=c, text=f"浙江省杭州市西湖区文三路{i}号", district="西湖区", is_primary=True)


@pytest.mark.parametrize("persona", ["agent", "quality"])
def test_list_query_count_does_not_grow_with_rows(client, world, persona):
    client.force_login(world.users[persona])
    _bulk_customers(world, 5)
    client.get(LIST)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(LIST).context["rows"]) == 5
    _bulk_customers(world, 15, start=5)
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(LIST).context["rows"]) == 20
    assert len(twenty) == len(five), [q["sql"] for q in twenty.captured_queries]


def test_technician_list_runs_one_masking_query_per_page(client, world):
    order = world.order(customer=world.customer(name="甲", phone="13811112222"))
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(world.users["technician"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST)
    assert _names(response) == {"甲"}
    # count + page (both carry the scope subquery) + one masking query for the whole page; all on the
    # access table the order side keeps, none on the orders (decision 0046)
    assert sum("customers_customeraccess" in q["sql"] for q in ctx.captured_queries) == 3
    assert not any("orders_workorder" in q["sql"] for q in ctx.captured_queries)


# --- masking ----------------------------------------------------------------------------------


def _complete(world, order):
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    order_transition(order_id=order.pk, action="check_in", actor=world.users["technician"])
    order_transition(order_id=order.pk, action="complete", actor=world.users["technician"], data=minimal_report(order))


def test_masking_by_role_on_list_and_detail(client, world):
    order = world.order(fault=world.fault_easy)
    customer = order.customer
    detail = reverse("customer_detail", args=[customer.pk])

    client.force_login(world.agent)
    page = client.get(detail).content.decode()
    assert "13812345678" in page and "文三路90号" in page

    client.force_login(world.quality)
    page = client.get(detail).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "西湖区****" in page and "文三路90号" not in page
    assert "138****5678" in client.get(LIST).content.decode()

    # The assigned technician sees the full contact while working the job, masked afterwards.
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    client.force_login(world.users["technician"])
    assert "13812345678" in client.get(detail).content.decode()
    order_transition(order_id=order.pk, action="check_in", actor=world.users["technician"])
    order_transition(order_id=order.pk, action="complete", actor=world.users["technician"], data=minimal_report(order))
    page = client.get(detail).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "138****5678" in client.get(LIST).content.decode()


def test_history_masks_contact_changes_for_masked_roles(client, world):
    customer = world.customer()
    phone = customer.phones.get()
    phone.number = "13800009999"
    phone.save()
    client.force_login(world.quality)
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "13800009999" not in page and "13812345678" not in page
    client.force_login(world.agent)
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "13800009999" in page


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_profile_appliances_orders_and_actions(client, world):
    order = world.order()
    customer = order.customer
    today = timezone.localdate()
    appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="OLD", purchase_date=today - timedelta(days=900))
    appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="SOON", purchase_date=today - timedelta(days=715))
    client.force_login(world.agent)
    response = client.get(reverse("customer_detail", args=[customer.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert order.number in page
    assert f'href="/orders/new/?customer={customer.pk}" data-new-order' in page
    assert reverse("appliance_create", args=[customer.pk]) in page
    tones = {a["appliance"].serial: a["tone"] for a in response.context["appliances"]}
    assert tones == {"SN-1": "green", "OLD": "dark", "SOON": "amber"}
    assert f"badge {order.status_tone}" in page
    assert response.context["history"], "creation is recorded"


def test_detail_lists_only_orders_in_scope(client, world):
    customer = world.customer()
    world.order(customer=customer)
    # A second order of the same customer, routed to the other region's outlet by its address.
    nanjing = customer.addresses.create(text="江苏省南京市玄武区中山路1号", division_code="320102", district="玄武区")
    from anxin.orders.workflow.services import LineInput, OrderInput, order_create

    appliance = Appliance.objects.filter(customer=customer).first()
    order_create(
        actor=world.agent,
        data=OrderInput(customer_id=customer.pk, address_id=nanjing.pk, lines=[LineInput(appliance_id=appliance.pk)]),
    )
    client.force_login(world.agent)
    assert len(client.get(reverse("customer_detail", args=[customer.pk])).context["orders"]) == 2
    client.force_login(world.dispatcher)
    orders = client.get(reverse("customer_detail", args=[customer.pk])).context["orders"]
    assert [o.outlet for o in orders] == [world.outlet]


def test_technician_sees_no_action_buttons(client, world):
    order = world.order()
    _complete(world, order)
    client.force_login(world.users["technician"])
    page = client.get(reverse("customer_detail", args=[order.customer.pk])).content.decode()
    assert "data-new-order" not in page and "data-add-appliance" not in page


# --- export -----------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_is_scoped_masked_and_logged(client, world, scoped):
    client.force_login(world.dispatcher)
    response = client.get(reverse("customer_export"), {"format": "csv", "q": "张"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert len(rows) == 1 and rows[0][1] == "张伟"
    assert rows[0][5] == "13812345678"  # outlet managers see full numbers, like on the page

    log = ActivityLog.objects.get(action="customers.export")
    assert log.actor == world.dispatcher and log.org_unit == world.outlet
    assert log.detail == {"format": "csv", "filters": {"q": "张"}, "rows": 1}


def test_export_masks_like_the_page(client, world, scoped, settings):
    settings.ANXIN_PAGE_SIZE = 100
    from anxin.customers.selectors import FULL_CONTACT_ROLES

    # A masked role that may export does not exist by default; check the rule with region directors.
    assert "region_director" not in FULL_CONTACT_ROLES
    client.force_login(world.region_director)
    _header, *rows = _csv_rows(client.get(reverse("customer_export")))
    page_rows = client.get(LIST).context["rows"]
    assert {r[1] for r in rows} == {"张伟", "王芳"}
    assert {(r[1], r[5], r[7]) for r in rows} == {(p.customer.name, p.phones[0], p.address_text) for p in page_rows}
    assert all("****" in r[5] for r in rows)


def test_export_xlsx(client, world, scoped):
    from openpyxl import load_workbook

    client.force_login(world.agent)
    response = client.get(reverse("customer_export"), {"format": "xlsx", "vip": "", "group": "urban"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 4 and {v[1] for v in values[1:]} == {"张伟", "陈静", "王芳"}
    assert ActivityLog.objects.get().detail["format"] == "xlsx"


def test_export_is_refused_to_roles_without_the_right(client, world, scoped):
    for persona in ("quality", "callback_agent", "technician"):
        client.force_login(world.users[persona])
        assert client.get(reverse("customer_export")).status_code == 403
        assert "data-export" not in client.get(LIST).content.decode()
    assert not ActivityLog.objects.exists()


def test_export_neutralises_formulas(client, world):
    world.customer(name="=HYPERLINK(1)")
    client.force_login(world.agent)
    _header, row = _csv_rows(client.get(reverse("customer_export")))
    assert row[1] == "'=HYPERLINK(1)"


# --- new customer -----------------------------------------------------------------------------

NEW = reverse("customer_create")
GOOD = {"name": "刘洋", "phone": "13912345678", "address": "浙江省杭州市西湖区文三路100号", "group": "urban", "notes": ""}


def test_create_customer_redirects_to_the_profile_with_a_message(client, world):
    client.force_login(world.agent)
    response = client.post(NEW, GOOD, follow=True)
    customer = Customer.objects.get(name="刘洋")
    assert response.redirect_chain[-1][0] == reverse("customer_detail", args=[customer.pk])
    assert customer.phones.get().number == "13912345678"
    assert customer.registered_by == world.region
    page = response.content.decode()
    assert f'<a href="{reverse("customer_detail", args=[customer.pk])}">刘洋</a>' in page


def test_bad_phone_is_shown_on_the_phone_field_and_nothing_is_saved(client, world):
    client.force_login(world.agent)
    response = client.post(NEW, {**GOOD, "phone": "12345", "name": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert "12345" in form.errors["phone"][0]
    assert "name" in form.errors
    assert not Customer.objects.exists() and not CustomerPhone.objects.exists()
    assert 'data-field="phone"' in response.content.decode()


def test_second_phone_errors_go_to_the_second_field(client, world):
    client.force_login(world.agent)
    response = client.post(NEW, {**GOOD, "phone2": "999"})
    assert "phone2" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_duplicate_phone_warns_and_links_then_creates_anyway(client, world):
    existing = world.customer(name="张伟", phone="13812345678")
    client.force_login(world.agent)
    response = client.post(NEW, {**GOOD, "phone": "138 1234 5678"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "data-duplicate" in page and reverse("customer_detail", args=[existing.pk]) in page
    assert [d["customer"] for d in response.context["duplicates"]] == [existing]
    assert Customer.objects.count() == 1

    response = client.post(NEW, {**GOOD, "phone": "138 1234 5678", "create_anyway": "on"})
    assert response.status_code == 302
    assert Customer.objects.filter(phones__number="13812345678").count() == 2


def test_duplicate_check_stays_in_scope(client, world):
    world.customer(name="张伟", phone="13812345678", address="江苏省南京市玄武区中山路1号")
    client.force_login(world.dispatcher)  # cannot see that customer: no warning, no name leaked
    response = client.post(NEW, GOOD | {"phone": "13812345678"})
    assert response.status_code == 302
    assert Customer.objects.get(name="刘洋").registered_by == world.outlet


def test_dispatcher_sees_the_walk_in_it_registered(client, world):
    client.force_login(world.dispatcher)
    response = client.post(NEW, GOOD, follow=True)
    assert response.status_code == 200
    assert _names(client.get(LIST)) == {"刘洋"}


def test_roles_without_the_right_cannot_register(client, world):
    for persona in ("technician", "quality", "callback_agent"):
        client.force_login(world.users[persona])
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, GOOD).status_code == 403
    assert not Customer.objects.exists()


# --- add appliance ----------------------------------------------------------------------------


def test_add_appliance(client, world):
    customer = world.customer()
    client.force_login(world.agent)
    url = reverse("appliance_create", args=[customer.pk])
    assert client.get(url).status_code == 200
    purchase = timezone.localdate() - timedelta(days=10)
    response = client.post(url, {"product_model": world.model.pk, "serial": "SN-9", "purchase_date": purchase.isoformat()})
    assert response.status_code == 302
    appliance = customer.appliances.get()
    assert appliance.serial == "SN-9" and appliance.warranty_end is not None


def test_future_purchase_date_is_an_error_on_that_field(client, world):
    customer = world.customer()
    client.force_login(world.agent)
    future = timezone.localdate() + timedelta(days=3)
    response = client.post(
        reverse("appliance_create", args=[customer.pk]), {"product_model": world.model.pk, "purchase_date": future.isoformat()}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["purchase_date"]
    assert not customer.appliances.exists()


def test_missing_model_is_an_error_on_that_field(client, world):
    customer = world.customer()
    client.force_login(world.agent)
    response = client.post(reverse("appliance_create", args=[customer.pk]), {"serial": "X"})
    assert list(response.context["form"].errors) == ["product_model"]


def test_dealer_appliance_is_linked_to_the_dealer(client, world):
    client.force_login(world.users["dealer"])
    client.post(NEW, GOOD)
    customer = Customer.objects.get(name="刘洋")
    assert customer.registered_by == world.dealer
    client.post(reverse("appliance_create", args=[customer.pk]), {"product_model": world.model.pk})
    appliance = customer.appliances.get()
    assert appliance.dealer == world.dealer and appliance.store_name == world.dealer.name


def test_activity_record_names_a_model_target(world):
    from anxin.core.services import activity_record

    customer = world.customer()
    row = activity_record(actor=world.agent, action="customers.contact_reveal", target=customer, detail={"field": "phone"})
    assert (row.target, row.org_unit, row.detail) == (f"customers.customer:{customer.pk}", world.region, {"field": "phone"})
    assert activity_record(actor=None, action="system.test").actor is None
