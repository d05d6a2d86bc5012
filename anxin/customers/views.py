"""Customer pages: the archive list (with export), the customer profile, and the two entry forms.

Every read goes through ``Customer.objects.visible_to`` (list, export, detail) and every write
through a service; phones and addresses are masked by the same rule on the page and in exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from anxin.accounts.choices import OrgKind
from anxin.core.audit import history_entries
from anxin.core.errors import ApplicationError, TooManyRequests, ValidationFailed
from anxin.core.events import publish
from anxin.core.scoping import get_visible_or_404
from anxin.core.services import activity_record
from anxin.customers.choices import CustomerGroup
from anxin.customers.forms import (
    AddressCorrectionForm,
    AddressForm,
    ApplianceForm,
    CustomerEditForm,
    CustomerForm,
    PhoneForm,
    ReasonForm,
)
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone, Tag
from anxin.customers.pages import with_parts
from anxin.customers.search import customer_search
from anxin.customers.selectors import (
    CUSTOMER_EXPORT_ROLES,
    contact_visible,
    contact_visible_ids,
    customer_list,
    customer_search_throttle,
    dealer_cards,
    dealer_unit_of,
    mask_address,
    mask_phone,
)
from anxin.customers.services import (
    CONTACT_REVEAL_ROLES,
    CUSTOMER_CREATE_ROLES,
    CUSTOMER_EDIT_ROLES,
    CUSTOMER_MERGE_ROLES,
    address_correct,
    address_create,
    address_set_primary,
    appliance_add,
    contact_reveal,
    customer_create,
    customer_marketing_opt_out,
    customer_merge,
    customer_update,
    phone_add,
    phone_normalize,
    phone_remove,
    phone_set_primary,
)
from anxin.web.errors import add_service_errors, ui_error
from anxin.web.exports import table_response

# Who may add an appliance to a customer's archive: the same people who register customers.
APPLIANCE_ADD_ROLES = CUSTOMER_CREATE_ROLES
# An export larger than this is refused: narrow the filter instead (keeps one request bounded).
EXPORT_MAX_ROWS = 50_000
_PHONE_QUERY = re.compile(r"[\d\s\-+()]+")


# --- shared row building (page and export mask the same way) -----------------------------------


@dataclass
class CustomerRow:
    customer: Customer
    masked: bool
    phones: list[str] = field(default_factory=list)
    address: CustomerAddress | None = None
    address_text: str = ""
    # Set on search results only: which field matched and the shown text with the match marked.
    matched: str = ""
    matched_label: str = ""
    matched_html: SafeString | str = ""
    name_html: SafeString | str = ""
    phone_html: SafeString | str = ""
    address_html: SafeString | str = ""
    # A dealer's row: only what its own people recorded (name, numbers, address; decision 0023).
    partial: bool = False
    name: str = ""


def _primary_first(items):
    return sorted(items, key=lambda x: (not x.is_primary, x.pk))


def customer_rows(*, user, customers) -> list[CustomerRow]:
    """Rows for a page or an export; ``customers`` must have phones and addresses prefetched."""
    customers = list(customers)
    unit = dealer_unit_of(user)
    if unit is not None:
        cards = dealer_cards(unit=unit, customer_ids=[c.pk for c in customers])
        return [
            CustomerRow(
                customer=c,
                masked=False,
                phones=list(cards[c.pk].phones),
                address_text=(cards[c.pk].addresses or [""])[0],
                partial=True,
                name=cards[c.pk].name,
            )
            for c in customers
        ]
    visible = contact_visible_ids(user=user, customer_ids=[c.pk for c in customers])
    rows = []
    for c in customers:
        full = c.pk in visible
        phones = [p.number if full else mask_phone(p.number) for p in _primary_first(c.phones.all())]
        addresses = _primary_first(c.addresses.all())
        address = addresses[0] if addresses else None
        text = "" if address is None else (address.text if full else mask_address(address.text, address.district))
        rows.append(CustomerRow(customer=c, masked=not full, phones=phones, address=address, address_text=text, name=c.name))
    return rows


def _filters(request) -> dict:
    q = request.GET.get("q", "").strip()[:50]
    if q and _PHONE_QUERY.fullmatch(q) and any(ch.isdigit() for ch in q):
        q = re.sub(r"\D", "", q)  # "138-1234 5678" searches the digits
    group = request.GET.get("group", "")
    return {
        "q": q,
        "group": group if group in CustomerGroup.values else "",
        "vip": request.GET.get("vip") == "1",
        "sort": request.GET.get("sort", ""),
    }


def _can_export(user) -> bool:
    return user.has_role(*CUSTOMER_EXPORT_ROLES)


# --- list and export --------------------------------------------------------------------------


def matched_labels() -> dict[str, str]:
    return {
        "phone": pgettext("matched field", "phone"),
        "name": pgettext("matched field", "name"),
        "pinyin": pgettext("matched field", "pinyin"),
        "address": pgettext("matched field", "address"),
        "serial": pgettext("matched field", "serial"),
        "order": pgettext("matched field", "order"),
    }


def highlight(text: str, needle: str) -> SafeString:
    """``text`` escaped, with the first occurrence of ``needle`` (case-insensitive) in <mark>."""
    if not needle or not text:
        return escape(text)
    at = text.lower().find(needle.lower())
    if at < 0:
        return escape(text)
    end = at + len(needle)
    return mark_safe(f"{escape(text[:at])}<mark>{escape(text[at:end])}</mark>{escape(text[end:])}")  # noqa: S308 (escaped)


def search_rows(*, user, hits, q: str) -> list[CustomerRow]:
    """List rows for ranked search hits, each saying which field matched, the match marked where shown."""
    customers = [h.customer for h in hits]
    prefetch_related_objects(customers, "region")  # the search loads phones and addresses, not the region
    rows = customer_rows(user=user, customers=customers)
    labels = matched_labels()
    digits = re.sub(r"\D", "", q)
    compact = re.sub(r"\s+", "", q)
    for row, hit in zip(rows, hits, strict=True):
        c = row.customer
        row.matched, row.matched_label = hit.matched, labels.get(hit.matched, hit.matched)
        if row.partial:
            continue  # a dealer's row shows what it recorded, as recorded
        if hit.matched == "phone" and digits:
            phones = _primary_first(c.phones.all())
            match = next((p for p in phones if digits in p.number), None)
            if match is not None:
                shown = match.number if not row.masked else mask_phone(match.number)
                if shown in row.phones:  # the matching number first, the others counted after it
                    row.phones.remove(shown)
                row.phones.insert(0, shown)
                # Matched digits are marked only where the whole number is shown (decision 0024).
                row.phone_html = highlight(shown, digits) if not row.masked else escape(shown)
        elif hit.matched == "name":
            row.name_html = highlight(c.name, compact)
        elif hit.matched == "pinyin":
            row.matched_html = escape(hit.matched_text)
        elif hit.matched == "address":
            addresses = _primary_first(c.addresses.all())
            match = next((a for a in addresses if compact in a.text), row.address)
            if match is not None:
                row.address = match
                row.address_text = match.text if not row.masked else mask_address(match.text, match.district)
                row.address_html = highlight(row.address_text, compact) if not row.masked else escape(row.address_text)
        elif hit.matched in ("serial", "order"):
            row.matched_html = highlight(hit.matched_text, q.strip())
    return rows


# A search returns at most this many ranked customers (no pagination: refine the query instead).
SEARCH_LIMIT = 50


def _search(user, filters: dict):
    """The ranked search of the list (and its export), narrowed by the group / VIP filters; counted
    against the user's search limit (``TooManyRequests`` past it)."""
    customer_search_throttle(user=user)
    search = customer_search(user=user, q=filters["q"], limit=SEARCH_LIMIT)
    if dealer_unit_of(user) is not None:
        return search, search.hits  # no group / VIP filter on what the dealer may not see
    hits = [
        h
        for h in search.hits
        if (not filters["group"] or h.customer.group == filters["group"]) and (not filters["vip"] or h.customer.group == CustomerGroup.VIP)
    ]
    return search, hits


