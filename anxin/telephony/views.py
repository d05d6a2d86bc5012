"""Hotline pages: the screen pop (pushed to the agent's pages as server-sent events, decision 0051), the
call log, the call page with its intake form, the agent's extension, and ticking off a follow-up."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.core.errors import ApplicationError, NotFound, ValidationFailed
from anxin.core.scoping import get_visible_or_404
from anxin.orders.models import WorkOrder
from anxin.telephony import pop_stream, selectors, services
from anxin.telephony.choices import CallType
from anxin.telephony.forms import CallFilterForm, CallLogForm, ExtensionForm
from anxin.telephony.models import Call
from anxin.web.errors import add_service_errors, form_errors, render_error

CALL_LIST_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT, Role.REGION_DIRECTOR)
LOG_LABELS = {
    "call_type": gettext_lazy("Call type"),
    "disposition": gettext_lazy("Disposition"),
    "advice": gettext_lazy("Advice given"),
    "order": gettext_lazy("Work order"),
    "extension": gettext_lazy("Extension"),
}


# --- screen pop -----------------------------------------------------------------------------


def _pop_response(request, call: Call | None) -> HttpResponse:
    return HttpResponse(pop_stream.pop_html(user=request.user, call=call))


@login_required
@require_GET
def screen_pop_stream(request):
    """The agent's pops as server-sent events (``pop_stream``): one connection per page, held open."""
    if request.user.role not in services.AGENT_ROLES:
        return HttpResponse(status=204)  # nothing ever pops for them; a 204 tells EventSource not to reconnect
    return pop_stream.response(request)


@login_required
@require_GET
def screen_pop(request):
    """The pop once (the stream sends the same partial); 204 while the pop named by ``shown`` is current."""
    call = selectors.pop_call_for(user=request.user) if request.user.role in services.AGENT_ROLES else None
    shown = request.GET.get("shown", "")
    if shown == (str(call.pk) if call else ""):
        return HttpResponse(status=204)
    return _pop_response(request, call)


@login_required
@require_POST
def screen_pop_dismiss(request, pk: int):
    with contextlib.suppress(ApplicationError):  # already gone: the pop shows the next call or nothing
        services.call_dismiss(actor=request.user, call_id=pk)
    return _pop_response(request, selectors.pop_call_for(user=request.user))


# --- call log -------------------------------------------------------------------------------


@login_required
@require_GET
def call_list(request):
    user = request.user
    if not user.has_role(*CALL_LIST_ROLES):
        raise PermissionDenied
    agent_ids = Call.objects.visible_to(user).exclude(agent=None).values("agent_id").distinct()
    agents = list(User.objects.filter(pk__in=agent_ids).order_by("username"))
    form = CallFilterForm(request.GET, agents=agents)
    filters = form.selector_kwargs()
    page_obj = Paginator(selectors.call_list(user=user, **filters), settings.ANXIN_PAGE_SIZE).get_page(request.GET.get("page"))
    full = selectors.shows_full_number(user)
    for call in page_obj.object_list:
        call.shown_number = selectors.display_number(user, call.caller_number)
    filtered = any(v not in (None, "") for k, v in filters.items() if k != "sort")
    return render(
        request,
        "telephony/call_list.html",
        {"nav_active": "calls", "form": form, "page_obj": page_obj, "filtered": filtered, "full_numbers": full},
    )


def _detail_context(request, call: Call, form: CallLogForm | None = None) -> dict:
    user = request.user
    orders = []
    if call.customer_id:
        orders = list(WorkOrder.objects.visible_to(user).filter(customer_id=call.customer_id).order_by("-created_at")[:10])
    if form is None:
        preset = request.GET.get("type", "")
        initial = {
            # The pop's quick links ("log as phone guidance") preselect the type of a call not yet logged.
            "call_type": call.call_type or (preset if preset in CallType.values else ""),
            "disposition": call.disposition,
            "notes": call.notes,
            "advice": call.advice,
            "order": call.order_id,
        }
        form = CallLogForm(initial=initial, orders=orders)
    return {
        "nav_active": "calls",
        "call": call,
        "caller": selectors.display_number(user, call.caller_number),
        "form": form,
        "can_log": user.has_role(*services.CALL_LOG_ROLES),
        "follow_ups": list(call.follow_ups.select_related("assigned_to").order_by("due_at")),
        "pop_customers": selectors.pop_customers(user=user, call=call),
        "guidance_minutes": services.guidance_callback_minutes(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def call_detail(request, pk: int):
    user = request.user
    if not user.has_role(*CALL_LIST_ROLES):
        raise PermissionDenied
    call = get_visible_or_404(Call, user, pk=pk)
    if request.method == "GET":
        return render(request, "telephony/call_detail.html", _detail_context(request, call))
    ctx = _detail_context(request, call)
    form = CallLogForm(request.POST, orders=[])
    form.fields["order"].choices = ctx["form"].fields["order"].choices
    try:
        if not form.is_valid():
            raise form_errors(form)
        d = form.cleaned_data
        services.call_log(
            actor=user,
            call_id=call.pk,
            call_type=d["call_type"],
            disposition=d["disposition"],
            notes=d["notes"],
            advice=d["advice"],
            order_id=d["order"],
        )
    except ApplicationError as exc:
        if isinstance(exc, ValidationFailed) and not form.errors:
            add_service_errors(form, exc)
        return render_error(request, "telephony/call_detail.html", {**ctx, "form": form}, exc, labels=LOG_LABELS)
    messages.success(request, _("Call logged."))
    return redirect("call_detail", pk=call.pk)


# --- extension and follow-ups ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def extension_edit(request):
    user = request.user
    if not user.has_role(*services.AGENT_ROLES):
        raise PermissionDenied
    form = ExtensionForm(request.POST or None, initial={"extension": user.extension})
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_set(actor=user, extension=form.cleaned_data["extension"])
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return render_error(request, "telephony/extension.html", {"form": form}, exc, labels=LOG_LABELS)
        messages.success(request, _("Extension saved: calls to it now pop on your screen."))
        return redirect("home")
    return render(request, "telephony/extension.html", {"form": form})


@login_required
@require_POST
def follow_up_done(request, pk: int):
    appliance = request.POST.get("appliance", "")
    try:
        task = services.follow_up_done(
            actor=request.user,
            task_id=pk,
            note=request.POST.get("note", ""),
            outcome=request.POST.get("outcome", ""),
            appliance_id=int(appliance) if appliance.isdigit() else None,
        )
    except NotFound:
        raise Http404 from None  # somebody else's task: out of scope, like every other page
    except ApplicationError as exc:
        messages.error(request, "; ".join([str(exc.message), *(m for msgs in exc.fields.values() for m in msgs)]))
    else:
        if task.order_id:
            messages.success(request, _("Service order %(number)s registered from the guidance.") % {"number": task.order.number})
        else:
            messages.success(request, _("Follow-up marked done."))
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("home")
