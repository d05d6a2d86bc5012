"""Dealer sale registration (销售登记): one entry at the store → customer archive, appliances and
one complete-set install order (成套服务: entered once, one dispatch, one visit)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit, User
from anxin.catalog.models import ProductModel
from anxin.core.audit import audited
from anxin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from anxin.core.locks import lock_names
from anxin.core.services import activity_record
from anxin.customers.address import parse_address
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Customer, CustomerAddress, CustomerPhone
from anxin.customers.search import reindex_customers
from anxin.customers.services import NormalizedPhone, address_add, appliance_add, customer_create, phone_normalize
from anxin.orders.choices import Channel, OrderType
from anxin.orders.workflow.services import LineInput, OrderInput, order_create, validate_appointment_window
from anxin.sales.models import SaleRegistration, SaleReview

# Who may register a sale: the dealer's sales guide, and the HQ manager on a dealer's behalf.
SALE_REGISTER_ROLES = (Role.DEALER, Role.HQ_MANAGER)
MAX_QUANTITY = 50
MAX_ITEMS = 30
COMPLETE_SET_MIN_UNITS = 2  # appliances in one sale that make the buyer a complete-set customer


def _quantity(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number


def _serials(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [str(s).strip() for s in (value or []) if str(s).strip()]


def _resolve_model(item: dict) -> ProductModel | None:
    model_id = item.get("product_model_id")
    if model_id not in (None, ""):
        try:
            return ProductModel.objects.filter(pk=int(model_id)).first()
        except (TypeError, ValueError):
            return None
    code = str(item.get("model") or item.get("model_code") or "").strip()
    return ProductModel.objects.filter(code__iexact=code).first() if code else None


def _dealer_unit(actor: User, dealer_id: int | None) -> OrgUnit | None:
    if actor.org_unit is not None and actor.org_unit.kind == OrgKind.DEALER:
        return actor.org_unit
    if dealer_id:
        return OrgUnit.objects.filter(pk=dealer_id, kind=OrgKind.DEALER).first()
    return None


def customer_by_phone(numbers: list[str]) -> Customer | None:
    """The customer already holding one of ``numbers`` (the first number wins), looked up across the
    whole archive: a sale must not create a second record for a known caller, whoever registered them."""
    for number in numbers:
        phone = CustomerPhone.objects.filter(number=number).select_related("customer").order_by("customer_id").first()
        if phone is not None:
            return phone.customer
    return None


def _known_customer(*, actor: User, customer: Customer, name: str, numbers: list[str], address: str):
    """Link a sale to the archive's customer who holds one of its numbers, without merging what the
    dealer typed into the record (decision 0023): a differing name and numbers the record lacks are
    only recorded, for an agent to confirm; an address the record lacks is added as *unconfirmed*
    (the install goes there, the archive does not take it as the customer's). Returns the customer
    (locked), the install address and the differences."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    differences: dict = {}
    if name != customer.name:
        differences["name"] = name
    known = set(customer.phones.values_list("number", flat=True))
    new_numbers = [n for n in numbers if n not in known]
    if new_numbers:
        differences["phones"] = new_numbers
    texts = {address, parse_address(address).text.strip()}
    install_address = next((a for a in customer.addresses.order_by("pk") if a.text.strip() in texts), None)
    if install_address is None:
        install_address = address_add(actor=actor, customer=customer, text=address, unconfirmed=True)
    if install_address.unconfirmed:
        differences["address_id"] = install_address.pk
    return customer, install_address, differences


@transaction.atomic
def sale_register(
    *,
    actor: User,
    customer_name: str,
    phones: list[str],
    address: str,
    items: list[dict],
    purchase_date: date | None,
    store_name: str = "",
    invoice_no: str = "",
    install_wanted: bool = True,
    appointment_start: datetime | None = None,
    appointment_end: datetime | None = None,
    dealer_id: int | None = None,
) -> SaleRegistration:
    """Register a sale: find the customer by phone (or create them), add one appliance per unit and,
    if wanted, one install order covering all of them. Every error is reported at once
    (``items.0.quantity``, ``items.1.serials`` …); nothing is saved unless everything is valid."""
    if not actor.has_role(*SALE_REGISTER_ROLES):
        raise PermissionDenied(_("Only dealers may register sales."))
    errors: dict[str, list[str]] = {}

    def err(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    dealer = _dealer_unit(actor, dealer_id)
    if dealer is None:
        err("dealer_id", _("Choose the dealer that made the sale."))
    customer_name = (customer_name or "").strip()
    if not customer_name:
        err("customer_name", _("Enter the customer's name."))
    elif len(customer_name) > 50:
        err("customer_name", _("The name is too long (at most 50 characters)."))
    address = (address or "").strip()
    if not address:
        err("address", _("Enter an address."))
    elif len(address) > 200:
        err("address", _("The address is too long (at most 200 characters)."))
    normalized: list[NormalizedPhone] = []
    for i, raw in enumerate(phones or []):
        if not (raw or "").strip():
            continue
        key = "phone" if i == 0 else f"phones.{i}"
        try:
            normalized.append(phone_normalize(raw, field=key))
        except ValidationFailed as exc:
            for k, msgs in exc.fields.items():
                errors.setdefault(k, []).extend(msgs)
    if not normalized and not any(k == "phone" or k.startswith("phones.") for k in errors):
        err("phone", _("Enter a phone number."))
    if purchase_date is None:
        err("purchase_date", _("Enter the purchase date."))
    elif purchase_date > timezone.localdate():
        err("purchase_date", _("The purchase date cannot be in the future."))
    store_name = (store_name or "").strip()
    if len(store_name) > 100:
        err("store_name", _("At most 100 characters."))
    invoice_no = (invoice_no or "").strip()
    if len(invoice_no) > 40:
        err("invoice_no", _("At most 40 characters."))
    if install_wanted:
        window_errors: dict[str, str] = {}
        validate_appointment_window(appointment_start, appointment_end, window_errors)
        for k, msg in window_errors.items():
            err(k, msg)

    lines: list[tuple[ProductModel, int, list[str]]] = []
    seen_serials: set[str] = set()
    if not items:
        err("items", _("Add at least one appliance."))
    elif len(items) > MAX_ITEMS:
        err("items", _("At most %(count)s item rows per sale.") % {"count": MAX_ITEMS})
    for i, item in enumerate(items or []):
        model = _resolve_model(item)
        if model is None:
            err(f"items.{i}.product_model", _("Choose a product model."))
        quantity = _quantity(item.get("quantity", 1))
        if quantity is None:
            err(f"items.{i}.quantity", _("Enter a whole number."))
        elif not 1 <= quantity <= MAX_QUANTITY:
            err(f"items.{i}.quantity", _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY})
        serials = _serials(item.get("serials"))
        if quantity is not None and len(serials) > quantity:
            err(
                f"items.{i}.serials",
                _("%(serials)s serial numbers for a quantity of %(quantity)s: give at most one per unit.")
                % {"serials": len(serials), "quantity": quantity},
            )
        for serial in serials:
            if len(serial) > 40:
                err(f"items.{i}.serials", _("Serial “%(serial)s” is longer than 40 characters.") % {"serial": serial[:40]})
            elif serial.upper() in seen_serials:
                err(f"items.{i}.serials", _("Serial “%(serial)s” is entered twice.") % {"serial": serial})
            seen_serials.add(serial.upper())
        if model is not None and quantity is not None:
            lines.append((model, quantity, serials))
    if errors:
        raise ValidationFailed(fields=errors)

    numbers = [p.number for p in normalized]
    lock_names(*(f"phone:{n}" for n in numbers))  # two first sales for one new number: one customer
    customer = customer_by_phone(numbers)
    differences: dict = {}
    if customer is None:
        customer = customer_create(actor=actor, name=customer_name, phones=numbers, address=address, registered_by=dealer)
        install_address = customer.addresses.filter(is_primary=True).first()
    else:
        customer, install_address, differences = _known_customer(
            actor=actor, customer=customer, name=customer_name, numbers=numbers, address=address
        )

    appliances = []
    for model, quantity, serials in lines:
        for unit in range(quantity):
            appliances.append(
                appliance_add(
                    actor=actor,
                    customer=customer,
                    product_model=model,
                    serial=serials[unit] if unit < len(serials) else "",
                    purchase_date=purchase_date,
                    dealer=dealer,
                    store_name=store_name,
                    invoice_no=invoice_no,
                )
            )

    # Several appliances bought together make a complete-set customer (成套用户), unless the customer
    # is already in a higher-end group (VIP, project).
    units = sum(quantity for _model, quantity, _serials in lines)
    if units >= COMPLETE_SET_MIN_UNITS and customer.group in (CustomerGroup.URBAN, CustomerGroup.RURAL):
        customer.group = CustomerGroup.COMPLETE_SET
        audited(customer, actor, "complete-set sale").save(update_fields=["group"])
    reindex_customers([customer.pk])

    # The sale first: what the dealer typed is then its record, which the order's checks go by.
    sale = SaleRegistration.objects.create(
        dealer=dealer,
        registered_by=actor,
        customer=customer,
        customer_name=customer_name,
        phones=numbers,
        address=install_address.text if install_address else address,
        review=SaleReview.PENDING if differences else SaleReview.NONE,
        differences=differences,
        purchase_date=purchase_date,
        store_name=store_name,
        invoice_no=invoice_no,
        install_wanted=install_wanted,
        items=[
            {"product_model_id": model.pk, "model": model.code, "quantity": quantity, "serials": serials}
            for model, quantity, serials in lines
        ],
    )
    sale.appliances.set(appliances)
    if install_wanted:
        sale.order = order_create(
            actor=actor,
            data=OrderInput(
                customer_id=customer.pk,
                lines=[LineInput(appliance_id=a.pk) for a in appliances],
                address_id=install_address.pk if install_address else None,
                order_type=OrderType.INSTALL,
                channel=Channel.DEALER,
                description=_("Install after a sale at %(store)s (%(count)s appliances).")
                % {"store": store_name or dealer.name, "count": len(appliances)},
                appointment_start=appointment_start,
                appointment_end=appointment_end,
                dealer_id=dealer.pk,
            ),
        )
        sale.save(update_fields=["order"])
    return sale


# Who confirms what a dealer typed for a known customer: the hotline and the managers who keep the archive.
SALE_REVIEW_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR)


