"""Work-order pages: the queue, the order page with its action forms, new order, the technician's jobs.

Every read goes through ``visible_to`` (out of scope is 404); every write is one service call
(``order_create``, ``perform_action`` — ``order_transition``, or the handler an app above orders
registered for the action); a refused write is rendered by ``anxin.web.errors`` with
its status (400 / 403 / 409) and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.accounts.choices import OrgKind, OutletStatus, Role
from anxin.accounts.models import OrgUnit
from anxin.catalog.models import FaultCode
from anxin.core.audit import history_entries
from anxin.core.errors import ApplicationError, ValidationFailed
from anxin.core.limits import parse_id
from anxin.core.scoping import get_visible_or_404
from anxin.customers.models import Customer
from anxin.customers.selectors import contact_visible, dealer_card_for, mask_address, mask_phone
from anxin.network.models import Technician
from anxin.network.selectors import outlets_covering, technicians_for_order
from anxin.orders import job_stamps
from anxin.orders.choices import Channel, HazardType, OrderType
from anxin.orders.completion.report import completion_summary
from anxin.orders.models import OrderLine, WorkOrder
from anxin.orders.sla import clocks
from anxin.orders.views.forms import DATETIME_LOCAL, OrderCreateForm, TransitionForm
from anxin.orders.workflow import eligibility, grading
from anxin.orders.workflow.eligibility import appliance_eligibility
from anxin.orders.workflow.hooks import link_order_source, perform_action
from anxin.orders.workflow.services import ORDER_CREATE_ROLES, LineInput, OrderInput, order_create
from anxin.orders.workflow.transitions import NEXT, SIDE, TRANSITIONS, available_actions
from anxin.orders.worklist import selectors
from anxin.web.errors import add_service_errors, form_errors, render_error, ui_error
from anxin.web.templatetags.anxin import pk_url


def _sla_label(state: str) -> str:
    return {
        clocks.ON_TRACK: _("On track"),
        clocks.AT_RISK: _("At risk"),
        clocks.BREACHED: _("Breached"),
    }.get(state, "")


# --- the order page -------------------------------------------------------------------------


def _primary_phone(customer) -> str:
    phones = sorted(customer.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    return phones[0].number if phones else ""


def _display_value(field, value, lookups: dict) -> str:
    if value in (None, ""):
        return "—"
    if field is None:
        return str(value)
    if field.is_relation:
        return lookups.get(field.related_model, {}).get(value, f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "DateTimeField" and hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


# Status and version changes are told by the status-change rows already.
TIMELINE_HIDDEN_FIELDS = {WorkOrder: {"status", "version", "number"}}


def _field(model, name: str):
    """The model field a history change names (by field name, never by its translated label)."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed from the model: shown as stored
        return None


def _timeline(order: WorkOrder, lines: list[OrderLine]) -> list[dict]:
    """Status changes and field-level history (simple-history) merged, newest first."""
    entries = []
    for change in order.status_changes.select_related("actor"):
        transition = TRANSITIONS.get(change.action)
        entries.append(
            {
                "kind": "status",
                "when": change.at,
                "who": change.actor,
                "action": change.action,
                "title": transition.label if transition else pgettext("timeline", "Order registered"),
                "from_label": change.get_from_status_display() if change.from_status else "",
                "to_label": change.get_to_status_display(),
                "to_status": change.to_status,
                "reason": change.reason if change.reason != change.action else "",
            }
        )
    history = history_entries(order, *lines)
    ids: dict = {}
    for entry in history:
        for ch in entry["changes"]:
            field = _field(entry["model"], ch["name"])
            if field is not None and field.is_relation:
                ids.setdefault(field.related_model, set()).update(v for v in (ch["old"], ch["new"]) if v)
    lookups = {m: {o.pk: str(o) for o in m.objects.filter(pk__in=pks)} for m, pks in ids.items()}
    for entry in history:
        model = entry["model"]
        if entry["type"] == "+" and model is WorkOrder:
            continue  # the "created" status change says it
        hidden = TIMELINE_HIDDEN_FIELDS.get(model, set())
        changes = [
            {
                "field": ch["field"],
                "name": ch["name"],
                "old": _display_value(_field(model, ch["name"]), ch["old"], lookups),
                "new": _display_value(_field(model, ch["name"]), ch["new"], lookups),
            }
            for ch in entry["changes"]
            if ch["name"] not in hidden
        ]
        if entry["type"] == "~" and not changes:
            continue
        entries.append(
            {
                "kind": "change",
                "when": entry["when"],
                "who": entry["who"],
                "object": entry["object"],
                "type": entry["type"],
                "changes": changes,
                "reason": entry["reason"] if entry["reason"] not in TRANSITIONS and entry["reason"] != "created" else "",
            }
        )
    return sorted(entries, key=lambda e: e["when"], reverse=True)


