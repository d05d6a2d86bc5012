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
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone, Tag
from anxin.customers.search import reindex_customers

# Who may register a customer: the hotline, managers, outlets (walk-ins) and dealers (sales).
CUSTOMER_CREATE_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR, Role.OUTLET_MANAGER, Role.DEALER)
# Who may edit a customer's profile, phones and addresses: those who register them, plus the
# callback agents (a callback often turns up a new number or a customer who wants no marketing).
# Not dealers: the archive is shared nationwide and a dealer sees only what its sales recorded; what
# it types for a known customer waits for an agent's confirmation instead (decision 0023).
CUSTOMER_EDIT_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR, Role.OUTLET_MANAGER, Role.CALLBACK_AGENT)
# Who may merge two customer records (duplicates found by the hotline or a region).
CUSTOMER_MERGE_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.REGION_DIRECTOR)
# Roles that see masked contacts but may reveal them, one customer at a time, with a logged reason.
CONTACT_REVEAL_ROLES = (Role.REGION_DIRECTOR, Role.QUALITY, Role.TECH_LEAD)


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
    address_add(actor=actor, customer=customer, text=address, primary=True, parsed=parsed)  # also reindexes
    return customer


@transaction.atomic
def address_add(
    *, actor: User, customer: Customer, text: str, primary: bool = False, parsed=None, unconfirmed: bool = False
) -> CustomerAddress:
    """Save an address (parsed); ``unconfirmed`` marks one a dealer typed for a known customer (decision 0023)."""
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
        is_primary=primary and not unconfirmed,
        unconfirmed=unconfirmed,
    )
    audited(row, actor, "created from a dealer sale, to confirm" if unconfirmed else "created").save()
    reindex_customers([customer.pk])
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
    appliance.main_parts_warranty_end = appliance.compute_main_parts_warranty_end()
    audited(appliance, actor, "created").save()
    reindex_customers([customer.pk])
    return appliance


# --- profile ------------------------------------------------------------------------------------


def _require(actor: User, roles, message) -> None:
    if not actor.has_role(*roles):
        raise PermissionDenied(message)


def tags_from_names(names: list[str]) -> list[Tag]:
    """Existing tags by name, creating the missing ones (names are trimmed, deduplicated)."""
    wanted: list[str] = []
    for raw in names:
        name = (raw or "").strip()[:30]
        if name and name not in wanted:
            wanted.append(name)
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing.get(n) or Tag.objects.create(name=n) for n in wanted]


@transaction.atomic
def customer_update(
    *,
    actor: User,
    customer: Customer,
    name: str,
    group: str,
    marketing_consent: bool,
    notes: str = "",
    tags: list[str] | None = None,
) -> Customer:
    """Change a customer's profile; an opt-out (consent withdrawn) is stamped like ``customer_marketing_opt_out``."""
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Enter the customer's name.")
    if group not in CustomerGroup.values:
        errors["group"] = _("Unknown customer group.")
    if errors:
        raise ValidationFailed(fields=errors)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    reasons = ["updated"]
    if customer.marketing_consent and not marketing_consent:
        customer.marketing_opt_out_at = timezone.now()
    elif marketing_consent:
        customer.marketing_opt_out_at = None
    customer.name, customer.group, customer.marketing_consent, customer.notes = name, group, marketing_consent, notes
    if tags is not None:
        new_tags = tags_from_names(tags)
        old_names = sorted(customer.tags.values_list("name", flat=True))
        if sorted(t.name for t in new_tags) != old_names:
            customer.tags.set(new_tags)
            # simple_history does not follow the M2M: the change reason carries it.
            reasons.append("tags: " + ", ".join(t.name for t in new_tags))
    audited(customer, actor, "; ".join(reasons)[:100]).save()
    reindex_customers([customer.pk])
    return customer


@transaction.atomic
def customer_marketing_opt_out(*, actor: User, customer: Customer) -> Customer:
    """The customer asked for no more marketing contact: consent off, time of the opt-out kept."""
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.marketing_consent = False
    customer.marketing_opt_out_at = timezone.now()
    audited(customer, actor, "marketing opt-out").save()
    return customer


# --- phones and addresses ---------------------------------------------------------------------


def _clear_primary(rows, actor: User) -> None:
    """Un-mark the primary phone or address among ``rows``, each change audited."""
    for row in rows.filter(is_primary=True):
        row.is_primary = False
        audited(row, actor, "primary changed").save()


@transaction.atomic
def phone_add(*, actor: User, customer: Customer, number: str, primary: bool = False) -> CustomerPhone:
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    phone = phone_normalize(number, field="number")
    if customer.phones.filter(number=phone.number).exists():
        raise ValidationFailed(fields={"number": _("This customer already has this number.")})
    if primary:
        _clear_primary(customer.phones.all(), actor)
    row = CustomerPhone(customer=customer, number=phone.number, kind=phone.kind, is_primary=primary or not customer.phones.exists())
    audited(row, actor, "created").save()
    reindex_customers([customer.pk])
    return row


