from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from ninja import Router, Schema, Status

from anxin.sales.models import SaleRegistration
from anxin.sales.selectors import sale_list
from anxin.sales.services import sale_register

router = Router(tags=["sales"])


class SaleItemIn(Schema):
    product_model_id: int | None = None
    model: str = ""
    quantity: int = 1
    serials: list[str] = []


class SaleIn(Schema):
    customer_name: str
    phones: list[str]
    address: str
    items: list[SaleItemIn]
    purchase_date: date
    store_name: str = ""
    invoice_no: str = ""
    install_wanted: bool = True
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    dealer_id: int | None = None


class SaleItemOut(Schema):
    product_model_id: int
    model: str
    quantity: int
    serials: list[str]


class SaleOut(Schema):
    id: int
    dealer_id: int
    customer_id: int
    # Only the name: the customer may have been registered by someone else (never leak their data).
    customer_name: str
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


def sale_out(sale: SaleRegistration) -> SaleOut:
    return SaleOut(
        id=sale.pk,
        dealer_id=sale.dealer_id,
        customer_id=sale.customer_id,
        customer_name=sale.customer.name,
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
def list_sales(request, page: int = 1, page_size: int = 0):
    size = min(page_size or settings.ANXIN_PAGE_SIZE, 200)
    qs = sale_list(user=request.auth)
    start = max(page - 1, 0) * size
    return SalePage(count=qs.count(), results=[sale_out(s) for s in qs[start : start + size]])


@router.post("", response={201: SaleOut})
def register_sale(request, payload: SaleIn):
    sale = sale_register(actor=request.auth, **payload.dict())
    return Status(201, sale_out(sale))
