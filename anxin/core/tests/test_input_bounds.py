"""Long or odd input, paging and dates: a 4xx naming the field on every database, never a 500 and
never stored past the model's limits (issue 9, items 3 and 4; decision 0027)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anxin.complaints.models import Complaint
from anxin.core.tests.apiclient import api, assert_error
from anxin.customers.models import Customer
from anxin.orders.models import WorkOrder
from anxin.sales.models import SaleRegistration
from anxin.telephony.models import Call

ADDRESS = "浙江省杭州市西湖区文三路90号"
HUGE = "99999999999999999999"  # past any database integer
FAR = "9999-12-31T20:00:00-08:00"  # year 10000 in UTC


def new_customer(**kw):
    return {"name": "孙丽", "phones": ["13812345678"], "address": ADDRESS, **kw}


def new_order(world, customer, **kw):
    return {"customer_id": customer.pk, "lines": [{"product_model_id": world.model.pk, "symptom": "不制冷"}], **kw}


def new_sale(world, **kw):
    return {
        "customer_name": "陈静",
        "phones": ["13955556666"],
        "address": ADDRESS,
        "purchase_date": timezone.localdate().isoformat(),
        "items": [{"product_model_id": world.model.pk, "quantity": 1}],
        "install_wanted": False,
        **kw,
    }


# --- item 3: lengths from the model, NUL refused centrally ------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (new_customer(name="张" * 51), "name"),
        (new_customer(address="路" * 10_000), "address"),
        (new_customer(notes="x" * 2001), "notes"),
        (new_customer(phones=["1" * 31]), "phones.0"),
    ],
)
def test_customer_text_longer_than_the_model_is_a_field_error(world, payload, field):
    assert_error(api(world.agent).post("/customers", payload), 422, "invalid", fields=(field,))
    assert not Customer.objects.exists()


def test_the_limit_is_the_model_field_itself(world):
    name = "张" * Customer._meta.get_field("name").max_length
    assert api(world.agent).post("/customers", new_customer(name=name)).status_code == 201
    assert Customer.objects.get().name == name


def test_a_201_character_symptom_is_a_field_error(world):
    customer = world.customer()
    payload = new_order(world, customer, lines=[{"product_model_id": world.model.pk, "symptom": "症" * 201}])
    assert_error(api(world.agent).post("/orders", payload), 422, "invalid", fields=("lines.0.symptom",))
    assert not WorkOrder.objects.exists()


def test_long_texts_of_sales_complaints_and_pbx_events_are_field_errors(world):
    assert_error(api(world.users["dealer"]).post("/sales", new_sale(world, store_name="店" * 101)), 422, "invalid", fields=("store_name",))
    assert not SaleRegistration.objects.exists()
    customer = world.customer()
    body = {"customer_id": customer.pk, "category": "other", "description": "x" * 2001}
    assert_error(api(world.agent).post("/complaints", body), 422, "invalid", fields=("description",))
    assert not Complaint.objects.exists()
    from anxin.accounts.services import api_token_create

    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    event = {"call_id": "C-1", "event": "ringing", "extension": "8" * 11}
    assert_error(api(token=raw).post("/telephony/call-events", event), 422, "invalid", fields=("extension",))
    assert not Call.objects.exists()


@pytest.mark.parametrize("value", ["张\x00伟", "\ud800"])
def test_nul_or_a_lone_surrogate_in_json_names_the_field(world, value):
    raw = json.dumps(new_customer(name=value))  # ensure_ascii: "\u0000" / "\ud800" on the wire
    assert_error(api(world.agent).post("/customers", raw=raw), 422, "invalid", fields=("name",))
    customer = world.customer()
    lines = [{"product_model_id": world.model.pk, "symptom": value}]
    assert_error(
        api(world.agent).post("/orders", raw=json.dumps(new_order(world, customer, lines=lines))),
        422,
        "invalid",
        fields=("lines.0.symptom",),
    )
    assert Customer.objects.count() == 1 and not WorkOrder.objects.exists()


@pytest.mark.parametrize("path", ["/customers", "/customers/search", "/orders"])
def test_nul_in_a_search_parameter_names_it(world, path):
    assert_error(api(world.hq_manager).get(path, q="138\x00"), 422, "invalid", fields=("q",))


def test_nul_in_a_page_search_is_a_translated_400_page(world):
    client = Client()
    client.force_login(world.agent)
    for name in ("customer_list", "order_list"):
        response = client.get(reverse(name), {"q": "张\x00"})
        assert response.status_code == 400, name
        assert "无法保存的字符" in response.content.decode()


def test_nul_in_a_posted_form_is_refused_before_the_view(world):
    client = Client()
    client.force_login(world.agent)
    response = client.post(reverse("customer_create"), {"name": "张\x00伟", "phone": "13812345678", "address": ADDRESS})
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_nul_in_an_idempotency_key_is_refused(world):
    response = api(world.agent).post("/customers", new_customer(), headers={"Idempotency-Key": "k\x00"})
    assert_error(response, 400, "invalid_idempotency_key")
    assert not Customer.objects.exists()


# --- item 4: paging and dates bounded --------------------------------------------------------

LISTS = ["/customers", "/orders", "/sales", "/complaints"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("param", "value"), [("page_size", "-1"), ("page_size", "0"), ("page_size", "201"), ("page", "0"), ("page", HUGE)])
def test_paging_out_of_range_names_the_parameter(world, path, param, value):
    assert_error(api(world.hq_manager).get(path, **{param: value}), 422, "invalid", fields=(param,))


@pytest.mark.parametrize(("path", "param"), [("/notifications", "limit"), ("/customers/search", "limit")])
def test_limits_out_of_range_name_the_parameter(world, path, param):
    for value in ("-1", "0", HUGE):
        assert_error(api(world.hq_manager).get(path, **{param: value}), 422, "invalid", fields=(param,))


@pytest.mark.parametrize("path", ["/customers/{id}", "/orders/{id}", "/complaints/{id}"])
def test_an_id_past_the_database_range_names_the_parameter(world, path):
    response = api(world.hq_manager).get(path.replace("{id}", HUGE))
    assert response.status_code == 422, response.content


def test_ids_in_bodies_are_bounded(world):
    assert_error(api(world.agent).post("/orders", {"customer_id": int(HUGE), "lines": []}), 422, "invalid", fields=("customer_id",))
    customer = world.customer()
    lines = [{"product_model_id": int(HUGE)}]
    assert_error(
        api(world.agent).post("/orders", new_order(world, customer, lines=lines)), 422, "invalid", fields=("lines.0.product_model_id",)
    )


def test_the_last_page_and_a_far_page_answer_normally(world):
    world.customer()
    client = api(world.hq_manager)
    assert client.get("/customers", page=100_000, page_size=200).json()["results"] == []
    assert client.get("/orders", page=100_000).json()["results"] == []


def test_an_appointment_in_year_10000_names_the_field(world):
    customer = world.customer()
    start = timezone.now() + timedelta(days=1)
    payload = new_order(world, customer, appointment_start=FAR, appointment_end=(start + timedelta(hours=2)).isoformat())
    assert_error(api(world.agent).post("/orders", payload), 422, "invalid", fields=("appointment_start",))
    order = world.order()
    body = {"action": "confirm", "appointment_start": start.isoformat(), "appointment_end": FAR}
    assert_error(api(world.dispatcher).post(f"/orders/{order.pk}/transitions", body), 422, "invalid", fields=("appointment_end",))
    assert_error(
        api(world.users["dealer"]).post("/sales", new_sale(world, purchase_date="0001-01-01")), 422, "invalid", fields=("purchase_date",)
    )
    assert_error(
        api(world.users["dealer"]).post("/sales", new_sale(world, appointment_start=FAR)), 422, "invalid", fields=("appointment_start",)
    )
    assert WorkOrder.objects.count() == 1 and not SaleRegistration.objects.exists()


def test_html_list_pages_with_a_huge_page_number_do_not_fail(world):
    world.order()
    client = Client()
    client.force_login(world.hq_manager)
    for name in ("customer_list", "order_list", "complaint_list", "notification_list", "call_list"):
        response = client.get(reverse(name), {"page": HUGE})
        assert response.status_code == 200, (name, response.status_code)
    client.force_login(world.users["dealer"])
    assert client.get(reverse("sale_list"), {"page": HUGE}).status_code == 200
    client.force_login(world.callback_agent)
    assert client.get(reverse("callback_queue"), {"page": HUGE}).status_code == 200


def test_page_forms_refuse_dates_outside_the_business_range(world):
    """A purchase on 9999-12-31 would put the warranty's end past year 9999 (a 500 before)."""
    customer = world.customer()
    client = Client()
    client.force_login(world.agent)
    response = client.post(
        reverse("appliance_create", args=[customer.pk]), {"product_model": world.model.pk, "purchase_date": "9999-12-31"}
    )
    assert response.status_code < 500
    assert "请填写 1970-01-01 至 2099-12-31 之间的日期" in response.content.decode()
    assert not customer.appliances.exists()
    client.force_login(world.hq_manager)
    response = client.get(reverse("call_list"), {"date_to": "9999-12-31"})
    assert response.status_code == 200