@login_required
@require_GET
def customer_list_view(request):
    filters = _filters(request)
    search = None
    page = None
    error = None
    if filters["q"]:
        try:
            search, hits = _search(request.user, filters)
        except TooManyRequests as exc:
            error, rows = ui_error(exc), []
        else:
            rows = search_rows(user=request.user, hits=hits, q=filters["q"])
    else:
        qs = customer_list(user=request.user, **filters)
        paginator = Paginator(qs, settings.ANXIN_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = customer_rows(user=request.user, customers=page.object_list)
    context = {
        "nav_active": "customers",
        "page_obj": page,
        "rows": rows,
        "search": search,
        "filters": filters,
        "filtered": bool(filters["q"] or filters["group"] or filters["vip"]),
        "groups": CustomerGroup.choices,
        "can_export": _can_export(request.user),
        "can_create": request.user.has_role(*CUSTOMER_CREATE_ROLES),
        "error": error,
    }
    return render(request, "customers/customer_list.html", context, status=error.status if error else 200)


def _export_header() -> list[str]:
    return [
        _("ID"),
        _("Name"),
        _("Customer group"),
        pgettext("customer", "VIP"),
        _("Home region"),
        _("Phone"),
        _("Other phones"),
        _("Address"),
        _("Market tier"),
        _("Needs correction"),
        _("Marketing consent"),
        _("Created at"),
    ]


def _export_values(row: CustomerRow) -> list:
    c = row.customer
    yes, no = _("Yes"), _("No")
    if row.partial:  # a dealer exports what it recorded, nothing of the archive
        return [
            c.pk,
            row.name,
            "",
            "",
            "",
            row.phones[0] if row.phones else "",
            " / ".join(row.phones[1:]),
            row.address_text,
            "",
            "",
            "",
            "",
        ]
    return [
        c.pk,
        c.name,
        c.get_group_display(),
        yes if c.is_vip else no,
        c.region.name if c.region else "",
        row.phones[0] if row.phones else "",
        " / ".join(row.phones[1:]),
        row.address_text,
        row.address.get_market_tier_display() if row.address else "",
        (yes if row.address.needs_review else no) if row.address else "",
        yes if c.marketing_consent else no,
        timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
    ]


@login_required
@require_GET
def customer_export(request):
    if not _can_export(request.user):
        raise PermissionDenied
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    filters = _filters(request)
    if filters["q"]:
        # A search exports exactly the customers the page lists, in the same order.
        try:
            _unused, hits = _search(request.user, filters)
        except TooManyRequests as exc:
            messages.error(request, str(exc.message))
            return redirect(reverse("customer_list"))
        qs = [h.customer for h in hits]
        total = len(qs)
    else:
        qs = customer_list(user=request.user, **filters)
        total = qs.count()
    if total > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("%(count)s customers match; exports are limited to %(max)s rows. Narrow the filter and try again.")
            % {"count": total, "max": EXPORT_MAX_ROWS},
        )
        return redirect(reverse("customer_list") + "?" + request.GET.urlencode())

    rows: list[list] = []
    for start in range(0, total, 2000):  # one prefetch per chunk, not per row
        chunk = customer_rows(user=request.user, customers=qs[start : start + 2000])
        rows.extend(_export_values(r) for r in chunk)

    activity_record(
        actor=request.user,
        action="customers.export",
        target="customers",
        detail={"format": fmt, "filters": {k: v for k, v in filters.items() if v}, "rows": len(rows)},
    )
    return table_response(
        header=_export_header(),
        rows=rows,
        fmt=fmt,
        filename="customers",
        sheet_title=_("Customers"),
        widths=(8, 14, 16, 6, 14, 16, 20, 40, 16, 10, 10, 18),
    )


