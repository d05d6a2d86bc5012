from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.limits import max_length_of, validate_business_date
from anxin.telephony.choices import CallType, Disposition
from anxin.telephony.models import Call


class CallFilterForm(forms.Form):
    date_from = forms.DateField(
        validators=[validate_business_date], label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        validators=[validate_business_date], label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    call_type = forms.ChoiceField(label=_("Call type"), required=False, choices=[("", _("All types")), *CallType.choices])
    disposition = forms.ChoiceField(label=_("Disposition"), required=False, choices=[("", _("All")), *Disposition.choices])
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)
    number = forms.CharField(label=_("Number contains"), required=False, max_length=20)
    sort = forms.CharField(required=False)

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("All agents")), *[(a.pk, str(a)) for a in agents]]

    def selector_kwargs(self) -> dict:
        if not self.is_valid():
            return {"sort": ""}
        d = self.cleaned_data
        return {
            "date_from": d["date_from"],
            "date_to": d["date_to"],
            "call_type": d["call_type"],
            "disposition": d["disposition"],
            "agent_id": d["agent"],
            "number": "".join(ch for ch in d["number"] if ch.isdigit() or ch == "+"),
            "sort": d["sort"],
        }


class CallLogForm(forms.Form):
    call_type = forms.ChoiceField(label=_("Call type"), choices=[("", "—"), *CallType.choices], required=False)
    disposition = forms.ChoiceField(label=_("Disposition"), choices=[("", "—"), *Disposition.choices], required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=max_length_of(Call, "notes"), widget=forms.Textarea(attrs={"rows": 3})
    )
    advice = forms.CharField(
        label=_("Advice given"),
        required=False,
        max_length=max_length_of(Call, "advice"),
        help_text=_("For phone guidance: what the customer was told to do; a callback confirms it worked."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    order = forms.TypedChoiceField(label=_("Work order"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [("", "—"), *[(o.pk, f"{o.number} · {o.get_order_type_display()}") for o in orders]]


class ExtensionForm(forms.Form):
    extension = forms.CharField(
        label=_("Extension"), max_length=10, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric", "autofocus": True})
    )