@transaction.atomic
def phone_remove(*, actor: User, phone: CustomerPhone) -> None:
    """Remove a number; the last one stays (a customer must remain reachable and findable)."""
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    customer = Customer.objects.select_for_update().get(pk=phone.customer_id)
    others = list(customer.phones.exclude(pk=phone.pk).order_by("pk"))
    if not others:
        raise ValidationFailed(_("A customer needs at least one phone number; add the new one before removing this one."))
    audited(phone, actor, "removed").delete()
    if phone.is_primary:
        others[0].is_primary = True
        audited(others[0], actor, "primary changed").save()
    reindex_customers([customer.pk])


@transaction.atomic
def phone_set_primary(*, actor: User, phone: CustomerPhone) -> CustomerPhone:
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    _clear_primary(CustomerPhone.objects.filter(customer_id=phone.customer_id).exclude(pk=phone.pk), actor)
    phone.is_primary = True
    audited(phone, actor, "primary changed").save()
    return phone


@transaction.atomic
def address_create(*, actor: User, customer: Customer, text: str, primary: bool = False) -> CustomerAddress:
    """Add an address from the customer page (``address_add`` without the role check is used by registration)."""
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(fields={"text": _("Enter an address.")})
    first = not customer.addresses.exists()
    if primary and not first:
        _clear_primary(customer.addresses.all(), actor)
    return address_add(actor=actor, customer=customer, text=text, primary=primary or first)


@transaction.atomic
def address_correct(
    *,
    actor: User,
    address: CustomerAddress,
    province: str,
    city: str,
    district: str,
    division_code: str,
    market_tier: int,
    detail: str | None = None,
) -> CustomerAddress:
    """A person fixes what the parser could not: divisions, code and market tier; clears the flag."""
    from anxin.customers.choices import MarketTier

    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    errors: dict[str, str] = {}
    province, city, district = (province or "").strip(), (city or "").strip(), (district or "").strip()
    division_code = (division_code or "").strip()
    if not province:
        errors["province"] = _("Enter the province.")
    if not city:
        errors["city"] = _("Enter the city.")
    if division_code and not (division_code.isdigit() and len(division_code) in (2, 4, 6, 9, 12)):
        errors["division_code"] = _("A division code has 6 digits (or 2, 4, 9 or 12).")
    try:
        market_tier = int(market_tier)
    except (TypeError, ValueError):
        market_tier = -1
    if market_tier not in MarketTier.values or market_tier == MarketTier.UNKNOWN:
        errors["market_tier"] = _("Choose the market tier.")
    if errors:
        raise ValidationFailed(fields=errors)
    address = CustomerAddress.objects.select_for_update().get(pk=address.pk)
    address.province, address.city, address.district = province, city, district
    address.division_code, address.market_tier, address.needs_review = division_code, market_tier, False
    if detail is not None:
        address.detail = detail.strip()
    audited(address, actor, "corrected").save()
    if address.is_primary and division_code:
        customer = address.customer
        region = _region_for(division_code)
        if region is not None and customer.region_id != region.pk:
            customer.region = region
            audited(customer, actor, "home region from corrected address").save()
    reindex_customers([address.customer_id])
    return address


@transaction.atomic
def address_set_primary(*, actor: User, address: CustomerAddress) -> CustomerAddress:
    _require(actor, CUSTOMER_EDIT_ROLES, _("Your role may not edit customers."))
    _clear_primary(CustomerAddress.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk), actor)
    address.is_primary = True
    address.unconfirmed = False  # a dealer-typed address made the customer's primary is confirmed by that
    audited(address, actor, "primary changed").save()
    return address


# --- merge and reveal ---------------------------------------------------------------------------


def _merge_relations():
    """Every relation pointing at Customer that a merge must move (search rows and history excluded).

    ``_meta.related_objects`` leaves out relations declared with ``related_name="+"``; those must
    move too, so the hidden reverse relations are read as well (minus auto-created M2M tables).
    """
    from simple_history.models import HistoricalChanges

    from anxin.customers.models import CustomerAccess, SearchToken

    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        model = rel.related_model
        if model in (SearchToken, CustomerAccess) or model._meta.auto_created or issubclass(model, HistoricalChanges):
            continue
        yield rel


