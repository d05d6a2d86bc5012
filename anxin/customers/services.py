from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.catalog.models import ProductModel
from anxin.core.audit import audited
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.customers.address import parse_address
from anxin.customers.choices import CustomerGroup, PhoneKind
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone

# Who may register a customer: the hotline, managers, outlets (walk-ins) and dealers (sales).
CUSTOMER_CREATE_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR, Role.OUTLET_MANAGER, Role.DEALER)


@dataclass(frozen=True)
class NormalizedPhone:
    number: str
    kind: str


def phone_normalize(raw: str, *, field: str = "phone") -> NormalizedPhone:
    """Validate a Chinese mobile or landline number (CN default) and return it in national digits."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationFailed(fields={field: _("Enter a phone number.")})
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed(fields={field: _("“%(value)s” is not a valid phone number.") % {"value": raw}})
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    if parsed.country_code != 86:
        digits = f"+{parsed.country_code}{parsed.national_number}"
    kind = PhoneKind.MOBILE if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE else PhoneKind.LANDLINE
    return NormalizedPhone(number=digits, kind=kind)


def _region_for(division_code: str):
    from anxin.network.selectors import region_for_division

    return region_for_division(division_code) if division_code else None


@transaction.atomic
def customer_create(
    *,
    actor: User,
    name: str,
    phones: list[str],
    address: str,
    group: str = CustomerGroup.URBAN,
    marketing_consent: bool = False,
    notes: str = "",
    registered_by=None,
) -> Customer:
    if not actor.has_role(*CUSTOMER_CREATE_ROLES):
        raise PermissionDenied(_("Your role may not register customers."))
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Enter the customer's name.")
    if group not in CustomerGroup.values:
        errors["group"] = _("Unknown customer group.")
    if not (address or "").strip():
        errors["address"] = _("Enter an address.")
    normalized = []
    for i, raw in enumerate(p for p in phones if (p or "").strip()):
        field = "phone" if i == 0 else f"phones.{i}"
        try:
            normalized.append(phone_normalize(raw, field=field))
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.fields.items()})
    if not normalized and "phone" not in errors:
        errors["phone"] = _("Enter a phone number.")
    if errors:
        raise ValidationFailed(fields=errors)

    parsed = parse_address(address)
    if registered_by is None:
        # The registering unit keeps seeing its customer (a dealer's sale, an outlet's walk-in).
        registered_by = actor.org_unit
    customer = Customer(
        name=name,
        group=group,
        marketing_consent=marketing_consent,
        notes=notes,
        region=_region_for(parsed.division_code),
        registered_by=registered_by,
        created_by=actor,
    )
    audited(customer, actor, "created").save()
    for i, phone in enumerate(normalized):
        audited(CustomerPhone(customer=customer, number=phone.number, kind=phone.kind, is_primary=i == 0), actor).save()
    address_add(actor=actor, customer=customer, text=address, primary=True, parsed=parsed)
    return customer


def address_add(*, actor: User, customer: Customer, text: str, primary: bool = False, parsed=None) -> CustomerAddress:
    parsed = parsed or parse_address(text)
    row = CustomerAddress(
        customer=customer,
        text=parsed.text,
        province=parsed.province,
        city=parsed.city,
        district=parsed.district,
        detail=parsed.detail,
        division_code=parsed.division_code,
        market_tier=parsed.market_tier,
        needs_review=not parsed.resolved,
        is_primary=primary,
    )
    audited(row, actor, "created").save()
    return row


@transaction.atomic
def appliance_add(
    *,
    actor: User,
    customer: Customer,
    product_model: ProductModel,
    serial: str = "",
    purchase_date: date | None = None,
    install_date: date | None = None,
    dealer=None,
    store_name: str = "",
    invoice_no: str = "",
) -> Appliance:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if purchase_date is not None and purchase_date > today:
        errors["purchase_date"] = _("The purchase date cannot be in the future.")
    if install_date is not None and purchase_date is not None and install_date < purchase_date:
        errors["install_date"] = _("The install date cannot be before the purchase date.")
    if errors:
        raise ValidationFailed(fields=errors)
    appliance = Appliance(
        customer=customer,
        product_model=product_model,
        serial=serial.strip(),
        purchase_date=purchase_date,
        install_date=install_date,
        dealer=dealer,
        store_name=store_name,
        invoice_no=invoice_no,
    )
    appliance.warranty_end = appliance.compute_warranty_end()
    audited(appliance, actor, "created").save()
    return appliance