# --- detail -----------------------------------------------------------------------------------


def warranty_state(appliance: Appliance, today: date) -> tuple[str, str]:
    """(tone, words) for the appliance's warranty: in warranty, expiring soon, expired, unknown."""
    days = getattr(settings, "ANXIN_WARRANTY_EXPIRING_DAYS", 30)
    end = appliance.warranty_end
    if end is None:
        return "grey", pgettext("warranty", "Unknown")
    if end < today:
        return "dark", pgettext("warranty", "Out of warranty")
    if end - today <= timedelta(days=days):
        return "amber", _("Expires in %(days)s days") % {"days": (end - today).days}
    return "green", pgettext("warranty", "In warranty")


def _history(customer: Customer, phones, addresses, *, masked: bool) -> list[dict]:
    entries = history_entries(customer, *phones, *addresses)[:100]
    contact_objects = (CustomerPhone, CustomerAddress)
    types = {"+": pgettext("history", "Created"), "~": pgettext("history", "Changed"), "-": pgettext("history", "Deleted")}
    for e in entries:
        e["type_label"] = types.get(e["type"], e["type"])
        if masked and e["model"] in contact_objects:
            for change in e["changes"]:
                change["old"] = "****" if change["old"] not in (None, "") else change["old"]
                change["new"] = "****" if change["new"] not in (None, "") else change["new"]
    return entries


