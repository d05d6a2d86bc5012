"""The SLA policy table (HQ settings): list, create, edit, deactivate. HQ manager only; others 403."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anxin.accounts.choices import ServiceLevel
from anxin.core.errors import ValidationFailed
from anxin.customers.choices import CustomerGroup, MarketTier
from anxin.network.choices import Grade
from anxin.orders.choices import OrderType
from anxin.orders.models import SlaPolicy
from anxin.orders.sla.policy import POLICY_FIELDS, may_edit_policies, sla_policy_save, specificity
from anxin.orders.workflow.grading import grade_policy, grade_policy_save
from anxin.web.errors import add_service_errors

ANY = ("", gettext_lazy("Any"))


class SlaPolicyForm(forms.Form):
    """The fields of one policy row; the service (``orders.sla.sla_policy_save``) validates them."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    order_type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    market_tier = forms.ChoiceField(label=gettext_lazy("Market tier"), required=False)
    customer_group = forms.ChoiceField(label=gettext_lazy("Customer group"), required=False)
    service_level = forms.ChoiceField(label=gettext_lazy("Service level"), required=False)
    accept_hours = forms.DecimalField(label=gettext_lazy("Time to accept (hours)"), decimal_places=2, max_digits=7)
    visit_hours = forms.DecimalField(label=gettext_lazy("Visit deadline (hours)"), decimal_places=2, max_digits=7)
    onsite_minutes = forms.IntegerField(label=gettext_lazy("On-site standard (minutes, first appliance)"))
    onsite_minutes_per_extra_line = forms.IntegerField(label=gettext_lazy("On-site minutes per further appliance"))
    callback_hours = forms.DecimalField(label=gettext_lazy("Callback within (hours)"), decimal_places=2, max_digits=7)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order_type"].choices = [ANY, *OrderType.choices]
        self.fields["market_tier"].choices = [ANY, *((str(v), label) for v, label in MarketTier.choices if v)]
        self.fields["customer_group"].choices = [ANY, *CustomerGroup.choices]
        self.fields["service_level"].choices = [ANY, *ServiceLevel.choices]
        for name in ("accept_hours", "visit_hours", "callback_hours", "onsite_minutes", "onsite_minutes_per_extra_line"):
            self.fields[name].widget.attrs.update({"min": "0", "step": "any" if "hours" in name else "1"})


def _require_hq(user) -> None:
    if not may_edit_policies(user):
        raise PermissionDenied


def _initial(policy: SlaPolicy | None) -> dict:
    if policy is None:
        return {
            "accept_hours": 2,
            "visit_hours": 48,
            "onsite_minutes": 60,
            "onsite_minutes_per_extra_line": 60,
            "callback_hours": 72,
            "active": True,
        }
    data = {name: getattr(policy, name) for name in POLICY_FIELDS}
    data["market_tier"] = "" if policy.market_tier is None else str(policy.market_tier)
    return data


@login_required
def sla_policy_list(request):
    _require_hq(request.user)
    policies = list(SlaPolicy.objects.order_by("-active", "order_type", "market_tier", "customer_group", "service_level", "id"))
    tiers = dict(MarketTier.choices)
    groups = dict(CustomerGroup.choices)
    for p in policies:
        p.tier_label = tiers.get(p.market_tier, "") if p.market_tier is not None else ""
        p.group_label = groups.get(p.customer_group, "")
        p.specificity = specificity(p)
    return render(request, "orders/sla_list.html", _list_context(policies))


def _list_context(policies, **extra) -> dict:
    return {
        "nav_active": "orders",
        "policies": policies,
        "grade_policy": grade_policy(),
        "grade_choices": Grade.choices,
        **extra,
    }


@login_required
@require_POST
def grade_policy_edit(request):
    """The graded-dispatch policy (the lowest grade for VIP customers), on the SLA policies page."""
    _require_hq(request.user)
    try:
        policy = grade_policy_save(actor=request.user, vip_min_grade=request.POST.get("vip_min_grade", ""))
    except ValidationFailed as exc:
        policies = list(SlaPolicy.objects.order_by("-active", "order_type", "market_tier", "customer_group", "service_level", "id"))
        return render(
            request, "orders/sla_list.html", _list_context(policies, grade_errors=exc.fields.get("vip_min_grade", [])), status=400
        )
    messages.success(request, _("Graded dispatch: VIP customers now need grade %(grade)s or above.") % {"grade": policy.vip_min_grade})
    return redirect("sla_policy_list")


@login_required
def sla_policy_edit(request, pk: int | None = None):
    _require_hq(request.user)
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk is not None else None
    if request.method == "POST":
        form = SlaPolicyForm(request.POST)
        form.is_valid()  # the form only parses for redisplay; the service has the last word
        data = {name: request.POST.get(name, "") for name in POLICY_FIELDS}
        data["active"] = bool(request.POST.get("active"))
        try:
            saved = sla_policy_save(actor=request.user, data=data, policy=policy)
        except ValidationFailed as exc:
            # The form's own parse errors stay; the service's are added where the form found none.
            add_service_errors(form, ValidationFailed(exc.message, fields={k: v for k, v in exc.fields.items() if not form.has_error(k)}))
            return render(request, "orders/sla_form.html", {"nav_active": "orders", "form": form, "policy": policy}, status=400)
        messages.success(request, _("SLA policy “%(name)s” saved.") % {"name": saved.name})
        return redirect("sla_policy_list")
    form = SlaPolicyForm(initial=_initial(policy))
    return render(request, "orders/sla_form.html", {"nav_active": "orders", "form": form, "policy": policy})