def _merge_access(*, survivor: Customer, duplicate: Customer) -> None:
    """Fold the duplicate's access rows into the survivor's. The rows are derived from the orders, and
    the orders have just moved over, so the survivor's rows are the union of both: one row per outlet
    or technician, in the field when either was (decision 0046)."""
    from anxin.customers.models import CustomerAccess

    mine = CustomerAccess.objects.filter(customer=survivor)
    theirs = CustomerAccess.objects.filter(customer=duplicate)
    mine.filter(user__in=theirs.filter(in_field=True, user__isnull=False).values("user")).update(in_field=True)
    theirs.filter(unit__in=mine.filter(unit__isnull=False).values("unit")).delete()
    theirs.filter(user__in=mine.filter(user__isnull=False).values("user")).delete()
    theirs.update(customer=survivor)


@transaction.atomic
def customer_merge(*, actor: User, survivor: Customer, duplicate: Customer, reason: str) -> Customer:
    """Fold ``duplicate`` into ``survivor``: every row pointing at the duplicate moves over, the
    duplicate is kept (marked ``merged_into``) for its history and disappears from lists and search.

    Relations are found through ``Customer._meta.related_objects``, so models added later by other
    apps (calls, sale registrations…) move too without touching this function.
    """
    from anxin.core.services import activity_record

    _require(actor, CUSTOMER_MERGE_ROLES, _("Your role may not merge customers."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Say why these are the same customer.")})
    if survivor.pk == duplicate.pk:
        raise ValidationFailed(fields={"duplicate": _("Choose a different customer.")})
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])}
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise ValidationFailed(fields={"duplicate": _("One of these customers was already merged.")})

    moved: dict[str, int] = {}
    # Phones: an exact duplicate number is dropped, the others move as secondary numbers.
    survivor_numbers = set(survivor.phones.values_list("number", flat=True))
    for phone in duplicate.phones.order_by("pk"):
        if phone.number in survivor_numbers:
            audited(phone, actor, f"merged into customer {survivor.pk}").delete()
            continue
        survivor_numbers.add(phone.number)
        phone.customer, phone.is_primary = survivor, False
        audited(phone, actor, f"merged from customer {duplicate.pk}").save()
        moved["customers.customerphone"] = moved.get("customers.customerphone", 0) + 1
    for address in duplicate.addresses.order_by("pk"):
        address.customer, address.is_primary = survivor, False
        audited(address, actor, f"merged from customer {duplicate.pk}").save()
        moved["customers.customeraddress"] = moved.get("customers.customeraddress", 0) + 1

    for rel in _merge_relations():
        model, label = rel.related_model, rel.related_model._meta.label_lower
        if model in (CustomerPhone, CustomerAddress):
            continue
        if rel.many_to_many:
            accessor = rel.get_accessor_name()
            if accessor and not accessor.endswith("+"):
                items = list(getattr(duplicate, accessor).all())
                getattr(survivor, accessor).add(*items)
                getattr(duplicate, accessor).clear()
                moved[label] = moved.get(label, 0) + len(items)
            continue
        if rel.one_to_one and model._default_manager.filter(**{rel.field.name: survivor}).exists():
            continue  # the survivor has its own; the duplicate keeps its row
        qs = model._default_manager.filter(**{rel.field.name: duplicate})
        if model is Customer:
            qs = qs.exclude(pk=survivor.pk)
        count = qs.update(**{rel.field.name: survivor})
        if count:
            moved[label] = moved.get(label, 0) + count
    _merge_access(survivor=survivor, duplicate=duplicate)
    survivor.tags.add(*duplicate.tags.all())
    if duplicate.notes and duplicate.notes not in survivor.notes:
        survivor.notes = (survivor.notes + "\n" + duplicate.notes).strip()

    duplicate.merged_into = survivor
    audited(duplicate, actor, f"merged into customer {survivor.pk}: {reason}"[:100]).save()
    audited(survivor, actor, f"merged customer {duplicate.pk}: {reason}"[:100]).save()
    activity_record(
        actor=actor,
        action="customers.merge",
        target=survivor,
        detail={"survivor": survivor.pk, "duplicate": duplicate.pk, "reason": reason, "moved": moved},
    )
    from anxin.customers.models import SearchToken

    SearchToken.objects.filter(customer_id=duplicate.pk).delete()
    reindex_customers([survivor.pk])
    return survivor


def contact_reveal(*, actor: User, customer: Customer, reason: str) -> None:
    """Let a masked role see one customer's full contact details once; the reason is logged."""
    from anxin.core.services import activity_record
    from anxin.customers.selectors import contact_visible

    if contact_visible(user=actor, customer=customer):
        return  # nothing hidden, nothing to log
    _require(actor, CONTACT_REVEAL_ROLES, _("Your role may not reveal contact details."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Say why you need the full contact details.")})
    activity_record(actor=actor, action="customers.reveal", target=customer, detail={"reason": reason[:500]})