def main_parts_state(appliance: Appliance, today: date) -> tuple[str, str]:
    """The same words for the main-parts warranty (compressor, motor…), which runs longer."""
    return warranty_state(Appliance(warranty_end=appliance.main_parts_warranty_end), today)


# What the customer pages show of the apps above customers (orders, callbacks, calls, a dealer's
# sales, the "new work order" button) comes from the parts they register (``customers.pages``);
# these are the keys when none is registered.
DETAIL_DEFAULTS = {
    "orders": [],
    "order_count": 0,
    "callbacks": [],
    "telephony": False,
    "calls": [],
    "telephony_url": "",
    "can_order": False,
    "new_order_url": "",
}
DEALER_DEFAULTS = {"orders": [], "sales": [], "can_order": False, "new_order_url": ""}


def detail_context(request, customer: Customer, *, revealed: bool = False, reveal_form=None) -> dict:
    user = request.user
    prefetch_related_objects([customer], "phones", "addresses", "appliances__product_model__category", "tags")
    (row,) = customer_rows(user=user, customers=[customer])
    masked = row.masked and not revealed
    phones = _primary_first(customer.phones.all())
    addresses = _primary_first(customer.addresses.all())
    today = timezone.localdate()

    appliances = []
    for a in sorted(customer.appliances.all(), key=lambda a: a.pk, reverse=True):
        tone, words = warranty_state(a, today)
        parts_tone, parts_words = main_parts_state(a, today)
        appliances.append({"appliance": a, "tone": tone, "warranty": words, "parts_tone": parts_tone, "parts_warranty": parts_words})

    can_edit = user.has_role(*CUSTOMER_EDIT_ROLES)
    context = {
        **DETAIL_DEFAULTS,
        "nav_active": "customers",
        "customer": customer,
        "masked": masked,
        "revealed": revealed and row.masked,
        "can_reveal": masked and user.has_role(*CONTACT_REVEAL_ROLES),
        "reveal_form": reveal_form or ReasonForm(),
        "phones": [{"phone": p, "shown": p.number if not masked else mask_phone(p.number)} for p in phones],
        "addresses": [{"address": a, "shown": a.text if not masked else mask_address(a.text, a.district)} for a in addresses],
        "appliances": appliances,
        "history": _history(customer, phones, addresses, masked=masked),
        "can_add_appliance": user.has_role(*APPLIANCE_ADD_ROLES),
        "can_edit": can_edit,
        "can_merge": user.has_role(*CUSTOMER_MERGE_ROLES),
    }
    return with_parts("detail", user=user, customer=customer, context=context)


def dealer_detail_context(request, customer: Customer, unit) -> dict:
    """A dealer's page of a customer: what its people recorded, the appliances it sold, its orders."""
    user = request.user
    card = dealer_cards(unit=unit, customer_ids=[customer.pk])[customer.pk]
    today = timezone.localdate()
    appliances = []
    for a in card.appliances:
        tone, words = warranty_state(a, today)
        appliances.append({"appliance": a, "tone": tone, "warranty": words})
    context = {
        **DEALER_DEFAULTS,
        "nav_active": "customers",
        "customer": customer,
        "card": card,
        "appliances": appliances,
        "can_add_appliance": user.has_role(*APPLIANCE_ADD_ROLES),
    }
    return with_parts("dealer", user=user, customer=customer, context=context)


