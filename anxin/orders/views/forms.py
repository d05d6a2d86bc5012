"""Work-order forms: they parse and render input; the services validate and save.

Field names are the services' argument names (``technician``, ``fault_code``, ``reason``,
``expected_version``, ``appointment_end`` …) so a service's ``ValidationFailed.fields`` lands next
to the input of the same name, and a browser test can fill ``[name=…]`` without knowing the view.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.limits import validate_business_date
from anxin.customers.selectors import mask_address
from anxin.orders.choices import OrderType, Priority, ReturnKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class TransitionForm(forms.Form):
    """The data any action may carry; which of it is required is the transition table's business."""

    expected_version = forms.IntegerField(min_value=1)
    technician = forms.IntegerField(required=False, min_value=1)
    outlet = forms.IntegerField(required=False, min_value=1)
    fault_code = forms.IntegerField(required=False, min_value=1)
    resolution = forms.CharField(required=False, max_length=200)
    reason = forms.CharField(required=False, max_length=300)
    hazard_type = forms.CharField(required=False, max_length=20)
    hazard_note = forms.CharField(required=False, max_length=300)
    appointment_start = forms.DateTimeField(
        validators=[validate_business_date], required=False, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    appointment_end = forms.DateTimeField(
        validators=[validate_business_date], required=False, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "expected_version" and v not in (None, "")}


class OrderCreateForm(forms.Form):
    """The order header; the lines (appliances with their symptoms) are read by the view, one row per appliance."""

    address = forms.TypedChoiceField(label=_("Address"), coerce=int)
    order_type = forms.ChoiceField(label=_("Type"), choices=OrderType.choices, initial=OrderType.REPAIR)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    # Only for a return / exchange order (the service requires it there and ignores it elsewhere).
    return_kind = forms.ChoiceField(
        label=_("Return or exchange"),
        required=False,
        choices=[("", _("Choose…")), *ReturnKind.choices],
        help_text=_("Return within %(r)s days, exchange within %(x)s days of purchase, for a quality problem."),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
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

    def __init__(self, *args, addresses=(), return_days: int = 15, exchange_days: int = 30, masked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["return_kind"].help_text = self.fields["return_kind"].help_text % {"r": return_days, "x": exchange_days}
        # A role that sees the customer's contact details masked picks the address by its district.
        self.fields["address"].choices = [(a.pk, mask_address(a.text, a.district) if masked else a.text) for a in addresses]
        primary = next((a for a in addresses if a.is_primary), None) or next(iter(addresses), None)
        if primary is not None:
            self.fields["address"].initial = primary.pk
