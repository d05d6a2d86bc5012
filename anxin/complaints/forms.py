from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anxin.complaints.choices import Category, ComplaintChannel, ComplaintStatus, ResponsibleParty, RootCause, Severity
from anxin.complaints.models import Complaint
from anxin.core.limits import max_length_of


class ComplaintForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MINOR)
    category = forms.ChoiceField(label=pgettext_lazy("complaint", "Category"), choices=[("", "—"), *Category.choices], required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=ComplaintChannel.choices, initial=ComplaintChannel.HOTLINE)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=max_length_of(Complaint, "description")
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=max_length_of(Complaint, "resolution")
    )
    root_cause = forms.ChoiceField(label=_("Root cause"), choices=[("", "—"), *RootCause.choices], required=False)
    root_cause_note = forms.CharField(
        label=_("Root cause details"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=max_length_of(Complaint, "root_cause_note"),
    )
    responsible_party = forms.ChoiceField(label=_("Responsible party"), choices=[("", "—"), *ResponsibleParty.choices], required=False)


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", pgettext_lazy("filter", "All")), *ComplaintStatus.choices], required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=[("", pgettext_lazy("filter", "All")), *Severity.choices], required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