def _detail_response(request, customer: Customer, **kwargs):
    unit = dealer_unit_of(request.user)
    if unit is not None:
        return render(request, "customers/customer_dealer.html", dealer_detail_context(request, customer, unit))
    return render(request, "customers/customer_detail.html", detail_context(request, customer, **kwargs))


def _visible_customer(user, pk: int) -> Customer:
    return get_visible_or_404(Customer, user, pk=pk)


@login_required
@require_GET
def customer_detail(request, pk: int):
    try:
        customer = _visible_customer(request.user, pk)
    except Http404:
        # A merged duplicate's old links lead to the surviving record (if the user may see it).
        merged = Customer.objects.filter(pk=pk, merged_into__isnull=False).values_list("merged_into_id", flat=True).first()
        if merged and Customer.objects.visible_to(request.user).filter(pk=merged).exists():
            return redirect("customer_detail", pk=merged)
        raise
    return _detail_response(request, customer)


@login_required
@require_http_methods(["POST"])
def customer_reveal(request, pk: int):
    """Show the full phone and address once, for this response only; the reason is logged."""
    customer = _visible_customer(request.user, pk)
    if dealer_unit_of(request.user) is not None:
        raise PermissionDenied  # a dealer's page holds only what it recorded: nothing to reveal
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        contact_reveal(actor=request.user, customer=customer, reason=form.cleaned_data.get("reason", ""))
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        context = detail_context(request, customer, reveal_form=form)
        return render(request, "customers/customer_detail.html", context, status=400)
    except ApplicationError as exc:
        raise PermissionDenied from exc
    response = render(request, "customers/customer_detail.html", detail_context(request, customer, revealed=True))
    response["Cache-Control"] = "no-store"
    return response


# --- forms ------------------------------------------------------------------------------------


def _duplicates(user, raw_phones: list[str]) -> list[dict]:
    """Customers in scope who already have one of these phone numbers."""
    numbers = []
    for raw in raw_phones:
        try:
            numbers.append(phone_normalize(raw).number)
        except ValidationFailed:
            continue  # the service reports the bad number next to its field
    if not numbers:
        return []
    found = list(
        Customer.objects.visible_to(user).filter(phones__number__in=numbers).distinct().prefetch_related("phones", "addresses")[:5]
    )
    rows = customer_rows(user=user, customers=found)
    return [{"customer": r.customer, "name": r.name, "phones": r.phones, "address": r.address_text} for r in rows]


