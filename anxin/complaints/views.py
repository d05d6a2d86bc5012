"""Complaint pages: the list (filters status / severity / overdue), filing one from an order or a
customer, and the complaint page with its actions and timeline. Reads go through ``visible_to``
(out of scope is 404); each write is one service call; refusals are rendered by ``anxin.web.errors``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.complaints import selectors, services
from anxin.complaints.forms import ComplaintFilterForm, ComplaintForm, ResolveForm
from anxin.complaints.models import Complaint
from anxin.core.errors import ApplicationError, ValidationFailed
from anxin.customers.models import Customer
from anxin.orders.models import WorkOrder
from anxin.web.errors import add_service_errors, render_error

LABELS = {
    "severity": gettext_lazy("Severity"),
    "category": pgettext_lazy("complaint", "Category"),
    "assignee": gettext_lazy("Handler"),
    "root_cause": gettext_lazy("Root cause"),
    "root_cause_note": gettext_lazy("Root cause details"),
    "responsible_party": gettext_lazy("Responsible party"),
    "order": gettext_lazy("Work order"),
}


@login_required
@require_GET
def complaint_list(request):
    form = ComplaintFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.complaint_list(
        user=request.user,
        status=filters.get("status") or "",
        severity=filters.get("severity") or "",
        overdue=bool(filters.get("overdue")),
    )
    page = Paginator(qs, settings.ANXIN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/list.html",
        {
            "nav_active": "complaints",
            "form": form,
            "page_obj": page,
            "filtered": any(filters.values()),
        },
    )


def _subject(request):
    """The order or customer named in the query string (or the posted form), in scope, else 404."""
    source = request.POST if request.method == "POST" else request.GET
    order_id, customer_id = source.get("order"), source.get("customer")
    if order_id:
        if not str(order_id).isdigit():
            raise Http404
        order = get_object_or_404(
            WorkOrder.objects.visible_to(request.user).select_related("customer", "outlet", "technician"), pk=order_id
        )
        return order, order.customer
    if customer_id and str(customer_id).isdigit():
        return None, get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_id)
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def complaint_create_view(request):
    if not request.user.has_role(*services.CREATE_ROLES):
        raise PermissionDenied(_("Your role may not file complaints."))
    order, customer = _subject(request)
    form = ComplaintForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = services.ComplaintInput(
            description=form.cleaned_data["description"],
            category=form.cleaned_data["category"],
            severity=form.cleaned_data["severity"],
            channel=form.cleaned_data["channel"],
            customer_id=customer.pk,
            order_id=order.pk if order else None,
        )
        try:
            complaint = services.complaint_create(actor=request.user, data=data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Complaint %(number)s filed.") % {"number": complaint.number})
            return redirect("complaint_detail", pk=complaint.pk)
    elif request.method == "POST":
        status = 400
    deadlines = [
        {
            "severity": label,
            "respond_hours": int(services.DEADLINES[value].respond.total_seconds() // 3600),
            "resolve_hours": int(services.DEADLINES[value].resolve.total_seconds() // 3600),
        }
        for value, label in services.Severity.choices
    ]
    return render(
        request,
        "complaints/create.html",
        {"nav_active": "complaints", "form": form, "order": order, "customer": customer, "deadlines": deadlines},
        status=status,
    )


def _timeline(complaint: Complaint) -> list[dict]:
    """The complaint's events, newest first (field history stays in simple-history / the admin:
    every write of a complaint is one of these events, so they tell the whole story)."""
    entries = [
        {
            "kind": "event",
            "when": e.at,
            "who": e.actor,
            "event": e.kind,
            "title": e.get_kind_display(),
            "from_label": e.get_from_status_display() if e.from_status else "",
            "to_label": e.get_to_status_display() if e.to_status else "",
            "level": e.level,
            "due_at": e.due_at,
            "note": _(e.note) if e.note else "",
        }
        for e in complaint.events.select_related("actor")
    ]
    return sorted(entries, key=lambda e: (e["when"], e["event"] != "created"), reverse=True)


def _detail_context(request, complaint: Complaint) -> dict:
    actions = services.available_actions(complaint, request.user)
    context = {
        "nav_active": "complaints",
        "complaint": complaint,
        "actions": actions,
        "timeline": _timeline(complaint),
        "resolve_form": ResolveForm(request.POST if request.method == "POST" else None) if "resolve" in actions else None,
        "max_level": services.MAX_LEVEL,
    }
    if "assign" in actions:
        context["handlers"] = selectors.assignable_handlers(complaint=complaint)
    return context


def _get(request, pk: int) -> Complaint:
    qs = Complaint.objects.visible_to(request.user).select_related(
        "customer", "order", "outlet", "technician", "assigned_to", "created_by", "region"
    )
    return get_object_or_404(qs, pk=pk)


@login_required
@require_GET
def complaint_detail(request, pk: int):
    return render(request, "complaints/detail.html", _detail_context(request, _get(request, pk)))


@login_required
@require_POST
def complaint_action(request, pk: int, action: str):
    complaint = _get(request, pk)
    if action not in services.ACTION_SERVICES:
        raise Http404
    post = request.POST
    try:
        if action == "assign":
            assignee = post.get("assignee", "")
            if not assignee.isdigit():
                raise ValidationFailed(fields={"assignee": _("Choose a handler.")})
            services.complaint_assign(actor=request.user, complaint_id=complaint.pk, assignee_id=int(assignee))
        elif action == "escalate":
            services.complaint_escalate(actor=request.user, complaint_id=complaint.pk, reason=post.get("reason", ""))
        elif action == "resolve":
            services.complaint_resolve(
                actor=request.user,
                complaint_id=complaint.pk,
                resolution=post.get("resolution", ""),
                root_cause=post.get("root_cause", ""),
                root_cause_note=post.get("root_cause_note", ""),
                responsible_party=post.get("responsible_party", ""),
            )
        elif action == "close":
            services.complaint_close(actor=request.user, complaint_id=complaint.pk, note=post.get("note", ""))
        elif action == "reopen":
            services.complaint_reopen(actor=request.user, complaint_id=complaint.pk, reason=post.get("reason", ""))
    except ApplicationError as exc:
        complaint.refresh_from_db()
        context = _detail_context(request, complaint)
        if isinstance(exc, ValidationFailed) and context.get("resolve_form") is not None:
            context["resolve_form"].is_valid()
            add_service_errors(context["resolve_form"], exc)
        context["open_action"] = action
        return render_error(request, "complaints/detail.html", context, exc, labels=LABELS)
    messages.success(request, _("Complaint %(number)s updated.") % {"number": complaint.number})
    return redirect("complaint_detail", pk=complaint.pk)
