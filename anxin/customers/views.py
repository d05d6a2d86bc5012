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
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from anxin.accounts.choices import OrgKind
from anxin.core.audit import history_entries
from anxin.core.errors import ValidationFailed
from anxin.core.scoping import get_visible_or_404
from anxin.core.services import activity_record
from anxin.customers.choices import CustomerGroup
from anxin.customers.forms import ApplianceForm, CustomerForm
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone
from anxin.customers.selectors import (
    CUSTOMER_EXPORT_ROLES,
    contact_visible_ids,
    customer_list,
    mask_address,
    mask_phone,
)
from anxin.customers.services import CUSTOMER_CREATE_ROLES, appliance_add, customer_create, phone_normalize
from anxin.orders.models import WorkOrder
from anxin.orders.services import ORDER_CREATE_ROLES
from anxin.web.errors import add_service_errors
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


def _primary_first(items):
    return sorted(items, key=lambda x: (not x.is_primary, x.pk))


def customer_rows(*, user, customers) -> list[CustomerRow]:
    """Rows for a page or an export; ``customers`` must have phones and addresses prefetched."""
    customers = list(customers)
    visible = contact_visible_ids(user=user, customer_ids=[c.pk for c in customers])
    rows = []
    for c in customers:
        full = c.pk in visible
        phones = [p.number if full else mask_phone(p.number) for p in _primary_first(c.phones.all())]
        addresses = _primary_first(c.addresses.all())
        address = addresses[0] if addresses else None
        text = "" if address is None else (address.text if full else mask_address(address.text, address.district))
        rows.append(CustomerRow(customer=c, masked=not full, phones=phones, address=address, address_text=text))
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


@login_required
@require_GET
def customer_list_view(request):
    filters = _filters(request)
    qs = customer_list(user=request.user, **filters)
    paginator = Paginator(qs, settings.ANXIN_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav_active": "customers",
        "page_obj": page,
        "rows": customer_rows(user=request.user, customers=page.object_list),
        "filters": filters,
        "filtered": bool(filters["q"] or filters["group"] or filters["vip"]),
        "groups": CustomerGroup.choices,
        "can_export": _can_export(request.user),
        "can_create": request.user.has_role(*CUSTOMER_CREATE_ROLES),
    }
    return render(request, "customers/customer_list.html", context)


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


def _order_url_builder():
    """The order page once the orders UI provides it; no link before that."""
    try:
        reverse("order_detail", args=[0])
    except NoReverseMatch:
        return lambda pk: ""
    return lambda pk: reverse("order_detail", args=[pk])


def _history(customer: Customer, phones, addresses, *, masked: bool) -> list[dict]:
    entries = history_entries(customer, *phones, *addresses)[:100]
    contact_objects = {str(CustomerPhone._meta.verbose_name), str(CustomerAddress._meta.verbose_name)}
    types = {"+": pgettext("history", "Created"), "~": pgettext("history", "Changed"), "-": pgettext("history", "Deleted")}
    for e in entries:
        e["type_label"] = types.get(e["type"], e["type"])
        if masked and e["object"] in contact_objects:
            for change in e["changes"]:
                change["old"] = "****" if change["old"] not in (None, "") else change["old"]
                change["new"] = "****" if change["new"] not in (None, "") else change["new"]
    return entries


@login_required
@require_GET
def customer_detail(request, pk: int):
    user = request.user
    customer = get_visible_or_404(Customer, user, pk=pk)
    prefetch_related_objects([customer], "phones", "addresses", "appliances__product_model__category")
    (row,) = customer_rows(user=user, customers=[customer])
    phones = _primary_first(customer.phones.all())
    addresses = _primary_first(customer.addresses.all())
    today = timezone.localdate()

    appliances = []
    for a in sorted(customer.appliances.all(), key=lambda a: a.pk, reverse=True):
        tone, words = warranty_state(a, today)
        appliances.append({"appliance": a, "tone": tone, "warranty": words})

    orders_qs = (
        WorkOrder.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("outlet", "technician")
        .prefetch_related("lines__product_model")
        .order_by("-created_at", "-id")
    )
    orders = list(orders_qs[:50])
    order_url = _order_url_builder()
    for o in orders:
        o.url = order_url(o.pk)

    context = {
        "nav_active": "customers",
        "customer": customer,
        "masked": row.masked,
        "phones": [{"phone": p, "shown": p.number if not row.masked else mask_phone(p.number)} for p in phones],
        "addresses": [{"address": a, "shown": a.text if not row.masked else mask_address(a.text, a.district)} for a in addresses],
        "appliances": appliances,
        "orders": orders,
        "order_count": orders_qs.count() if len(orders) == 50 else len(orders),
        "history": _history(customer, phones, addresses, masked=row.masked),
        "can_order": user.has_role(*ORDER_CREATE_ROLES),
        "can_add_appliance": user.has_role(*APPLIANCE_ADD_ROLES),
        "new_order_url": f"/orders/new/?customer={customer.pk}",
    }
    return render(request, "customers/customer_detail.html", context)


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
    return [{"customer": r.customer, "phones": r.phones, "address": r.address_text} for r in customer_rows(user=user, customers=found)]


@login_required
@require_http_methods(["GET", "POST"])
def customer_create_view(request):
    user = request.user
    if not user.has_role(*CUSTOMER_CREATE_ROLES):
        raise PermissionDenied
    form = CustomerForm(request.POST or None)
    duplicates: list[dict] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = _duplicates(user, form.phones())
        if not duplicates or data["create_anyway"]:
            try:
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
    return render(request, "customers/appliance_form.html", {"nav_active": "customers", "form": form, "customer": customer})