@login_required
@require_http_methods(["GET", "POST"])
def customer_create_view(request):
    user = request.user
    if not user.has_role(*CUSTOMER_CREATE_ROLES):
        raise PermissionDenied
    # ?phone= comes from the hotline screen pop of an unknown caller.
    form = CustomerForm(request.POST or None, initial={"phone": request.GET.get("phone", "")[:30]})
    duplicates: list[dict] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = _duplicates(user, form.phones())
        if not duplicates or data["create_anyway"]:
            # ?call= comes from the screen pop of an unknown caller: ``customer.created`` carries it and
            # telephony links the call, in the creation's transaction (``customers.pages``).
            call_id = request.GET.get("call", "")
            try:
                with transaction.atomic():
                    customer = customer_create(
                        actor=user,
                        name=data["name"],
                        phones=form.phones(),
                        address=data["address"],
                        group=data["group"],
                        marketing_consent=data["marketing_consent"],
                        notes=data["notes"],
                        registered_by=user.org_unit,
                    )
                    publish("customer.created", customer=customer, actor=user, call_id=int(call_id) if call_id.isdigit() else None)
            except ValidationFailed as exc:
                add_service_errors(form, exc, CustomerForm.service_fields)
            else:
                url = reverse("customer_detail", args=[customer.pk])
                messages.success(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("Customer registered:"),
                        url,
                        customer.name,
                    ),
                )
                return redirect(url)
    return render(
        request,
        "customers/customer_form.html",
        {"nav_active": "customers", "form": form, "duplicates": duplicates},
        status=200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appliance_create(request, pk: int):
    user = request.user
    customer = get_visible_or_404(Customer, user, pk=pk)
    if not user.has_role(*APPLIANCE_ADD_ROLES):
        raise PermissionDenied
    form = ApplianceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dealer = user.org_unit if user.org_unit and user.org_unit.kind == OrgKind.DEALER else None
        try:
            appliance = appliance_add(
                actor=user,
                customer=customer,
                product_model=data["product_model"],
                serial=data["serial"],
                purchase_date=data["purchase_date"],
                install_date=data["install_date"],
                dealer=dealer,
                store_name=data["store_name"] or (dealer.name if dealer else ""),
                invoice_no=data["invoice_no"],
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            url = reverse("customer_detail", args=[customer.pk])
            messages.success(
                request,
                format_html('{} <a href="{}#appliances">{}</a>', _("Appliance added:"), url, str(appliance.product_model)),
            )
            return redirect(url + "#appliances")
    (row,) = customer_rows(user=user, customers=[customer])
    context = {"nav_active": "customers", "form": form, "customer": customer, "customer_name": row.name, "partial": row.partial}
    return render(request, "customers/appliance_form.html", context)


# --- profile, phones and addresses --------------------------------------------------------------


def _editable_customer(request, pk: int) -> Customer:
    customer = _visible_customer(request.user, pk)
    if not request.user.has_role(*CUSTOMER_EDIT_ROLES):
        raise PermissionDenied
    return customer


def _back(customer: Customer, anchor: str = "") -> str:
    return reverse("customer_detail", args=[customer.pk]) + (f"#{anchor}" if anchor else "")


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk: int):
    customer = _editable_customer(request, pk)
    initial = {
        "name": customer.name,
        "group": customer.group,
        "tags": ", ".join(customer.tags.values_list("name", flat=True)),
        "marketing_consent": customer.marketing_consent,
        "notes": customer.notes,
    }
    form = CustomerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer_update(
                actor=request.user,
                customer=customer,
                name=data["name"],
                group=data["group"],
                marketing_consent=data["marketing_consent"],
                notes=data["notes"],
                tags=form.tag_names(),
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer updated."))
            return redirect(_back(customer))
    context = {
        "nav_active": "customers",
        "form": form,
        "customer": customer,
        "tag_names": list(Tag.objects.values_list("name", flat=True)[:200]),
    }
    return render(request, "customers/customer_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["POST"])
def customer_opt_out(request, pk: int):
    customer = _editable_customer(request, pk)
    customer_marketing_opt_out(actor=request.user, customer=customer)
    messages.success(request, _("Marketing opt-out recorded."))
    return redirect(_back(customer))


def _simple_form(request, customer, form, *, title: str, submit: str, status: int = 200, target=None):
    return render(
        request,
        "customers/contact_form.html",
        {"nav_active": "customers", "form": form, "customer": customer, "title": title, "submit": submit, "target": target},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def phone_create(request, pk: int):
    customer = _editable_customer(request, pk)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone_add(actor=request.user, customer=customer, number=form.cleaned_data["number"], primary=form.cleaned_data["primary"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Phone number added."))
            return redirect(_back(customer, "profile"))
    return _simple_form(request, customer, form, title=_("Add phone"), submit=_("Add phone"), status=400 if form.errors else 200)


def _customer_phone(request, pk: int, phone_pk: int) -> tuple[Customer, CustomerPhone]:
    customer = _editable_customer(request, pk)
    return customer, get_object_or_404(CustomerPhone, pk=phone_pk, customer=customer)


@login_required
@require_http_methods(["POST"])
def phone_delete(request, pk: int, phone_pk: int):
    customer, phone = _customer_phone(request, pk, phone_pk)
    try:
        phone_remove(actor=request.user, phone=phone)
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Phone number removed."))
    return redirect(_back(customer, "profile"))


@login_required
@require_http_methods(["POST"])
def phone_primary(request, pk: int, phone_pk: int):
    customer, phone = _customer_phone(request, pk, phone_pk)
    phone_set_primary(actor=request.user, phone=phone)
    messages.success(request, _("Primary phone changed."))
    return redirect(_back(customer, "profile"))


@login_required
@require_http_methods(["GET", "POST"])
def address_create_view(request, pk: int):
    customer = _editable_customer(request, pk)
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = address_create(
                actor=request.user, customer=customer, text=form.cleaned_data["text"], primary=form.cleaned_data["primary"]
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            if address.needs_review:
                messages.warning(request, _("The address was saved but could not be matched to a district; please correct it."))
                return redirect("address_correct", pk=customer.pk, address_pk=address.pk)
            messages.success(request, _("Address added."))
            return redirect(_back(customer, "profile"))
    return _simple_form(request, customer, form, title=_("Add address"), submit=_("Add address"), status=400 if form.errors else 200)


def _customer_address(request, pk: int, address_pk: int) -> tuple[Customer, CustomerAddress]:
    customer = _editable_customer(request, pk)
    return customer, get_object_or_404(CustomerAddress, pk=address_pk, customer=customer)


@login_required
@require_http_methods(["GET", "POST"])
def address_correct_view(request, pk: int, address_pk: int):
    customer, address = _customer_address(request, pk, address_pk)
    if not contact_visible(user=request.user, customer=customer):
        # The form shows the street in full: only for those who see the customer's address anyway.
        raise PermissionDenied
    initial = {
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "division_code": address.division_code,
        "market_tier": address.market_tier or None,
    }
    form = AddressCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            address_correct(actor=request.user, address=address, **data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Address corrected."))
            return redirect(_back(customer, "profile"))
    return _simple_form(
        request, customer, form, title=_("Correct address"), submit=_("Save correction"), status=400 if form.errors else 200, target=address
    )


@login_required
@require_http_methods(["POST"])
def address_primary(request, pk: int, address_pk: int):
    customer, address = _customer_address(request, pk, address_pk)
    address_set_primary(actor=request.user, address=address)
    messages.success(request, _("Primary address changed."))
    return redirect(_back(customer, "profile"))


# --- merge --------------------------------------------------------------------------------------


def _mergeable_customer(request, pk: int) -> Customer:
    customer = _visible_customer(request.user, pk)
    if not request.user.has_role(*CUSTOMER_MERGE_ROLES):
        raise PermissionDenied
    return customer


@login_required
@require_GET
def customer_merge_pick(request, pk: int):
    """Step 1: find the duplicate by the same search as the list."""
    customer = _mergeable_customer(request, pk)
    q = _filters(request)["q"]
    if q:
        try:
            customer_search_throttle(user=request.user)
        except TooManyRequests as exc:
            messages.error(request, str(exc.message))
            return redirect(_back(customer))
    search = customer_search(user=request.user, q=q) if q else None
    hits = [h for h in search.hits if h.customer.pk != customer.pk] if search else []
    context = {
        "nav_active": "customers",
        "customer": customer,
        "q": q,
        "search": search,
        "rows": search_rows(user=request.user, hits=hits, q=q) if hits else [],
    }
    return render(request, "customers/merge_pick.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge_confirm(request, pk: int, other_pk: int):
    """Step 2: both records side by side; the one on the left survives."""
    survivor = _mergeable_customer(request, pk)
    duplicate = _visible_customer(request.user, other_pk)
    if survivor.pk == duplicate.pk:
        raise Http404
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_merge(actor=request.user, survivor=survivor, duplicate=duplicate, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customers merged: %(name)s now holds both records.") % {"name": survivor.name})
            return redirect(_back(survivor))
    sides = []
    for c in (survivor, duplicate):
        prefetch_related_objects([c], "phones", "addresses", "appliances__product_model", "tags")
        (row,) = customer_rows(user=request.user, customers=[c])
        side = {
            "row": row,
            "addresses": [a.text if not row.masked else mask_address(a.text, a.district) for a in _primary_first(c.addresses.all())],
            "appliances": list(c.appliances.all()),
            "orders": 0,  # the orders the viewer may see: the orders part (``customers.pages``)
        }
        sides.append(with_parts("merge_side", user=request.user, customer=c, context=side))
    context = {"nav_active": "customers", "form": form, "survivor": survivor, "duplicate": duplicate, "sides": sides}
    return render(request, "customers/merge_confirm.html", context, status=400 if form.errors else 200)
