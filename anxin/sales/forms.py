"""The sale registration form: it parses input; ``sale_register`` validates and saves.

Field names are the service's argument names so its ``ValidationFailed.fields`` land next to the
input; the item rows (``items-<n>-product_model`` / ``-quantity`` / ``-serials``) are read by the
view and their errors (``items.<n>.quantity``) shown in the row.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.accounts.choices import OrgKind
from anxin.accounts.models import OrgUnit
from anxin.catalog.models import ProductModel
from anxin.core.limits import validate_business_date
from anxin.orders.views.forms import DATETIME_LOCAL

ITEM_ROWS = 5


class SaleForm(forms.Form):
    # Service error keys → form fields.
    service_fields = {"phones.0": "phone", "phones.1": "phone2"}

    customer_name = forms.CharField(
        label=_("Customer name"), max_length=50, required=False, widget=forms.TextInput(attrs={"autofocus": True})
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    phone2 = forms.CharField(
        label=_("Second phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Province, city, district, street and number")}),
    )
    purchase_date = forms.DateField(
        validators=[validate_business_date],
        label=_("Purchase date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    store_name = forms.CharField(label=_("Store"), max_length=100, required=False)
    invoice_no = forms.CharField(label=_("Invoice number"), max_length=40, required=False)
    install_wanted = forms.BooleanField(label=_("Install wanted"), required=False, initial=True)
    appointment_start = forms.DateTimeField(
        validators=[validate_business_date],
        label=_("Appointment from"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    appointment_end = forms.DateTimeField(
        validators=[validate_business_date],
        label=_("Appointment until"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )

    def __init__(self, *args, dealers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dealers is not None:
            # The HQ manager registers on a dealer's behalf; a dealer's own unit is implied.
            self.fields["dealer_id"] = forms.TypedChoiceField(
                label=_("Dealer"), coerce=int, empty_value=None, required=False, choices=[("", "—"), *((d.pk, str(d)) for d in dealers)]
            )

    def phones(self) -> list[str]:
        return [self.cleaned_data.get("phone", ""), self.cleaned_data.get("phone2", "")]


def dealer_choices(user):
    """Dealers to pick from, or ``None`` when the user is a dealer (their own unit is used)."""
    if user.org_unit is not None and user.org_unit.kind == OrgKind.DEALER:
        return None
    return list(OrgUnit.objects.visible_to(user).filter(kind=OrgKind.DEALER).order_by("code"))


def model_choices() -> list:
    """Models grouped by category for the row selects (one query)."""
    grouped: dict[str, list] = {}
    for m in ProductModel.objects.select_related("category").order_by("category__code", "code"):
        grouped.setdefault(str(m.category), []).append((m.pk, f"{m.code} {m.name}"))
    return list(grouped.items())


def item_rows(data=None, *, count: int = ITEM_ROWS) -> list[dict]:
    """The item rows as posted (or blank): ``{"index", "product_model", "quantity", "serials"}``."""
    rows = []
    for i in range(count):
        if data is None:
            rows.append({"index": i, "product_model": "", "quantity": "1", "serials": ""})
            continue
        rows.append(
            {
                "index": i,
                "product_model": data.get(f"items-{i}-product_model", "").strip(),
                "quantity": data.get(f"items-{i}-quantity", "").strip(),
                "serials": data.get(f"items-{i}-serials", ""),
            }
        )
    return rows


def posted_row_count(data) -> int:
    """How many rows the page sent (the "add row" button clones rows beyond the default five)."""
    try:
        return max(ITEM_ROWS, min(int(data.get("items-count", ITEM_ROWS)), 30))
    except (TypeError, ValueError):
        return ITEM_ROWS
