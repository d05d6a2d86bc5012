from __future__ import annotations

from django.conf import settings
from ninja import Router, Schema, Status

from anxin.core.scoping import get_visible_or_404
from anxin.customers.models import Customer
from anxin.customers.search import customer_search
from anxin.customers.selectors import contact_visible, contact_visible_ids, customer_list, mask_address, mask_phone
from anxin.customers.services import customer_create

router = Router(tags=["customers"])


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


class CustomerIn(Schema):
    name: str
    phones: list[str]
    address: str
    group: str = "urban"
    marketing_consent: bool = False
    notes: str = ""


class CustomerPage(Schema):
    count: int
    results: list[CustomerOut]


def customer_out(customer: Customer, user, *, full: bool | None = None) -> CustomerOut:
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
def list_customers(request, q: str = "", group: str = "", page: int = 1, page_size: int = 0):
    size = min(page_size or settings.ANXIN_PAGE_SIZE, 200)
    qs = customer_list(user=request.auth, q=q, group=group).order_by("-id")
    start = max(page - 1, 0) * size
    customers = list(qs[start : start + size])
    visible = contact_visible_ids(user=request.auth, customer_ids=[c.pk for c in customers])
    return CustomerPage(count=qs.count(), results=[customer_out(c, request.auth, full=c.pk in visible) for c in customers])


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
def search_customers(request, q: str = "", limit: int = 20):
    """Find customers by any one of: phone, its last 4+ digits, name (1–2 Chinese characters
    too), pinyin or initials, an address fragment, an appliance serial, an order number."""
    result = customer_search(user=request.auth, q=q, limit=max(1, min(limit, 50)))
    customers = [hit.customer for hit in result.hits]
    visible = contact_visible_ids(user=request.auth, customer_ids=[c.pk for c in customers])
    hits = []
    for hit in result.hits:
        full = hit.customer.pk in visible
        # A masked caller must not learn the full number from the matched text either.
        text = hit.matched_text if full or hit.matched != "phone" else mask_phone(hit.matched_text)
        if hit.matched == "address" and not full:
            text = ""
        hits.append(
            SearchHitOut(
                customer=customer_out(hit.customer, request.auth, full=full), score=hit.score, matched=hit.matched, matched_text=text
            )
        )
    return SearchOut(query=result.query, hint=result.hint, results=hits)


@router.get("/{customer_id}", response=CustomerOut)
def get_customer(request, customer_id: int):
    customer = get_visible_or_404(Customer, request.auth, pk=customer_id)
    return customer_out(customer, request.auth)


@router.post("", response={201: CustomerOut})
def create_customer(request, payload: CustomerIn):
    customer = customer_create(actor=request.auth, **payload.dict())
    return Status(201, customer_out(customer, request.auth))
