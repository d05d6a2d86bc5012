from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field

from anxin.catalog.models import ProductModel
from anxin.core.api import Day, Id, Moment, PageNumber, PageSize, model_text, page_slice
from anxin.customers.models import Appliance, Customer, CustomerAddress
from anxin.customers.selectors import contact_visible, mask_address, mask_phone
from anxin.sales.models import SaleRegistration
from anxin.sales.selectors import sale_list
from anxin.sales.services import sale_register, sale_review

router = Router(tags=["sales"])


# Quantities and the number of rows are the service's rules (400 naming ``items.N.quantity``);
# the schema bounds what no rule could use.
class SaleItemIn(Schema):
    product_model_id: Id | None = None
    model: model_text(ProductModel, "code") = ""
    quantity: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] = 1
    serials: Annotated[list[model_text(Appliance, "serial")], Field(max_length=100)] = []


class SaleIn(Schema):
    customer_name: model_text(Customer, "name")
    # As typed ("138 1234 5678"): normalized by the service.
    phones: Annotated[list[Annotated[str, Field(max_length=30)]], Field(max_length=5)]
    address: model_text(CustomerAddress, "text")
    items: Annotated[list[SaleItemIn], Field(max_length=100)]
    purchase_date: Day
    store_name: model_text(SaleRegistration, "store_name") = ""
    invoice_no: model_text(SaleRegistration, "invoice_no") = ""
    install_wanted: bool = True
    appointment_start: Moment | None = None
    appointment_end: Moment | None = None
    dealer_id: Id | None = None


class SaleItemOut(Schema):
    product_model_id: int
    model: str
    quantity: int
    serials: list[str]


class SaleOut(Schema):
    id: int
    dealer_id: int
    customer_id: int
    # What was typed with the sale, never the archive's record: the customer may have been
    # registered by someone else (decision 0023).
    customer_name: str
    phones: list[str]
    address: str
    purchase_date: date
    store_name: str
    invoice_no: str
    install_wanted: bool
    appliance_ids: list[int]
    order_id: int | None
    order_number: str | None
    items: list[SaleItemOut]
    created_at: datetime


class SalePage(Schema):
    count: int
    results: list[SaleOut]


def sale_out(sale: SaleRegistration, user) -> SaleOut:
    # Numbers and address as typed are contact details: masked for roles that see them masked.
    full = contact_visible(user=user, customer=sale.customer)
    return SaleOut(
        id=sale.pk,
        dealer_id=sale.dealer_id,
        customer_id=sale.customer_id,
        customer_name=sale.customer_name,
        phones=[p if full else mask_phone(p) for p in sale.phones or []],
        address=sale.address if full else mask_address(sale.address),
        purchase_date=sale.purchase_date,
        store_name=sale.store_name,
        invoice_no=sale.invoice_no,
        install_wanted=sale.install_wanted,
        appliance_ids=sorted(a.pk for a in sale.appliances.all()),
        order_id=sale.order_id,
        order_number=sale.order.number if sale.order else None,
        items=[SaleItemOut(**item) for item in sale.items],
        created_at=sale.created_at,
    )


@router.get("", response=SalePage)
def list_sales(request, page: PageNumber = 1, page_size: PageSize | None = None):
    qs = sale_list(user=request.auth)
    return SalePage(count=qs.count(), results=[sale_out(s, request.auth) for s in qs[page_slice(page, page_size)]])


@router.post("", response={201: SaleOut})
def register_sale(request, payload: SaleIn):
    sale = sale_register(actor=request.auth, **payload.dict())
    return Status(201, sale_out(sale, request.auth))


class SaleReviewIn(Schema):
    # True: the typed numbers and address join the record (and the name with use_name); False: keep the archive.
    accept: bool
    use_name: bool = False


@router.post("/{sale_id}/review", response=SaleOut)
def review_sale(request, sale_id: Id, payload: SaleReviewIn):
    """An agent settles a sale whose typed name, numbers or address differ from the archive's customer."""
    sale = sale_review(actor=request.auth, sale_id=sale_id, accept=payload.accept, use_name=payload.use_name)
    return sale_out(sale, request.auth)
