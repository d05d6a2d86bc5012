"""The completion report page (完工报告, the technician's phone) and attachment downloads.

The page parses its fields (``lines-<i>-fault_code``, ``checklist-A``…) into the report dict of
``orders.completion`` and hands it to ``order_transition(action="complete")``: the rules live in the
service; a refused report comes back with every error next to its field and what was typed kept.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from anxin.accounts.choices import Role
from anxin.catalog.parts import fault_codes_for_categories, group_by_category, labour_for_categories, parts_for_categories
from anxin.core.errors import ApplicationError
from anxin.core.scoping import get_visible_or_404
from anxin.orders.choices import ChecklistItem, ConfirmationMethod, HazardType
from anxin.orders.completion.report import (
    DIAGNOSED_TYPES,
    completion_code_debug,
    completion_code_send,
    sms_code_available,
    sms_not_configured_message,
)
from anxin.orders.models import Attachment, WorkOrder
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import TRANSITIONS, available_actions, role_of
from anxin.web.errors import render_error, ui_error

PART_ROWS = 3  # empty rows offered per line (more appear after a refused submit if all were used)
LABOUR_ROWS = 2
MAX_ROWS = 30
LINE_FIELDS = ("fault_code", "cause", "action", "parts", "labour", "quote_amount", "quote_accepted")
TOP_FIELDS = ("lines", "hazard_type", "hazard_note", "confirmation_method", "signature", "sms_code", "photos", "remarks")

LABELS = {
    "lines": gettext_lazy("Appliance"),
    "cause": gettext_lazy("Cause"),
    "action": gettext_lazy("Action taken"),
    "parts": gettext_lazy("Parts used"),
    "labour": gettext_lazy("Labour"),
    "quote_amount": gettext_lazy("Quote"),
    "quote_accepted": gettext_lazy("Quote accepted"),
    "hazard_type": gettext_lazy("Safety hazard"),
    "hazard_note": gettext_lazy("Hazard details"),
    "confirmation_method": gettext_lazy("Customer confirmation"),
    "signature": gettext_lazy("Signature"),
    "sms_code": gettext_lazy("SMS code"),
    "photos": gettext_lazy("Photos"),
    "remarks": gettext_lazy("Remarks"),
    **{f"checklist.{item.value}": item.label for item in ChecklistItem},
}


def _rows_from_post(post, prefix: str, id_key: str) -> list[dict]:
    rows = []
    for j in range(MAX_ROWS):
        value = (post.get(f"{prefix}-{j}-{id_key}") or "").strip()
        if value:
            rows.append({id_key: value, "quantity": (post.get(f"{prefix}-{j}-quantity") or "").strip() or "1"})
    return rows


def report_from_post(post, files, lines) -> dict:
    """The page's fields → the report dict ``apply_completion`` takes (values stay strings; the service parses)."""
    data_lines = []
    for i, line in enumerate(lines):
        p = f"lines-{i}"
        data_lines.append(
            {
                "line": line.pk,
                "fault_code": post.get(f"{p}-fault_code") or None,
                "cause": post.get(f"{p}-cause", ""),
                "action": post.get(f"{p}-action", ""),
                "parts": _rows_from_post(post, f"{p}-parts", "part"),
                "labour": _rows_from_post(post, f"{p}-labour", "item"),
                "quote_amount": post.get(f"{p}-quote_amount") or None,
                "quote_accepted": post.get(f"{p}-quote_accepted") == "yes" or None,
            }
        )
    checklist = {}
    for item in ChecklistItem:
        state = post.get(f"checklist-{item.value}", "")
        if state == "done":
            checklist[item.value] = {"done": True, "reason": ""}
        elif state == "na":
            checklist[item.value] = {"done": False, "reason": post.get(f"checklist-{item.value}-reason", "")}
    method = post.get("confirmation_method", "")
    return {
        "lines": data_lines,
        "checklist": checklist,
        "hazard_type": post.get("hazard_type", ""),
        "hazard_note": post.get("hazard_note", ""),
        "confirmation_method": method,
        "signature": (post.get("signature") or "").strip() or files.get("signature_file"),
        "sms_code": post.get("sms_code", ""),
        "photos": files.getlist("photos"),
        "remarks": post.get("remarks", ""),
    }


def _pad(rows: list[dict], minimum: int, id_key: str) -> list[dict]:
    rows = [{id_key: str(r.get(id_key) or ""), "quantity": str(r.get("quantity") or "1")} for r in rows]
    empty = max(minimum - len(rows), 1 if rows else 0)
    return rows + [{id_key: "", "quantity": "1"} for _row in range(empty)]


