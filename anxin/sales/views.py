"""Dealer pages: register a sale (customer + appliances + one install order) and the sales list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.errors import ApplicationError, NotFound, ValidationFailed
from anxin.customers.models import CustomerAddress
from anxin.sales.forms import ITEM_ROWS, SaleForm, dealer_choices, item_rows, model_choices, posted_row_count
from anxin.sales.models import SaleRegistration, SaleReview
from anxin.sales.selectors import sale_list
from anxin.sales.services import SALE_REGISTER_ROLES, SALE_REVIEW_ROLES, sale_register, sale_review
from anxin.web.errors import add_service_errors, ui_error

ERROR_LABELS = {
    "items": _lazy("Item"),
    "quantity": _lazy("Quantity"),
    "serials": _lazy("Serial numbers"),
    "customer_name": _lazy("Customer name"),
    "phone": _lazy("Phone"),
    "phones": _lazy("Phone"),
    "purchase_date": _lazy("Purchase date"),
    "store_name": _lazy("Store"),
    "invoice_no": _lazy("Invoice number"),
    "dealer": _lazy("Dealer"),
    "dealer_id": _lazy("Dealer"),
}


def _items_for_service(rows: list[dict]) -> tuple[list[dict], list[int]]:
    """Non-blank rows as service items, and the page row index of each (errors are keyed by item)."""
    items, positions = [], []
    for row in rows:
        if not (row["product_model"] or row["serials"].strip()):
            continue
        items.append({"product_model_id": row["product_model"] or None, "quantity": row["quantity"] or "1", "serials": row["serials"]})
        positions.append(row["index"])
    return items, positions


@login_required
@require_http_methods(["GET", "POST"])
def sale_create_view(request):
    if not request.user.has_role(*SALE_REGISTER_ROLES):
        raise PermissionDenied
    status = 200
    error = None
    if request.method == "POST":
        form = SaleForm(request.POST, dealers=dealer_choices(request.user))
        rows = item_rows(request.POST, count=posted_row_count(request.POST))
        if form.is_valid():
            items, positions = _items_for_service(rows)
            data = form.cleaned_data
            try:
                sale = sale_register(
                    actor=request.user,
                    customer_name=data["customer_name"],
                    phones=form.phones(),
                    address=data["address"],
                    items=items,
                    purchase_date=data["purchase_date"],
                    store_name=data["store_name"],
                    invoice_no=data["invoice_no"],
                    install_wanted=data["install_wanted"],
                    appointment_start=data["appointment_start"],
                    appointment_end=data["appointment_end"],
                    dealer_id=data.get("dealer_id"),
                )
            except ValidationFailed as exc:
                # Row errors go into their row (item n is page row positions[n]); the rest onto the form.
                row_errors: dict[int, dict[str, list[str]]] = {}
                other = {}
                for key, msgs in exc.fields.items():
                    parts = key.split(".")
                    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(positions):
                        row_errors.setdefault(positions[int(parts[1])], {}).setdefault(parts[2], []).extend(msgs)
                    else:
                        other[form.service_fields.get(key, key)] = msgs
                for row in rows:
                    row["errors"] = row_errors.get(row["index"], {})
                if "items" in other and not items:
                    rows[0]["errors"] = {"product_model": other.pop("items")}
                if other:
                    add_service_errors(form, ValidationFailed(exc.message, fields=other))
                error = ui_error(exc, labels=ERROR_LABELS)
                status = 400
            else:
                links = format_html('<a href="{}">{}</a>', reverse("customer_detail", args=[sale.customer_id]), sale.customer_name)
                if sale.order_id:
                    links = format_html(
                        '{} · <a href="{}">{}</a>',
                        links,
                        reverse("order_detail", args=[sale.order_id]),
                        _("Install order %(number)s") % {"number": sale.order.number},
                    )
                messages.success(
                    request,
                    format_html("{} {}", _("Sale registered: %(count)s appliances.") % {"count": sale.appliances.count()}, links),
                )
                return redirect("sale_list")
        else:
            status = 400
    else:
        form = SaleForm(dealers=dealer_choices(request.user))
        rows = item_rows()
    context = {
        "nav_active": "sales",
        "form": form,
        "rows": rows,
        "model_choices": model_choices(),
        "row_count": len(rows),
        "default_rows": ITEM_ROWS,
        "error": error,
    }
    return render(request, "sales/sale_form.html", context, status=status)


@login_required
@require_GET
def sale_list_view(request):
    if not request.user.has_role(*SALE_REGISTER_ROLES):
        raise PermissionDenied
    paginator = Paginator(sale_list(user=request.user), settings.ANXIN_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "sales/sale_list.html", {"nav_active": "sales", "page_obj": page, "sales": page.object_list})


@login_required
@require_GET
def sale_review_list(request):
    """Sales whose typed name, numbers or address differ from the archive's customer, oldest first."""
    if not request.user.has_role(*SALE_REVIEW_ROLES):
        raise PermissionDenied
    qs = (
        SaleRegistration.objects.visible_to(request.user)
        .filter(review=SaleReview.PENDING)
        .select_related("customer", "dealer")
        .order_by("created_at", "id")
    )
    page = Paginator(qs, settings.ANXIN_PAGE_SIZE).get_page(request.GET.get("page"))
    address_ids = [s.differences.get("address_id") for s in page.object_list if s.differences.get("address_id")]
    addresses = CustomerAddress.objects.in_bulk(address_ids)
    for sale in page.object_list:
        sale.new_address = addresses.get(sale.differences.get("address_id"))
    return render(request, "sales/review_list.html", {"nav_active": "sales", "page_obj": page, "sales": page.object_list})


@login_required
@require_http_methods(["POST"])
def sale_review_view(request, pk: int):
    if not request.user.has_role(*SALE_REVIEW_ROLES):
        raise PermissionDenied
    accept = request.POST.get("decision") == "accept"
    try:
        sale_review(actor=request.user, sale_id=pk, accept=accept, use_name=request.POST.get("use_name") == "1")
    except NotFound:
        raise Http404 from None  # another region's sale: out of scope
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Sale confirmed into the archive.") if accept else _("Archive kept as it is."))
    return redirect("sale_review_list")
