from __future__ import annotations

from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field

from anxin.core.api import Id, PageNumber, PageSize, model_text, one_of, page_slice
from anxin.core.scoping import get_visible_or_404
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Customer, CustomerAddress
from anxin.customers.search import customer_search
from anxin.customers.selectors import (
    DealerCard,
    contact_visible,
    contact_visible_ids,
    customer_list,
    customer_search_throttle,
    dealer_cards,
    dealer_unit_of,
    mask_address,
    mask_phone,
)
from anxin.customers.services import customer_create

router = Router(tags=["customers"])
# What a person types into a search box (the longest an address or a note could hold).
SearchText = Annotated[str, Field(max_length=200)]
PhoneText = Annotated[str, Field(max_length=30)]


class PhoneOut(Schema):
    number: str
    kind: str
    is_primary: bool


class AddressOut(Schema):
    id: int
    text: str
    province: str
    city: str
    district: str
    division_code: str
    market_tier: int
    needs_review: bool


class CustomerOut(Schema):
    id: int
    name: str
    group: str
    is_vip: bool
    region: str | None
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    contact_masked: bool
    # True for a dealer's view of a customer: only what its own people recorded (decision 0023).
    partial: bool = False


class CustomerIn(Schema):
    name: model_text(Customer, "name")
    # As typed ("138 1234 5678", "+86-…"): normalized to CustomerPhone.number by the service.
    phones: Annotated[list[PhoneText], Field(max_length=5)]
    address: model_text(CustomerAddress, "text")
    group: one_of(CustomerGroup.values) = CustomerGroup.URBAN.value
    marketing_consent: bool = False
    notes: model_text(Customer, "notes") = ""


class CustomerPage(Schema):
    count: int
    results: list[CustomerOut]


def dealer_customer_out(customer: Customer, card: DealerCard) -> CustomerOut:
    """A dealer's view: the name, numbers and addresses it typed; nothing of the archive."""
    return CustomerOut(
        id=customer.pk,
        name=card.name,
        group="",
        is_vip=False,
        region=None,
        phones=[PhoneOut(number=n, kind="", is_primary=i == 0) for i, n in enumerate(card.phones)],
        addresses=[
            AddressOut(id=0, text=t, province="", city="", district="", division_code="", market_tier=0, needs_review=False)
            for t in card.addresses
        ],
        contact_masked=False,
        partial=True,
    )


def customers_out(customers: list[Customer], user) -> list[CustomerOut]:
    """``customer_out`` for many customers: contact masking and a dealer's cards in one query each."""
    unit = dealer_unit_of(user)
    if unit is not None:
        cards = dealer_cards(unit=unit, customer_ids=[c.pk for c in customers])
        return [dealer_customer_out(c, cards[c.pk]) for c in customers]
    visible = contact_visible_ids(user=user, customer_ids=[c.pk for c in customers])
    return [customer_out(c, user, full=c.pk in visible) for c in customers]


def customer_out(customer: Customer, user, *, full: bool | None = None) -> CustomerOut:
    unit = dealer_unit_of(user)
    if unit is not None:
        return dealer_customer_out(customer, dealer_cards(unit=unit, customer_ids=[customer.pk])[customer.pk])
    if full is None:
        full = contact_visible(user=user, customer=customer)
    return CustomerOut(
        id=customer.pk,
        name=customer.name,
        group=customer.group,
        is_vip=customer.is_vip,
        region=customer.region.name if customer.region else None,
        phones=[
            PhoneOut(number=p.number if full else mask_phone(p.number), kind=p.kind, is_primary=p.is_primary) for p in customer.phones.all()
        ],
        addresses=[
            AddressOut(
                id=a.pk,
                text=a.text if full else mask_address(a.text, a.district),
                province=a.province,
                city=a.city,
                district=a.district,
                division_code=a.division_code,
                market_tier=a.market_tier,
                needs_review=a.needs_review,
            )
            for a in customer.addresses.all()
        ],
        contact_masked=not full,
    )


@router.get("", response=CustomerPage)
def list_customers(
    request, q: SearchText = "", group: one_of(CustomerGroup.values) | None = None, page: PageNumber = 1, page_size: PageSize | None = None
):
    if q.strip():
        customer_search_throttle(user=request.auth)
    qs = customer_list(user=request.auth, q=q, group=group or "").order_by("-id")
    customers = list(qs[page_slice(page, page_size)])
    return CustomerPage(count=qs.count(), results=customers_out(customers, request.auth))


class SearchHitOut(Schema):
    customer: CustomerOut
    score: int
    matched: str
    matched_text: str


class SearchOut(Schema):
    query: str
    hint: str
    results: list[SearchHitOut]


@router.get("/search", response=SearchOut)
def search_customers(request, q: SearchText = "", limit: Annotated[int, Field(ge=1, le=50)] = 20):
    """Find customers by any one of: phone, its last 4+ digits, name (1–2 Chinese characters
    too), pinyin or initials, an address fragment, an appliance serial, an order number."""
    if q.strip():
        customer_search_throttle(user=request.auth)
    result = customer_search(user=request.auth, q=q, limit=limit)
    outs = customers_out([hit.customer for hit in result.hits], request.auth)
    hits = []
    for hit, out in zip(result.hits, outs, strict=True):
        full = not out.contact_masked
        # A masked caller must not learn the full number from the matched text either.
        text = hit.matched_text if full or hit.matched != "phone" else mask_phone(hit.matched_text)
        if hit.matched == "address" and not full:
            text = ""
        hits.append(SearchHitOut(customer=out, score=hit.score, matched=hit.matched, matched_text=text))
    return SearchOut(query=result.query, hint=result.hint, results=hits)


@router.get("/{customer_id}", response=CustomerOut)
def get_customer(request, customer_id: Id):
    customer = get_visible_or_404(Customer, request.auth, pk=customer_id)
    return customer_out(customer, request.auth)


@router.post("", response={201: CustomerOut})
def create_customer(request, payload: CustomerIn):
    customer = customer_create(actor=request.auth, **payload.dict())
    return Status(201, customer_out(customer, request.auth))
