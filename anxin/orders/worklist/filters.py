"""The queue's filters bar (GET): invalid values are ignored, never an error page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.core.limits import validate_business_date
from anxin.orders.choices import OrderStatus, OrderType
from anxin.orders.sla.clocks import AT_RISK, BREACHED, ON_TRACK
from anxin.orders.worklist.selectors import ORDER_SORTS
from anxin.web.widgets import FastDateInput, FastHiddenInput, FastSelect


class OrderFilterForm(forms.Form):
    """The filters bar of the queue (GET). Invalid values are ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FastSelect)
    order_type = forms.ChoiceField(label=_("Type"), required=False, widget=FastSelect)
    outlet = forms.TypedChoiceField(label=_("Outlet"), required=False, coerce=int, empty_value=None, widget=FastSelect)
    technician = forms.TypedChoiceField(label=_("Technician"), required=False, coerce=int, empty_value=None, widget=FastSelect)
    vip = forms.ChoiceField(label=_("VIP"), required=False, widget=FastSelect)
    sla = forms.ChoiceField(label=_("SLA"), required=False, widget=FastSelect)
    created_from = forms.DateField(
        label=_("Created from"), required=False, validators=[validate_business_date], widget=FastDateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, validators=[validate_business_date], widget=FastDateInput(attrs={"type": "date"})
    )
    sort = forms.CharField(required=False, widget=FastHiddenInput)

    def __init__(self, *args, outlets=(), technicians=(), **kwargs):
        """``outlets`` and ``technicians``: the ``(pk, label)`` pairs offered (in the user's scope)."""
        super().__init__(*args, **kwargs)
        anything = ("", _("All"))
        self.fields["status"].choices = [anything, ("open", _("Open (any step)")), *OrderStatus.choices]
        self.fields["order_type"].choices = [anything, *OrderType.choices]
        self.fields["outlet"].choices = [anything, *outlets]
        self.fields["technician"].choices = [anything, *technicians]
        self.fields["vip"].choices = [anything, ("1", _("VIP only")), ("0", _("Not VIP"))]
        self.fields["sla"].choices = [
            anything,
            (ON_TRACK, pgettext_lazy("sla", "On track")),
            (AT_RISK, pgettext_lazy("sla", "At risk")),
            (BREACHED, pgettext_lazy("sla", "Breached")),
        ]
        if not outlets:
            del self.fields["outlet"]

    def selector_kwargs(self) -> dict:
        """The valid filters as ``orders.selectors.order_list`` keyword arguments."""
        self.is_valid()  # an invalid filter is dropped (cleaned_data keeps the valid ones)
        data = self.cleaned_data
        vip = data.get("vip")
        sort = data.get("sort") or ""
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "order_type": data.get("order_type") or "",
            "outlet_id": data.get("outlet"),
            "technician_id": data.get("technician"),
            "vip": {"1": True, "0": False}.get(vip or ""),
            "sla": data.get("sla") or "",
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "sort": sort if sort.lstrip("-") in ORDER_SORTS else "",
        }
