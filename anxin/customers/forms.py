"""Customer forms: they parse and render input; the services validate and save.

Service errors (``ValidationFailed.fields``) come back to the form with
``anxin.web.errors.add_service_errors`` so they show next to the field they concern.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.catalog.models import ProductModel
from anxin.core.limits import max_length_of, validate_business_date
from anxin.customers.choices import CustomerGroup, MarketTier
from anxin.customers.models import Customer


class CustomerForm(forms.Form):
    # Service error keys → form fields (``customer_create`` numbers the extra phones).
    service_fields = {"phones.0": "phone", "phones.1": "phone2"}

    name = forms.CharField(label=_("Name"), max_length=50, required=False, widget=forms.TextInput(attrs={"autofocus": True}))
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "placeholder": "138 1234 5678"}),
    )
    phone2 = forms.CharField(
        label=_("Second phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Full address with province, city and district; it is split into divisions automatically."),
        widget=forms.TextInput(attrs={"placeholder": _("Province, city, district, street and number")}),
    )
    group = forms.ChoiceField(label=_("Customer group"), choices=CustomerGroup.choices, initial=CustomerGroup.URBAN)
    marketing_consent = forms.BooleanField(
        label=_("Agrees to marketing contact"),
        required=False,
        help_text=_("Only with the customer's consent; they may opt out at any time."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=max_length_of(Customer, "notes"), widget=forms.Textarea(attrs={"rows": 3})
    )
    create_anyway = forms.BooleanField(label=_("This is a different customer: create anyway"), required=False)

    def phones(self) -> list[str]:
        return [p for p in (self.cleaned_data.get("phone", ""), self.cleaned_data.get("phone2", "")) if p.strip()]


class ApplianceForm(forms.Form):
    product_model = forms.ModelChoiceField(
        label=_("Model"),
        queryset=ProductModel.objects.select_related("category").order_by("category__code", "code"),
        empty_label=_("Choose a model"),
        error_messages={"required": _("Choose a product model."), "invalid_choice": _("Choose a product model.")},
    )
    serial = forms.CharField(label=_("Serial / barcode"), max_length=40, required=False)
    purchase_date = forms.DateField(
        validators=[validate_business_date],
        label=_("Purchase date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    install_date = forms.DateField(
        validators=[validate_business_date],
        label=_("Install date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    store_name = forms.CharField(label=_("Store"), max_length=100, required=False)
    invoice_no = forms.CharField(label=_("Invoice number"), max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Group the long model list by category (700+ models in real catalogues).
        models = list(self.fields["product_model"].queryset)
        grouped: dict[str, list] = {}
        for m in models:
            grouped.setdefault(str(m.category), []).append((m.pk, f"{m.code} {m.name}"))
        self.fields["product_model"].choices = [("", _("Choose a model")), *grouped.items()]


class CustomerEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    group = forms.ChoiceField(label=_("Customer group"), choices=CustomerGroup.choices)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=300,
        required=False,
        help_text=_("Separate tags with commas; new tags are created."),
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
    )
    marketing_consent = forms.BooleanField(
        label=_("Agrees to marketing contact"),
        required=False,
        help_text=_("Unticking records the opt-out time."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=max_length_of(Customer, "notes"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "").replace("，", ",").replace("、", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    primary = forms.BooleanField(label=_("Make it the primary number"), required=False)


class AddressForm(forms.Form):
    text = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Province, city, district, street and number")}),
    )
    primary = forms.BooleanField(label=_("Make it the primary address"), required=False)


class AddressCorrectionForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=30, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    district = forms.CharField(label=_("District"), max_length=30, required=False)
    detail = forms.CharField(label=_("Detail"), max_length=200, required=False)
    division_code = forms.CharField(label=_("Division code"), max_length=12, required=False, help_text=_("e.g. 330106"))
    market_tier = forms.TypedChoiceField(
        label=_("Market tier"), coerce=int, choices=[(v, lbl) for v, lbl in MarketTier.choices if v != MarketTier.UNKNOWN]
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