def test_page_form_texts_are_bounded_by_the_model(world):
    from anxin.complaints.forms import ComplaintForm, ResolveForm
    from anxin.customers.forms import CustomerEditForm, CustomerForm
    from anxin.telephony.forms import CallLogForm

    too_long = "x" * 2001
    assert "notes" in CustomerForm({"name": "张伟", "phone": "13812345678", "address": ADDRESS, "notes": too_long}).errors
    assert "notes" in CustomerEditForm({"name": "张伟", "notes": too_long}).errors
    assert "description" in ComplaintForm({"severity": "minor", "channel": "hotline", "description": too_long}).errors
    assert {"resolution", "root_cause_note"} <= set(ResolveForm({"resolution": too_long, "root_cause_note": too_long}).errors)
    form = CallLogForm({"notes": too_long, "advice": too_long}, orders=[])
    assert {"notes", "advice"} <= set(form.errors)


def test_the_order_list_filters_ignore_dates_and_ids_no_database_can_take(world):
    """Filters bar (GET): an invalid filter is dropped, as the page promises — not a 500."""
    world.order()
    client = Client()
    client.force_login(world.hq_manager)
    for params in ({"created_from": "0001-01-01"}, {"created_to": "9999-12-31"}, {"outlet": HUGE}):
        for name in ("order_list", "order_export"):
            response = client.get(reverse(name), params)
            assert response.status_code == 200, (name, params, response.status_code)


def test_the_new_order_page_ignores_a_fault_code_no_database_can_take(world):
    from anxin.customers.services import appliance_add
    from anxin.orders.tests.test_views import _new_order_form

    customer = world.customer()
    appliance = appliance_add(
        actor=world.agent,
        customer=customer,
        product_model=world.model,
        serial="SN-9",
        purchase_date=timezone.localdate() - timedelta(days=30),
    )
    client = Client()
    client.force_login(world.agent)
    data = _new_order_form(world, customer, appliance, **{f"fault_code_id_{appliance.pk}": HUGE})
    response = client.post(f"{reverse('order_create')}?customer={customer.pk}", data)
    assert response.status_code == 302
    assert WorkOrder.objects.get().lines.get().fault_code is None
