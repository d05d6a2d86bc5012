"""Callback pages (回访): the queue of completed orders and the record-callback form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from anxin.accounts.choices import Role
from anxin.core.errors import ApplicationError
from anxin.core.scoping import get_visible_or_404
from anxin.customers.selectors import contact_visible, mask_address, mask_phone
from anxin.feedback import services
from anxin.feedback.forms import CallbackForm
from anxin.feedback.selectors import callbacks_due
from anxin.orders.choices import OrderStatus, Satisfaction
from anxin.orders.models import WorkOrder
from anxin.orders.sla.clocks import callback_state, sla_label
from anxin.orders.workflow.transitions import available_actions
from anxin.web.errors import form_errors, render_error

# Who works the callback queue (the menu shows it to these roles); recording follows the guard.
CALLBACK_QUEUE_ROLES = (Role.CALLBACK_AGENT, Role.HQ_MANAGER, Role.QUALITY, Role.REGION_DIRECTOR)


def _decorate(order: WorkOrder, user, now) -> WorkOrder:
    # The deadline stored from the SLA policy and the orders app's callback clock: the same rule as
    # the order page, the work lists, the escalation job and the dashboard.
    order.clock_state = callback_state(order, now)
    order.clock_label = sla_label(order.clock_state)
    order.can_record = any(t.action == "record_callback" for t in available_actions(order, user))
    order.line_list = list(order.lines.all())
    return order


@login_required
@require_GET
def callback_queue(request):
    user = request.user
    if not user.has_role(*CALLBACK_QUEUE_ROLES):
        raise PermissionDenied
    page_obj = Paginator(callbacks_due(user=user), settings.ANXIN_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    page_obj.object_list = [_decorate(o, user, now) for o in page_obj.object_list]
    return render(request, "feedback/queue.html", {"nav_active": "callbacks", "page_obj": page_obj})


def _record_context(request, order: WorkOrder, *, posted=None) -> dict:
    user = request.user
    prefetch_related_objects([order], "lines__product_model__category", "lines__fault_code", "customer__phones")
    _decorate(order, user, timezone.now())
    full = contact_visible(user=user, customer=order.customer)
    phones = sorted(order.customer.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    phone = phones[0].number if phones else ""
    return {
        "nav_active": "callbacks",
        "order": order,
        "phone": phone if full else (mask_phone(phone) if phone else ""),
        "address": order.address.text if full else mask_address(order.address.text, order.address.district),
        "contact_full": full,
        "satisfactions": Satisfaction.choices,
        "posted": posted or {"problem_solved": "on"},
        "last_callback": order.callbacks.select_related("agent").first(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def callback_record(request, order_pk: int):
    order = get_visible_or_404(WorkOrder, request.user, pk=order_pk)
    if request.method == "GET":
        return render(request, "feedback/record.html", _record_context(request, order))
    form = CallbackForm(request.POST)
    try:
        if not form.is_valid():
            raise form_errors(form)
        order = services.callback_record(
            actor=request.user,
            order_id=order.pk,
            satisfaction=form.cleaned_data["satisfaction"],
            problem_solved=form.cleaned_data["problem_solved"],
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except ApplicationError as exc:
        order.refresh_from_db()
        posted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        return render_error(request, "feedback/record.html", _record_context(request, order, posted=posted), exc)
    if order.status == OrderStatus.CLOSED:
        text = _("Callback recorded for %(number)s; the order is closed.")
    else:
        text = _("Callback recorded for %(number)s; the order stays open for follow-up.")
    messages.success(request, text % {"number": order.number})
    return redirect("callback_queue")