def _assign_choices(order: WorkOrder):
    eligible = technicians_for_order(order=order)
    others = Technician.objects.filter(outlet_id=order.outlet_id, active=True).exclude(pk__in=[t.pk for t in eligible])
    ineligible = [
        {"technician": t, "problems": grading.technician_assignment_problems(order=order, technician=t)}
        for t in others.prefetch_related("skills").order_by("name")
    ]
    return eligible, ineligible


def _route_choices(order: WorkOrder, user, categories: set[int]):
    covering = [o for o in outlets_covering(division_code=order.address.division_code, category_ids=categories) if o.pk != order.outlet_id]
    covering_ids = {o.pk for o in covering}
    rest = (
        OrgUnit.objects.visible_to(user)
        .filter(kind=OrgKind.OUTLET, status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION))
        .exclude(pk__in=covering_ids)
        .exclude(pk=order.outlet_id or 0)
        .order_by("code")
    )
    return [{"outlet": o, "covers": True} for o in covering] + [{"outlet": o, "covers": False} for o in rest]


def _local_input(value) -> str:
    return timezone.localtime(value).strftime(DATETIME_LOCAL) if value else ""


def _dialog(t, order: WorkOrder) -> dict:
    """What the order page shows for an action: all of it declared on the transition (decision 0042)."""
    return {
        "transition": t,
        "dialog": t.dialog,
        "reason_label": t.reason_label,
        "reason_required": "reason" in t.required,
        "window": t.window,
        "window_required": "appointment_start" in t.required,
        "page_url": reverse(t.page, args=[order.pk]) if t.page else "",
    }


def _detail_context(request, order: WorkOrder, *, open_action: str = "", posted=None) -> dict:
    user = request.user
    prefetch_related_objects(
        [order],
        "lines__product_model__category",
        "lines__fault_code",
        "lines__appliance",
        "lines__contract",
        "lines__repeat_of",
        "customer__phones",
    )
    lines = list(order.lines.all())
    categories = {line.product_model.category_id for line in lines}
    actions = available_actions(order, user)
    names = {t.action for t in actions}
    dialogs = {t.action for t in actions if t.dialog}
    if not open_action and request.method == "GET" and request.GET.get("action") in dialogs:
        open_action = request.GET["action"]  # e.g. the technician's "wait for parts" link from My jobs
    full = contact_visible(user=user, customer=order.customer)
    phone = _primary_phone(order.customer)
    card = dealer_card_for(user=user, customer=order.customer)  # a dealer sees what it typed (decision 0023)
    if card is not None:
        phone = card.phones[0] if card.phones else ""
    repeats = list({line.repeat_of_id: line.repeat_of for line in lines if line.repeat_of_id}.values())
    context = {
        "nav_active": "orders",
        "order": order,
        "lines": lines,
        "repeat_of_orders": repeats,
        "sla_state": clocks.sla_state(order),
        "timeline": _timeline(order, lines),
        "contact_full": full,
        "customer_name": card.name if card is not None else order.customer.name,
        "partial_customer": card is not None,
        "phone": phone if full else mask_phone(phone) if phone else "",
        "address": order.address.text if full else mask_address(order.address.text, order.address.district),
        "actions": [_dialog(t, order) for t in actions],
        "open_action": open_action,
        "posted": posted or {},
        # The grade the order needs, with the VIP minimum the assignment check applies (orders.grading).
        "required_level": order.required_level,
        "window_start": (posted or {}).get("appointment_start") or _local_input(order.appointment_start),
        "window_end": (posted or {}).get("appointment_end") or _local_input(order.appointment_end),
    }
    context["sla_label"] = _sla_label(context["sla_state"])
    if "assign" in names:
        context["eligible_technicians"], context["ineligible_technicians"] = _assign_choices(order)
        if order.is_vip:
            context["vip_min_grade"] = grading.grade_policy().vip_min_grade
    if names & {"route", "reroute"}:
        context["route_outlets"] = _route_choices(order, user, categories)
    if "refuse_install" in names:
        context["hazard_choices"] = [(value, label) for value, label in HazardType.choices if value]
    context.update(clocks.order_sla_context(order))
    context["completion"] = completion_summary(order)
    return context