@transaction.atomic
def sale_review(*, actor: User, sale_id: int, accept: bool, use_name: bool = False) -> SaleRegistration:
    """An agent settles a sale whose typed data differ from the archive (decision 0023).

    ``accept``: the numbers the record lacked are added, the install address becomes one of the
    customer's confirmed addresses and, with ``use_name``, the typed name replaces the archive's.
    Otherwise the archive is kept as it is (the unconfirmed address stays the install order's only).
    Either way the decision is recorded on the sale and in the activity log."""
    if not actor.has_role(*SALE_REVIEW_ROLES):
        raise PermissionDenied(_("Your role may not confirm dealer sales."))
    sale = SaleRegistration.objects.visible_to(actor).select_for_update().filter(pk=sale_id).first()
    if sale is None or not Customer.objects.visible_to(actor).filter(pk=sale.customer_id).exists():
        raise NotFound()
    if sale.review != SaleReview.PENDING:
        raise Conflict(_("This sale was already settled."))
    customer = Customer.objects.select_for_update().get(pk=sale.customer_id)
    applied: list[str] = []
    if accept:
        known = set(customer.phones.values_list("number", flat=True))
        for number in sale.differences.get("phones", []):
            if number in known:
                continue
            kind = phone_normalize(number).kind
            audited(CustomerPhone(customer=customer, number=number, kind=kind), actor, f"confirmed from sale {sale.pk}").save()
            known.add(number)
            applied.append("phone")
        address = CustomerAddress.objects.filter(pk=sale.differences.get("address_id"), customer=customer, unconfirmed=True).first()
        if address is not None:
            address.unconfirmed = False
            audited(address, actor, f"confirmed from sale {sale.pk}").save()
            applied.append("address")
        name = (sale.differences.get("name") or "").strip()
        if use_name and name and name != customer.name:
            customer.name = name
            audited(customer, actor, f"name confirmed from sale {sale.pk}").save(update_fields=["name"])
            applied.append("name")
        reindex_customers([customer.pk])
    sale.review = SaleReview.CONFIRMED if accept else SaleReview.DISMISSED
    sale.reviewed_by, sale.reviewed_at = actor, timezone.now()
    sale.save(update_fields=["review", "reviewed_by", "reviewed_at"])
    activity_record(
        actor=actor,
        action="sales.review",
        target=sale,
        detail={"sale": sale.pk, "customer": customer.pk, "accepted": accept, "applied": applied},
    )
    return sale
