"""A dealer who types a known customer's phone into a sale links the sale to that customer for the
call center, but sees of the customer only what its own people recorded (decision 0023)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from anxin.core.tests.apiclient import api
from anxin.customers.models import Customer, CustomerAddress
from anxin.customers.services import address_add, appliance_add, phone_add
from anxin.sales.models import SaleRegistration, SaleReview
from anxin.sales.services import sale_review
from anxin.sales.tests.test_api import payload
from anxin.sales.tests.test_views import form_data

ARCHIVE_NAME = "欧阳秀英"
ARCHIVE_PHONE = "13812345678"
OTHER_PHONE = "13700001111"
HOME = "浙江省杭州市西湖区文三路90号"
OTHER_REGION = "江苏省南京市玄武区中山路18号"
TYPED = "浙江省杭州市滨江区江南大道1号"
SECRETS = (ARCHIVE_NAME, OTHER_PHONE, "文三路90号", "中山路18号", "AGENT-SN-9")


@pytest.fixture
def archived(world):
    """A customer the dealer never sold to: two numbers, a home and another region's address, an
    appliance from elsewhere."""
    customer = world.customer(name=ARCHIVE_NAME, phone=ARCHIVE_PHONE, address=HOME)
    phone_add(actor=world.agent, customer=customer, number=OTHER_PHONE)
    address_add(actor=world.agent, customer=customer, text=OTHER_REGION)
    appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="AGENT-SN-9")
    return customer


def as_text(response) -> str:
    """An API answer as readable text (the JSON escapes Chinese characters)."""
    return json.dumps(response.json(), ensure_ascii=False)


def assert_nothing_of_the_archive(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_api_sale_links_the_customer_and_reveals_nothing(world, archived):
    dealer = api(world.users["dealer"])
    response = dealer.post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE], address=TYPED))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer_id"] == archived.pk and body["customer_name"] == "陈静"
    assert_nothing_of_the_archive(as_text(response))

    # The dealer's view of the customer: what it typed and the appliances it sold, nothing else.
    detail = dealer.get(f"/customers/{archived.pk}")
    assert detail.status_code == 200
    card = detail.json()
    assert card["name"] == "陈静" and card["partial"] is True
    assert [p["number"] for p in card["phones"]] == [ARCHIVE_PHONE]
    assert [a["text"] for a in card["addresses"]] == [TYPED]
    assert_nothing_of_the_archive(as_text(detail))
    for listing in (dealer.get("/customers"), dealer.get("/customers", q="陈静"), dealer.get("/customers/search", q="陈静")):
        assert listing.status_code == 200
        found = [r.get("customer", r) for r in listing.json()["results"]]
        assert [c["id"] for c in found] == [archived.pk] and found[0]["name"] == "陈静"
        assert_nothing_of_the_archive(as_text(listing))
    # What it typed finds the customer (the whole number or its last digits)...
    for typed in (ARCHIVE_PHONE, ARCHIVE_PHONE[-4:], "江南大道"):
        assert [h["customer"]["id"] for h in dealer.get("/customers/search", q=typed).json()["results"]] == [archived.pk], typed
    # ...the archive's name, other number and address find nothing for the dealer.
    assert dealer.get("/customers/search", q=ARCHIVE_NAME).json()["results"] == []
    assert dealer.get("/customers/search", q=OTHER_PHONE).json()["results"] == []
    assert dealer.get("/customers", q=ARCHIVE_NAME[:2]).json()["count"] == 0


def test_differences_wait_for_an_agent_instead_of_being_merged(world, archived):
    api(world.users["dealer"]).post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE, "13955556666"], address=TYPED))
    sale = SaleRegistration.objects.get()
    archived.refresh_from_db()
    assert archived.name == ARCHIVE_NAME
    assert set(archived.phones.values_list("number", flat=True)) == {ARCHIVE_PHONE, OTHER_PHONE}
    new_address = CustomerAddress.objects.get(customer=archived, text__endswith="江南大道1号")
    assert new_address.unconfirmed and not new_address.is_primary
    assert sale.order.address == new_address  # the install goes where the buyer said
    assert sale.review == SaleReview.PENDING
    assert sale.differences == {"name": "陈静", "phones": ["13955556666"], "address_id": new_address.pk}

    # The agent's queue shows it; confirming adds the number and the address (and the name if asked).
    agent = Client()
    agent.force_login(world.agent)
    assert f'data-sale-review="{sale.pk}"' in agent.get(reverse("sale_review_list")).content.decode()
    agent.post(reverse("sale_review", args=[sale.pk]), {"decision": "accept", "use_name": "1"})
    sale.refresh_from_db()
    archived.refresh_from_db()
    new_address.refresh_from_db()
    assert sale.review == SaleReview.CONFIRMED and sale.reviewed_by == world.agent
    assert archived.name == "陈静" and not new_address.unconfirmed
    assert archived.phones.filter(number="13955556666").exists()


def test_dismissed_review_keeps_the_archive(world, archived):
    api(world.users["dealer"]).post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE, "13955556666"], address=HOME))
    sale = SaleRegistration.objects.get()
    assert set(sale.differences) == {"name", "phones"}  # the home address matched: the install goes there
    sale_review(actor=world.agent, sale_id=sale.pk, accept=False)
    archived.refresh_from_db()
    assert archived.name == ARCHIVE_NAME and not archived.phones.filter(number="13955556666").exists()
    assert SaleRegistration.objects.get().review == SaleReview.DISMISSED


def test_dealer_cannot_confirm_its_own_sale(world, archived):
    api(world.users["dealer"]).post("/sales", payload(world, phones=[ARCHIVE_PHONE]))
    response = api(world.users["dealer"]).post(f"/sales/{SaleRegistration.objects.get().pk}/review", {"accept": True, "use_name": True})
    assert response.status_code == 403


def test_web_pages_show_the_dealer_only_what_it_recorded(world, archived):
    browser = Client()
    browser.force_login(world.users["dealer"])
    response = browser.post(reverse("sale_create"), form_data(world, customer_name="陈静", phone=ARCHIVE_PHONE, address=TYPED), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "陈静" in page
    assert_nothing_of_the_archive(page)
    for url, params in (
        (reverse("customer_detail", args=[archived.pk]), {}),
        (reverse("customer_list"), {}),
        (reverse("customer_list"), {"q": "陈静"}),
        (reverse("customer_list"), {"q": ARCHIVE_PHONE}),
        (reverse("appliance_create", args=[archived.pk]), {}),
        (reverse("sale_list"), {}),
    ):
        page = browser.get(url, params)
        assert page.status_code == 200, url
        assert_nothing_of_the_archive(page.content.decode())
    detail = browser.get(reverse("customer_detail", args=[archived.pk])).content.decode()
    assert "data-dealer-view" in detail and TYPED in detail
    export = browser.get(reverse("customer_export"), {"format": "csv"})
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert "陈静" in text
    assert_nothing_of_the_archive(text)
    # The archive's name finds nothing; the record is not the dealer's to edit or reveal.
    assert f'data-customer="{archived.pk}"' not in browser.get(reverse("customer_list"), {"q": ARCHIVE_NAME}).content.decode()
    assert browser.get(reverse("customer_edit", args=[archived.pk])).status_code == 403
    assert browser.get(reverse("phone_create", args=[archived.pk])).status_code == 403
    assert browser.post(reverse("customer_reveal", args=[archived.pk]), {"reason": "x"}).status_code == 403


def test_dealers_own_customer_shows_what_it_registered_not_later_archive_edits(world):
    customer = world.customer(name="李娜", phone="13955556666", actor=world.users["dealer"])
    phone_add(actor=world.agent, customer=customer, number=OTHER_PHONE)
    address_add(actor=world.agent, customer=customer, text=OTHER_REGION)
    card = api(world.users["dealer"]).get(f"/customers/{customer.pk}").json()
    assert card["name"] == "李娜" and [p["number"] for p in card["phones"]] == ["13955556666"]
    assert len(card["addresses"]) == 1 and "中山路18号" not in card["addresses"][0]["text"]


def test_sale_by_a_second_dealer_is_not_seen_by_the_first(world, archived):
    from anxin.accounts.choices import OrgKind, Role
    from anxin.accounts.models import OrgUnit
    from anxin.accounts.services import user_create

    other = OrgUnit.objects.create(kind=OrgKind.DEALER, parent=world.region, code="D-HZ-02", name="苏宁")
    rival = user_create(username="rival", password="x-pass-2026-long", role=Role.DEALER, org_unit=other, display_name="rival")
    api(rival).post("/sales", payload(world, customer_name="王五", phones=[ARCHIVE_PHONE], address="浙江省杭州市上城区解放路8号"))
    api(world.users["dealer"]).post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE], address=TYPED))
    body = as_text(api(world.users["dealer"]).get(f"/customers/{archived.pk}"))
    assert "王五" not in body and "解放路8号" not in body
    assert Customer.objects.filter(phones__number=ARCHIVE_PHONE).count() == 1


def test_install_order_pages_show_the_dealer_what_it_typed(world, archived):
    dealer = api(world.users["dealer"])
    body = dealer.post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE], address=TYPED)).json()
    order_id = body["order_id"]
    detail = dealer.get(f"/orders/{order_id}")
    assert detail.status_code == 200 and detail.json()["customer_name"] == "陈静"
    assert_nothing_of_the_archive(as_text(detail))
    listed = dealer.get("/orders")
    assert [o["customer_name"] for o in listed.json()["results"]] == ["陈静"]
    browser = Client()
    browser.force_login(world.users["dealer"])
    for url in (reverse("order_detail", args=[order_id]), reverse("order_list"), reverse("order_create") + f"?customer={archived.pk}"):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert_nothing_of_the_archive(page.content.decode())
    # The agent still sees the archive's name on the same order.
    assert api(world.agent).get(f"/orders/{order_id}").json()["customer_name"] == ARCHIVE_NAME


def test_dealer_cannot_order_at_an_archive_address(world, archived):
    dealer = api(world.users["dealer"])
    body = dealer.post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE], address=TYPED, install_wanted=False)).json()
    home = archived.addresses.get(text=HOME)
    response = dealer.post(
        "/orders", {"customer_id": archived.pk, "address_id": home.pk, "lines": [{"appliance_id": body["appliance_ids"][0]}]}
    )
    assert response.status_code == 400 and "address" in response.json()["error"]["fields"]
    agent_appliance = archived.appliances.get(serial="AGENT-SN-9")
    response = dealer.post("/orders", {"customer_id": archived.pk, "lines": [{"appliance_id": agent_appliance.pk}]})
    assert response.status_code == 400 and "lines.0.appliance" in response.json()["error"]["fields"]
    response = dealer.post("/orders?expand=detail", {"customer_id": archived.pk, "lines": [{"appliance_id": body["appliance_ids"][0]}]})
    assert response.status_code == 201, response.content
    assert response.json()["detail"]["address"] == TYPED  # its own address by default


def test_group_and_vip_filters_reveal_nothing_to_a_dealer(world, archived):
    from anxin.customers.choices import CustomerGroup

    Customer.objects.filter(pk=archived.pk).update(group=CustomerGroup.VIP)
    api(world.users["dealer"]).post("/sales", payload(world, customer_name="陈静", phones=[ARCHIVE_PHONE], address=TYPED))
    other = world.customer(name="李娜", phone="13955556666", actor=world.users["dealer"])
    browser = Client()
    browser.force_login(world.users["dealer"])
    # The VIP filter would single the archive's VIP out; for a dealer it filters nothing.
    for params in ({"vip": "1"}, {"group": "urban"}, {"vip": "1", "q": "陈静"}):
        html = browser.get(reverse("customer_list"), params).content.decode()
        shown = {pk for pk in (archived.pk, other.pk) if f'data-customer="{pk}"' in html}
        expected = {archived.pk} if "q" in params else {archived.pk, other.pk}
        assert shown == expected, params
    assert api(world.users["dealer"]).get("/customers", group="vip").json()["count"] == 2
    assert "VIP" not in as_text(api(world.users["dealer"]).get(f"/customers/{archived.pk}"))