@login_required
@require_GET
def order_detail(request, pk: int):
    order = get_visible_or_404(WorkOrder, request.user, pk=pk)
    return render(request, "orders/detail.html", _detail_context(request, order))


def _safe_next(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _success_message(order: WorkOrder, action: str) -> str:
    transition = TRANSITIONS[action]
    return _("%(action)s: work order %(number)s is now “%(status)s”.") % {
        "action": transition.label,
        "number": order.number,
        "status": order.get_status_display(),
    }


@login_required
@require_POST
def order_action(request, pk: int, action: str):
    """One action of the state machine from any page (order page, technician's jobs)."""
    order = get_visible_or_404(WorkOrder, request.user, pk=pk)
    next_url = _safe_next(request)
    form = TransitionForm(request.POST)
    try:
        if not form.is_valid():
            raise form_errors(form)
        if action == "record_callback":
            # A callback is more than a status: the app that records callbacks takes it (its handler).
            data = {
                "satisfaction": request.POST.get("satisfaction", ""),
                "problem_solved": request.POST.get("problem_solved") in ("on", "1", "true"),
                "comment": request.POST.get("comment", "")[:2000],
            }
        else:
            data = form.service_data()
        order = perform_action(
            order_id=order.pk, action=action, actor=request.user, data=data, expected_version=form.cleaned_data["expected_version"]
        )
    except ApplicationError as exc:
        order.refresh_from_db()
        posted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        if next_url == reverse("technician_jobs"):
            return render_error(request, "orders/jobs.html", _jobs_context(request, failed_order=order.pk, posted=posted), exc)
        context = _detail_context(request, order, open_action=action if ui_error(exc).status == 400 else "", posted=posted)
        return render_error(request, "orders/detail.html", context, exc)
    messages.success(request, _success_message(order, action if action in TRANSITIONS else "close"))
    if next_url:
        return redirect(next_url)
    if not WorkOrder.objects.visible_to(request.user).filter(pk=order.pk).exists():
        return redirect("order_list")  # e.g. an outlet rejected it: it has left their queue
    return redirect("order_detail", pk=order.pk)


# --- new order ------------------------------------------------------------------------------


def _customer_url(customer: Customer) -> str:
    try:
        return reverse("customer_detail", args=[customer.pk])
    except NoReverseMatch:
        return reverse("customer_list")


def _appliance_rows(appliances, fault_codes, posted, today, preselect: set[int]) -> list[dict]:
    """One row per appliance of the customer: what was ticked and typed, and its eligibility today."""
    by_category: dict[int, list[FaultCode]] = {}
    for fault in fault_codes:
        by_category.setdefault(fault.category_id, []).append(fault)
    selected = {int(v) for v in (posted.getlist("appliance_id") if posted is not None else []) if str(v).isdigit()}
    rows = []
    for appliance in appliances:
        pk = appliance.pk
        rows.append(
            {
                "appliance": appliance,
                "checked": pk in selected if posted is not None else pk in preselect,
                "symptom": posted.get(f"symptom_{pk}", "") if posted is not None else "",
                "fault_code_id": posted.get(f"fault_code_id_{pk}", "") if posted is not None else "",
                "eligibility": (elig := appliance_eligibility(appliance, today)),
                "in_warranty": elig.in_warranty,
                "fault_codes": by_category.get(appliance.product_model.category_id, []),
                "errors": [],
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def order_create_view(request):
    user = request.user
    if not user.has_role(*ORDER_CREATE_ROLES):
        raise PermissionDenied
    raw_customer = request.POST.get("customer") or request.GET.get("customer") or ""
    if not raw_customer:
        messages.info(request, _("Find the customer first, then start the new order from their page."))
        return redirect("customer_list")
    if not raw_customer.isdigit():
        raise Http404
    customer = get_visible_or_404(Customer, user, pk=int(raw_customer))
    addresses = list(customer.addresses.order_by("-is_primary", "pk"))
    appliances = list(customer.appliances.select_related("product_model__category").prefetch_related("contracts").order_by("pk"))
    card = dealer_card_for(user=user, customer=customer)
    if card is not None:  # a dealer picks among what it recorded: its addresses, the appliances it sold (decision 0023)
        addresses = [a for a in addresses if a.text in card.addresses]
        appliances = [a for a in appliances if a.pk in {s.pk for s in card.appliances}]
    fault_codes = list(
        FaultCode.objects.filter(category_id__in={a.product_model.category_id for a in appliances}).order_by("difficulty", "code")
    )
    today = timezone.localdate()
    posted = request.POST if request.method == "POST" else None
    preselect = {int(v) for v in request.GET.getlist("appliance") if v.isdigit()}
    if not preselect and len(appliances) == 1:
        preselect = {appliances[0].pk}
    rows = _appliance_rows(appliances, fault_codes, posted, today, preselect)
    form = OrderCreateForm(
        posted,
        addresses=addresses,
        return_days=eligibility.return_days(),
        exchange_days=eligibility.exchange_days(),
        masked=not contact_visible(user=user, customer=customer),
    )
    # Started from a hotline call's screen pop: the call is linked to the new order.
    raw_call = request.POST.get("call") or request.GET.get("call") or ""
    context = {
        "nav_active": "orders",
        "customer": customer,
        "customer_name": card.name if card is not None else customer.name,
        "partial_customer": card is not None,
        "customer_url": _customer_url(customer),
        "form": form,
        "rows": rows,
        "lines_errors": [],
        "call_pk": raw_call if raw_call.isdigit() else "",
        "return_type": OrderType.RETURN_EXCHANGE.value,
        "show_return_kind": (posted.get("order_type") if posted is not None else request.GET.get("order_type"))
        == OrderType.RETURN_EXCHANGE,
    }
    if posted is None:
        return render(request, "orders/create.html", context)

    lines, positions = [], []
    for row in rows:
        if row["checked"]:
            fault = row["fault_code_id"]
            lines.append(
                LineInput(
                    appliance_id=row["appliance"].pk,
                    symptom=row["symptom"][:200],
                    fault_code_id=parse_id(fault),
                )
            )
            positions.append(row)
    if not form.is_valid():
        return render_error(request, "orders/create.html", context, form_errors(form))
    data = form.cleaned_data
    is_dealer = user.role == Role.DEALER
    try:
        order = order_create(
            actor=user,
            data=OrderInput(
                customer_id=customer.pk,
                address_id=data["address"],
                order_type=data["order_type"],
                priority=data["priority"],
                description=data["description"],
                appointment_start=data["appointment_start"],
                appointment_end=data["appointment_end"],
                return_kind=data.get("return_kind") or "",
                channel=Channel.DEALER if is_dealer else Channel.HOTLINE,
                dealer_id=user.org_unit_id if is_dealer else None,
                lines=lines,
            ),
        )
    except ValidationFailed as exc:
        # "lines.<n>.<field>" belongs to the n-th ticked appliance; the rest to the header form.
        header = {}
        for key, msgs in exc.fields.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(positions):
                positions[int(parts[1])]["errors"].extend(msgs)
            elif key == "lines":
                context["lines_errors"] = msgs
            else:
                header[key] = msgs
        if header:
            add_service_errors(form, ValidationFailed(fields=header))
        return render_error(request, "orders/create.html", context, exc)
    except ApplicationError as exc:
        return render_error(request, "orders/create.html", context, exc)

    if context["call_pk"]:
        link_order_source(field="call", source_id=int(context["call_pk"]), actor=user, order=order)
    # An order registered for a customer of another region is routed there and may leave the
    # user's scope: the message says so, and the customer's page is shown (decision 0031).
    visible, text = selectors.order_created_summary(order=order, user=user)
    messages.success(request, text)
    if visible:
        return redirect("order_detail", pk=order.pk)
    return redirect(_customer_url(customer))


# --- technician's jobs (phone) --------------------------------------------------------------


def _jobs_context(request, *, failed_order: int | None = None, posted=None) -> dict:
    user = request.user
    jobs = list(selectors.technician_open_jobs(user=user))
    today = timezone.localdate()
    now = timezone.now()
    today_jobs, upcoming = [], []
    detail_url = pk_url("order_detail")
    for job in jobs:
        allowed = available_actions(job, user)
        step = next((t for t in allowed if t.technician_step == NEXT), None)
        job.next_step = step
        # A step with a page of its own (the completion report) opens it; a step that needs data
        # opens its dialog on the order page; the others are one click on the card.
        job.next_step_url = (
            reverse(step.page, args=[job.pk])
            if step and step.page
            else f"{detail_url(job.pk)}?action={step.action}"
            if step and step.dialog
            else ""
        )
        job.side_steps = [{"transition": t, "url": f"{detail_url(job.pk)}?action={t.action}"} for t in allowed if t.technician_step == SIDE]
        job.sla_state = clocks.sla_state(job, now)
        job.sla_label = _sla_label(job.sla_state)
        job.phone = _primary_phone(job.customer)
        lines = list(job.lines.all())
        job.line_list = lines
        job.failed = job.pk == failed_order
        start = job.appointment_start
        (upcoming if start is not None and timezone.localtime(start).date() > today else today_jobs).append(job)
    return {
        "nav_active": "jobs",
        "today_jobs": today_jobs,
        "upcoming_jobs": upcoming,
        "completed_today": selectors.technician_completed_count(user=user, day=today),
        "posted": posted or {},
        "jobs_url": reverse("technician_jobs"),
        "tomorrow": today + timedelta(days=1),
    }


def _jobs_etag(request, stamp, *, fragment: bool) -> str | None:
    """The ETag of the page (or of its list, the htmx refresh) as this request's CSRF secret makes it:
    the forms carry the CSRF token, so a new secret (a new login) makes a new page."""
    variant = ("list" if fragment else "page", request.META.get("CSRF_COOKIE", ""))
    return job_stamps.jobs_etag(user=request.user, variant=":".join(variant), stamp=stamp)


@login_required
@require_GET
def technician_jobs(request):
    """The technician's jobs; ``?part=list`` is the list alone (the page refreshes it every 30 s).
    Both answer ``304`` to a conditional GET while the job list is unchanged (decision 0048)."""
    if not request.user.has_role(Role.TECHNICIAN):
        raise PermissionDenied
    fragment = request.GET.get("part") == "list"
    # A page with a one-time message (after an action) is built afresh and not kept: it shows it.
    stamp = None if len(messages.get_messages(request)) else job_stamps.jobs_stamp(user=request.user)
    if stamp is not None:
        unchanged = job_stamps.not_modified(request, _jobs_etag(request, stamp, fragment=fragment))
        if unchanged is not None:
            return unchanged
    template = "orders/partials/jobs_list.html" if fragment else "orders/jobs.html"
    response = render(request, template, _jobs_context(request))
    # Tagged after rendering: the first page of a session creates the CSRF secret its forms carry.
    return job_stamps.revalidate(response, _jobs_etag(request, stamp, fragment=fragment)) if stamp is not None else response