def _page_context(request, order: WorkOrder, *, report: dict | None = None, fields: dict | None = None) -> dict:
    user = request.user
    fields = fields or {}
    prefetch_related_objects([order], "lines__product_model__category", "lines__appliance", "lines__fault_code", "customer__phones")
    lines = list(order.lines.all())
    categories = [line.product_model.category_id for line in lines]
    faults = group_by_category(fault_codes_for_categories(category_ids=categories), categories)
    parts = group_by_category(parts_for_categories(category_ids=categories), categories)
    labour = group_by_category(labour_for_categories(category_ids=categories), categories)
    today = timezone.localdate()
    entries = (report or {}).get("lines") or [{} for _line in lines]
    diagnosed = order.order_type in DIAGNOSED_TYPES
    rows = []
    for i, (line, entry) in enumerate(zip(lines, entries, strict=False)):
        category = line.product_model.category_id
        appliance = line.appliance
        main_end = appliance.main_parts_warranty_end if appliance else None
        fault_value = entry.get("fault_code") if report else line.fault_code_id
        rows.append(
            {
                "index": i,
                "prefix": f"lines-{i}",
                "line": line,
                "appliance": appliance,
                "diagnosed": diagnosed,
                "fault_codes": faults.get(category, []),
                "parts_catalog": parts.get(category, []),
                "labour_catalog": labour.get(category, []),
                "fault_code": str(fault_value or ""),
                "cause": entry.get("cause", ""),
                "action": entry.get("action", ""),
                "parts": _pad(entry.get("parts") or [], PART_ROWS, "part"),
                "labour": _pad(entry.get("labour") or [], LABOUR_ROWS, "item"),
                "quote_amount": entry.get("quote_amount") or "",
                "quote_accepted": entry.get("quote_accepted") is True,
                "main_parts_until": main_end if main_end and main_end >= today else None,
                "errors": {name: fields.get(f"lines.{i}.{name}", []) for name in LINE_FIELDS},
            }
        )
    posted_checklist = (report or {}).get("checklist") or {}
    checklist = []
    for item in ChecklistItem:
        entry = posted_checklist.get(item.value)
        state = "" if entry is None else ("done" if entry.get("done") else "na")
        checklist.append(
            {
                "item": item,
                "state": state,
                "reason": (entry or {}).get("reason", ""),
                "errors": fields.get(f"checklist.{item.value}", []),
            }
        )
    posted = report or {}
    signature = posted.get("signature")
    back_url = reverse("technician_jobs") if role_of(user) == Role.TECHNICIAN else reverse("order_detail", args=[order.pk])
    return {
        "nav_active": "jobs" if role_of(user) == Role.TECHNICIAN else "orders",
        "order": order,
        "rows": rows,
        "checklist": checklist,
        "hazard_choices": HazardType.choices,
        "hazard_type": posted.get("hazard_type", ""),
        "hazard_note": posted.get("hazard_note", ""),
        "confirmation_choices": ConfirmationMethod.choices,
        "confirmation_method": posted.get("confirmation_method") or ConfirmationMethod.SIGNATURE,
        "signature": signature if isinstance(signature, str) else "",
        "sms_code": posted.get("sms_code", ""),
        "sms_available": sms_code_available(),
        "sms_unavailable_message": "" if sms_code_available() else sms_not_configured_message(),
        "remarks": posted.get("remarks", ""),
        "top_errors": {name: fields.get(name, []) for name in TOP_FIELDS},
        "back_url": back_url,
        "order_url": reverse("order_detail", args=[order.pk]),
    }


def _blocked_reason(order: WorkOrder, user) -> str:
    transition = TRANSITIONS["complete"]
    if role_of(user) not in transition.roles:
        return _("Only the technician on the job completes an order.")
    return _("This order is “%(status)s”: it can be completed only while the technician is on site.") % {
        "status": order.get_status_display()
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_complete(request, pk: int):
    """GET the report form; POST ``send_code`` (SMS code to the customer) or the report itself."""
    order = get_visible_or_404(WorkOrder, request.user, pk=pk)
    allowed = any(t.action == "complete" for t in available_actions(order, request.user))
    if request.method == "GET":
        context = _page_context(request, order)
        if not allowed:
            context["blocked"] = _blocked_reason(order, request.user)
        return render(request, "orders/complete.html", context)

    lines = list(order.lines.order_by("id"))
    report = report_from_post(request.POST, request.FILES, lines)
    if "send_code" in request.POST:
        try:
            sent = completion_code_send(order, request.user)
        except ApplicationError as exc:
            context = _page_context(request, order, report=report, fields=ui_error(exc, labels=LABELS).fields)
            if not allowed:
                context["blocked"] = _blocked_reason(order, request.user)
            return render_error(request, "orders/complete.html", context, exc, labels=LABELS)
        if not sent["sent"]:
            # No SMS service: nothing was sent, and the page says so (the same words as the API).
            context = _page_context(request, order, report={**report, "confirmation_method": ConfirmationMethod.SIGNATURE})
            context["code_not_sent"] = sent["message"]
            return render(request, "orders/complete.html", context)
        context = _page_context(request, order, report={**report, "confirmation_method": ConfirmationMethod.SMS_CODE})
        context["code_sent_until"] = sent["expires_at"]
        if settings.DEBUG:
            # A development SMS channel may not deliver: show the code so the flow can be tried.
            context["debug_code"] = completion_code_debug(order.pk)
        return render(request, "orders/complete.html", context)

    try:
        order = order_transition(
            order_id=order.pk,
            action="complete",
            actor=request.user,
            data=report,
            expected_version=request.POST.get("expected_version") or None,
        )
    except ApplicationError as exc:
        order.refresh_from_db()
        context = _page_context(request, order, report=report, fields=ui_error(exc, labels=LABELS).fields)
        if not any(t.action == "complete" for t in available_actions(order, request.user)):
            context["blocked"] = _blocked_reason(order, request.user)
        return render_error(request, "orders/complete.html", context, exc, labels=LABELS)
    messages.success(
        request,
        _("%(action)s: work order %(number)s is now “%(status)s”.")
        % {"action": TRANSITIONS["complete"].label, "number": order.number, "status": order.get_status_display()},
    )
    if role_of(request.user) == Role.TECHNICIAN:
        return redirect("technician_jobs")
    return redirect("order_detail", pk=order.pk)


@login_required
@require_GET
def attachment_download(request, pk: int):
    """Serve a file of an order the user may see (else 404), inline, with the type it was stored as."""
    attachment = (
        Attachment.objects.filter(pk=pk, order__in=WorkOrder.objects.visible_to(request.user).values("pk")).select_related("order").first()
    )
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=attachment.content_type, as_attachment=False, filename=attachment.original_name)
    response["Content-Disposition"] = response["Content-Disposition"] if "inline" in response.get("Content-Disposition", "") else "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
