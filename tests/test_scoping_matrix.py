"""The scoping matrix: every persona against every list, detail and export, API and HTML.

One small world of orders and customers in two regions, and for each persona of ``world.users``
the exact set of objects they may see. Lists must show exactly that set, details answer 200 in
scope and 404 outside it, exports contain exactly the set (or are refused outright), and contact
details are masked for the roles that do not talk to customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from anxin.accounts.choices import OrgKind, OutletKind
from anxin.accounts.models import OrgUnit
from anxin.core.tests.apiclient import api
from anxin.customers.selectors import mask_phone
from anxin.network.models import OutletCoverage
from anxin.orders.completion import minimal_report
from anxin.orders.services import order_transition

HANGZHOU = "浙江省杭州市西湖区文三路90号"
BINJIANG = "浙江省杭州市滨江区江南大道100号"  # a second outlet of the same region covers this district
NANJING = "江苏省南京市玄武区中山路18号"  # the outsiders' region and outlet

# key: (customer name, phone, address, who registers the customer)
CUSTOMERS = {
    "home": ("上官甲", "13812345670", HANGZHOU, "agent"),
    "senior": ("上官乙", "13812345671", HANGZHOU, "agent"),
    "routed": ("上官丙", "13812345672", HANGZHOU, "agent"),
    "dealer": ("上官丁", "13812345673", HANGZHOU, "dealer"),
    "binjiang": ("上官戊", "13812345674", BINJIANG, "agent"),
    "done": ("上官己", "13812345675", HANGZHOU, "agent"),
    "lonely": ("上官庚", "13812345676", HANGZHOU, "agent"),  # no order yet
    "out": ("上官辛", "13812345677", NANJING, "agent"),
    "walk_in": ("上官壬", "13812345678", NANJING, "outsider_dispatcher"),  # registered at the outsiders' outlet, no order
}
ORDERS = ("home", "senior", "routed", "dealer", "binjiang", "done", "out")  # one order per customer of the same key

ALL_ORDERS = set(ORDERS)
REGION_ORDERS = ALL_ORDERS - {"out"}
OUTLET_ORDERS = {"home", "senior", "routed", "dealer", "done"}
ALL_CUSTOMERS = set(CUSTOMERS)
REGION_CUSTOMERS = ALL_CUSTOMERS - {"out", "walk_in"}

# persona: (orders they see, customers they see)
EXPECTED = {
    "hq_manager": (ALL_ORDERS, ALL_CUSTOMERS),
    "tech_lead": (ALL_ORDERS, ALL_CUSTOMERS),
    "quality": (ALL_ORDERS, ALL_CUSTOMERS),
    "settlement": (ALL_ORDERS, ALL_CUSTOMERS),
    "region_director": (REGION_ORDERS, REGION_CUSTOMERS),
    # The hotline sees the nationwide customer archive, but only its region's orders.
    "agent": (REGION_ORDERS, ALL_CUSTOMERS),
    "callback_agent": (REGION_ORDERS, ALL_CUSTOMERS),
    "parts_clerk": (OUTLET_ORDERS, {"home", "senior", "routed", "dealer", "done"}),
    "dispatcher": (OUTLET_ORDERS, {"home", "senior", "routed", "dealer", "done"}),
    "technician": ({"home", "done"}, {"home", "done"}),
    "senior": ({"senior"}, {"senior"}),
    "dealer": ({"dealer"}, {"dealer"}),
    "outsider_director": ({"out"}, {"out", "walk_in"}),
    "outsider_dispatcher": ({"out"}, {"out", "walk_in"}),
    "outsider_technician": ({"out"}, {"out"}),
}
PERSONAS = list(EXPECTED)

# Roles that talk to customers see full numbers; everyone else 138****5678. A technician sees the
# full number only while a job for that customer is open (here: assigned), not after completion.
FULL_CONTACT = {
    "hq_manager": ALL_CUSTOMERS,
    "agent": ALL_CUSTOMERS,
    "callback_agent": ALL_CUSTOMERS,
    "dispatcher": EXPECTED["dispatcher"][1],
    "outsider_dispatcher": EXPECTED["outsider_dispatcher"][1],
    "dealer": {"dealer"},
    "technician": {"home"},
    "senior": {"senior"},
    "outsider_technician": {"out"},
}


@dataclass
class Matrix:
    world: object
    orders: dict
    customers: dict

    def order_numbers(self) -> dict[str, str]:
        return {k: o.number for k, o in self.orders.items()}

    def customer_names(self) -> dict[str, str]:
        return {k: c.name for k, c in self.customers.items()}


@pytest.fixture
def matrix(world) -> Matrix:
    outlet_b = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="滨江特约网点", outlet_kind=OutletKind.AUTHORIZED, city="杭州市"
    )
    OutletCoverage.objects.create(outlet=outlet_b, division_prefix="330108")

    customers = {
        key: world.customer(name=name, phone=phone, address=address, actor=world.users[actor])
        for key, (name, phone, address, actor) in CUSTOMERS.items()
    }
    orders = {}
    for key in ORDERS:
        actor = world.users["dealer"] if key == "dealer" else world.agent
        orders[key] = world.order(customer=customers[key], actor=actor)

    def step(key, action, actor, **data):
        orders[key] = order_transition(order_id=orders[key].pk, action=action, actor=actor, data=data)

    tech = world.users["technician"]
    step("home", "assign", world.dispatcher, technician=world.technician.pk)
    step("senior", "assign", world.dispatcher, technician=world.senior_technician.pk)
    step("done", "assign", world.dispatcher, technician=world.technician.pk)
    step("done", "check_in", tech)
    step("done", "complete", tech, **minimal_report(orders["done"]))
    step("out", "assign", world.outsider_dispatcher, technician=world.outsider_technician.pk)

    # The world is what the matrix assumes.
    assert orders["binjiang"].outlet == outlet_b
    assert orders["out"].outlet == world.other_outlet
    assert customers["out"].region == world.other_region
    assert orders["dealer"].dealer == world.dealer
    assert {o.outlet for k, o in orders.items() if k in OUTLET_ORDERS} == {world.outlet}
    return Matrix(world=world, orders=orders, customers=customers)


def present(content: str, labels: dict[str, str]) -> set[str]:
    return {key for key, label in labels.items() if label in content}


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def test_every_persona_is_in_the_matrix(world):
    assert set(world.users) == set(EXPECTED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_orders(matrix, persona):
    expected, _ = EXPECTED[persona]
    user = matrix.world.users[persona]
    numbers = matrix.order_numbers()

    # API list and details
    client = api(user)
    listed = client.get("/orders", page_size=200).json()
    assert {o["number"] for o in listed["results"]} == {numbers[k] for k in expected}
    assert listed["count"] == len(expected)
    for key, order in matrix.orders.items():
        status = client.get(f"/orders/{order.pk}").status_code
        assert status == (200 if key in expected else 404), (key, status)

    # HTML list, details and export
    browser = Client()
    browser.force_login(user)
    page = browser.get(reverse("order_list"))
    assert page.status_code == 200
    assert present(page.content.decode(), numbers) == expected
    for key, order in matrix.orders.items():
        detail_url = url_or_none("order_detail", order.pk)
        if detail_url:
            status = browser.get(detail_url).status_code
            assert status == (200 if key in expected else 404), (key, status)
    export_url = url_or_none("order_export")
    if export_url:
        export = browser.get(export_url, {"format": "csv"})
        assert export.status_code in (200, 403)
        shown = present(export.content.decode("utf-8-sig"), numbers)
        assert shown == (expected if export.status_code == 200 else set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_customers(matrix, persona):
    _, expected = EXPECTED[persona]
    user = matrix.world.users[persona]
    names = matrix.customer_names()

    client = api(user)
    listed = client.get("/customers", page_size=200).json()
    assert {c["name"] for c in listed["results"]} == {names[k] for k in expected}
    assert listed["count"] == len(expected)
    for key, customer in matrix.customers.items():
        status = client.get(f"/customers/{customer.pk}").status_code
        assert status == (200 if key in expected else 404), (key, status)

    browser = Client()
    browser.force_login(user)
    page = browser.get(reverse("customer_list"))
    assert page.status_code in (200, 403)
    assert present(page.content.decode(), names) == (expected if page.status_code == 200 else set())
    for key, customer in matrix.customers.items():
        detail_url = url_or_none("customer_detail", customer.pk)
        if detail_url:
            status = browser.get(detail_url).status_code
            assert status == (200 if key in expected else 404), (key, status)
    export_url = url_or_none("customer_export")
    if export_url:
        export = browser.get(export_url, {"format": "csv"})
        assert export.status_code in (200, 403)
        shown = present(export.content.decode("utf-8-sig"), names)
        assert shown == (expected if export.status_code == 200 else set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_masking(matrix, persona):
    _, visible = EXPECTED[persona]
    full = FULL_CONTACT.get(persona, set())
    user = matrix.world.users[persona]
    client = api(user)
    for key in visible:
        customer = matrix.customers[key]
        phone = CUSTOMERS[key][1]
        body = client.get(f"/customers/{customer.pk}").json()
        shown = body["phones"][0]["number"]
        if key in full:
            assert (shown, body["contact_masked"]) == (phone, False), key
        else:
            assert (shown, body["contact_masked"]) == (mask_phone(phone), True), key
            assert shown.startswith(phone[:3]) and shown.endswith(phone[-4:]) and "****" in shown
            assert "文三路90号" not in body["addresses"][0]["text"]

    browser = Client()
    browser.force_login(user)
    for key in visible & full:
        detail_url = url_or_none("customer_detail", matrix.customers[key].pk)
        if detail_url:
            assert CUSTOMERS[key][1] in browser.get(detail_url).content.decode(), key

    # No page or export of a masked persona carries a full number it may not see.
    hidden_phones = {CUSTOMERS[k][1] for k in visible - full}
    if not hidden_phones:
        return
    urls = [reverse("customer_list"), reverse("order_list")]
    urls += [u for k in visible if (u := url_or_none("customer_detail", matrix.customers[k].pk))]
    urls += [u for k, o in matrix.orders.items() if k in EXPECTED[persona][0] and (u := url_or_none("order_detail", o.pk))]
    urls += [u + "?format=csv" for name in ("customer_export", "order_export") if (u := url_or_none(name))]
    api_urls = ["/api/v1/customers?page_size=200", "/api/v1/orders?page_size=200"]
    for url in urls + api_urls:
        response = browser.get(url)
        content = response.content.decode("utf-8-sig", errors="replace")
        leaked = {p for p in hidden_phones if p in content}
        assert not leaked, (url, leaked)
