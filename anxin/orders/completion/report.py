"""The completion report (完工报告): per line fault, cause, action, parts, labour and charges; the 1+5
checklist; hazards; the customer's confirmation; photos. ``apply_completion`` is what the
``complete`` transition runs: an incomplete report is refused with every missing item named, in one
``ValidationFailed``, and nothing is saved.

The report (``data``), the same for the page and the API::

    {"lines": [{"line": id, "fault_code": id | None, "cause": str, "action": str,
                "parts": [{"part": id, "quantity": int}], "labour": [{"item": id, "quantity": int}],
                "quote_amount": Decimal | None, "quote_accepted": bool | None}],
     "checklist": {"A": {"done": bool, "reason": str}, … "E": …},
     "hazard_type": HazardType value or "", "hazard_note": str,
     "confirmation_method": "signature" | "sms_code",
     "signature": "data:image/png;base64,…" or an uploaded PNG, "sms_code": str,
     "photos": [uploaded files], "remarks": str}

Charges: everything is free on a line in warranty (unit prices are still recorded); a main part is
free while the appliance's main-parts warranty runs, even when the unit is out of warranty; out of
warranty the customer must have accepted a quote before work, and the charges may not exceed it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from anxin.catalog.models import FaultCode, LabourItem, SparePart
from anxin.core.audit import audited
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from anxin.core.events import has_subscribers, publish
from anxin.orders.choices import AttachmentKind, ChecklistItem, ConfirmationMethod, HazardType, OrderType
from anxin.orders.completion.attachments import PNG, attachment_problem, attachment_store, content_file
from anxin.orders.models import CompletionReport, LineLabour, LinePart, OrderLine, WorkOrder
from anxin.orders.workflow import transitions

# Order types whose lines are diagnosed: a fault code of the line's category and the cause are required.
DIAGNOSED_TYPES = (OrderType.REPAIR, OrderType.RETURN_EXCHANGE)
# Hazards that forbid finishing an install: the technician refuses it (``refuse_install``) instead.
# DOMAIN.md: "if the home wiring is unsafe (no reliable earth) the technician must refuse to install".
INSTALL_BLOCKING_HAZARDS = (HazardType.UNSAFE_WIRING, HazardType.NO_EARTH)
SIGNATURE_MAX_BYTES = 512 * 1024
MAX_PHOTOS = 20
MAX_QUANTITY = 999
CAUSE_MAX, ACTION_MAX, HAZARD_NOTE_MAX, REASON_MAX, REMARKS_MAX = 200, 200, 300, 200, 2000
SMS_CODE_TTL = timedelta(minutes=10)
SMS_CODE_RESEND_AFTER = timedelta(seconds=30)
SMS_CODE_MAX_ATTEMPTS = 5
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CENT = Decimal("0.01")


# --- small parsers (form strings and JSON values alike) --------------------------------------

_INVALID = object()


def _int(value):
    """``None`` for blank, the int, or ``_INVALID``."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return _INVALID
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return _INVALID


def _decimal(value):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return _INVALID
    if not amount.is_finite():
        return _INVALID
    return amount


def _bool(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes", "y"):
        return True
    if text in ("0", "false", "off", "no", "n"):
        return False
    return None


def _text(value) -> str:
    return str(value or "").strip()


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# --- the customer's confirmation ---------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, or ``None`` when ``data`` is not a PNG."""
    if not data.startswith(PNG_MAGIC) or len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def signature_png(value) -> tuple[bytes | None, str | None]:
    """Decode a signature (``data:image/png;base64,…`` or an uploaded file) → ``(png, None)`` or ``(None, message)``."""
    if value in (None, ""):
        return None, _("The customer's signature is missing.")
    if hasattr(value, "read"):
        value.seek(0)
        data = value.read(SIGNATURE_MAX_BYTES + 1)
    else:
        text = str(value).strip()
        prefix = "data:image/png;base64,"
        if not text.startswith(prefix):
            return None, _("The signature must be a PNG image.")
        encoded = text[len(prefix) :]
        if len(encoded) > (SIGNATURE_MAX_BYTES * 4) // 3 + 8:
            return None, _("The signature is larger than %(limit)s KB.") % {"limit": SIGNATURE_MAX_BYTES // 1024}
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None, _("The signature must be a PNG image.")
    if len(data) > SIGNATURE_MAX_BYTES:
        return None, _("The signature is larger than %(limit)s KB.") % {"limit": SIGNATURE_MAX_BYTES // 1024}
    size = _png_size(data)
    if size is None or 0 in size:
        return None, _("The signature must be a PNG image.")
    return data, None


def completion_code_key(order_id: int) -> str:
    return f"orders:completion-code:{order_id}"


def _code_digest(order_id: int, code: str) -> str:
    return salted_hmac("anxin.orders.completion_code", f"{order_id}:{code}").hexdigest()


def _customer_phone(order: WorkOrder) -> str:
    phones = sorted(order.customer.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    return phones[0].number if phones else ""


# Who delivers the code: an SMS channel subscribes to this event (decision 0032). Until one does,
# nothing can reach the customer's phone, and no code is made.
COMPLETION_CODE_EVENT = "order.completion_code"
DELIVERY_SMS = "sms"
DELIVERY_NOT_CONFIGURED = "not_configured"


def sms_code_available() -> bool:
    """Whether an SMS channel takes completion codes (something subscribes to the event)."""
    return has_subscribers(COMPLETION_CODE_EVENT)


def sms_not_configured_message() -> str:
    return _("No SMS service is set up, so no code was sent: the customer cannot receive one. Ask the customer to sign instead.")


def completion_code_send(order: WorkOrder, actor) -> dict:
    """Send the customer a 6-digit code that confirms the completion (valid 10 minutes).

    Only whoever may complete the order now may ask for it. The code is kept hashed in the cache
    (keyed by order) and handed to the SMS channel, a subscriber of ``order.completion_code`` (outside
    production the plain code is also kept in the cache entry, for demos and tests:
    ``completion_code_debug``). Without an SMS channel no code is made and the answer says so:
    ``{"sent": False, "delivery": "not_configured", "message": …}`` (decision 0032).
    """
    visible = WorkOrder.objects.visible_to(actor).filter(pk=order.pk).select_related("customer").first()
    if visible is None:
        raise NotFound(_("Work order not found."))
    transition = transitions.TRANSITIONS["complete"]
    if visible.status not in transition.sources:
        raise InvalidTransition(
            _("Cannot “%(action)s” an order that is “%(status)s”.") % {"action": transition.label, "status": visible.get_status_display()}
        )
    if transitions.role_of(actor) not in transition.roles:
        raise PermissionDenied(_("Your role may not “%(action)s” this order.") % {"action": transition.label})
    if not sms_code_available():
        return {
            "sent": False,
            "delivery": DELIVERY_NOT_CONFIGURED,
            "expires_at": None,
            "phone": "",
            "message": sms_not_configured_message(),
        }
    phone = _customer_phone(visible)
    if not phone:
        raise ValidationFailed(fields={"sms_code": _("The customer has no phone number for an SMS code; ask for a signature.")})
    now = timezone.now()
    key = completion_code_key(visible.pk)
    previous = cache.get(key)
    if previous and now - datetime.fromisoformat(previous["sent_at"]) < SMS_CODE_RESEND_AFTER:
        raise ValidationFailed(
            fields={"sms_code": _("A code was sent less than %(seconds)s seconds ago; wait a moment.") % {"seconds": 30}}
        )
    code = f"{secrets.randbelow(10**6):06d}"
    expires_at = now + SMS_CODE_TTL
    entry = {"digest": _code_digest(visible.pk, code), "sent_at": now.isoformat(), "expires_at": expires_at.isoformat(), "attempts": 0}
    if not getattr(settings, "PROD", False):
        entry["debug_code"] = code
    cache.set(key, entry, timeout=int(SMS_CODE_TTL.total_seconds()))
    publish(COMPLETION_CODE_EVENT, order=visible, code=code, phone=phone, actor=actor)
    message = _("Code sent by SMS; valid until %(until)s.") % {"until": timezone.localtime(expires_at).strftime("%H:%M")}
    return {"sent": True, "delivery": DELIVERY_SMS, "expires_at": expires_at, "phone": phone, "message": message}


def completion_code_debug(order_id: int) -> str:
    """The plain code last sent for ``order_id`` (never kept in production; "" when none)."""
    entry = cache.get(completion_code_key(order_id)) or {}
    return entry.get("debug_code", "")


def completion_code_verify(order: WorkOrder, code) -> bool:
    """Whether ``code`` is the customer's current code; wrong tries count (5 and the code is dead)."""
    key = completion_code_key(order.pk)
    entry = cache.get(key)
    code = _text(code).replace(" ", "")
    if not entry or not code:
        return False
    now = timezone.now()
    expires_at = datetime.fromisoformat(entry["expires_at"])
    if now >= expires_at or entry["attempts"] >= SMS_CODE_MAX_ATTEMPTS:
        return False
    if constant_time_compare(entry["digest"], _code_digest(order.pk, code)):
        return True
    entry["attempts"] += 1
    cache.set(key, entry, timeout=max(int((expires_at - now).total_seconds()), 1))
    return False


# --- validation ---------------------------------------------------------------------------------


@dataclass
class _LinePlan:
    line: OrderLine
    fault: FaultCode | None
    cause: str
    action: str
    quote_amount: Decimal | None
    quote_accepted: bool | None
    parts: list[tuple[SparePart, int, Decimal]] = field(default_factory=list)  # part, quantity, charged
    labour: list[tuple[LabourItem, int, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return _money(sum((c for *_, c in self.parts), Decimal(0)) + sum((c for *_, c in self.labour), Decimal(0)))


def _entries_by_line(lines: list[OrderLine], raw, errors: dict) -> list[dict]:
    """One entry (dict) per order line, matched by ``line`` id (or position when the id is left out)."""
    if raw in (None, ""):
        raw = []
    if not isinstance(raw, list | tuple):
        errors["lines"] = [_("Send one entry per appliance of the order.")]
        return [{} for _line in lines]
    by_id: dict[int, dict] = {}
    ids = [line.pk for line in lines]
    for pos, entry in enumerate(raw):
        if not isinstance(entry, dict):
            errors.setdefault("lines", []).append(_("Entry %(number)s is not a line report.") % {"number": pos + 1})
            continue
        line_id = _int(entry.get("line"))
        if line_id is None and pos < len(ids):
            line_id = ids[pos]
        if line_id is _INVALID or line_id not in ids:
            errors.setdefault("lines", []).append(_("Entry %(number)s names an appliance that is not on this order.") % {"number": pos + 1})
            continue
        if line_id in by_id:
            errors.setdefault("lines", []).append(_("Entry %(number)s repeats an appliance already reported.") % {"number": pos + 1})
            continue
        by_id[line_id] = entry
    return [by_id.get(line.pk, {}) for line in lines]


def _rows(raw, id_key: str, catalog: dict, line: OrderLine, errors: list[str], what: str) -> list[tuple[object, int]]:
    """Parse ``[{id_key: id, "quantity": n}]`` against the loaded catalog rows; problems go to ``errors``."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        errors.append(_("Send a list of %(what)s.") % {"what": what})
        return []
    rows = []
    category = line.product_model.category_id
    for pos, row in enumerate(raw):
        number = pos + 1
        if not isinstance(row, dict):
            errors.append(_("Row %(number)s is not valid.") % {"number": number})
            continue
        pk, quantity = _int(row.get(id_key)), _int(row.get("quantity", 1))
        item = catalog.get(pk) if isinstance(pk, int) else None
        if pk is None:
            errors.append(_("Row %(number)s: choose an item from the catalog.") % {"number": number})
            continue
        if item is None or not item.active:
            errors.append(_("Row %(number)s: not an active item of the catalog.") % {"number": number})
            continue
        if item.category_id not in (None, category):
            errors.append(_("Row %(number)s: “%(item)s” does not fit this product category.") % {"number": number, "item": item})
            continue
        if quantity is None or quantity is _INVALID or quantity < 1 or quantity > MAX_QUANTITY:
            errors.append(
                _("Row %(number)s: the quantity must be a whole number from 1 to %(max)s.") % {"number": number, "max": MAX_QUANTITY}
            )
            continue
        rows.append((item, quantity))
    return rows


def _ids(entries: list[dict], list_key: str, id_key: str) -> set[int]:
    found = set()
    for entry in entries:
        rows = entry.get(list_key)
        if isinstance(rows, list | tuple):
            for row in rows:
                if isinstance(row, dict):
                    pk = _int(row.get(id_key))
                    if isinstance(pk, int):
                        found.add(pk)
    return found


def _plan_lines(order: WorkOrder, lines: list[OrderLine], entries: list[dict], errors: dict) -> list[_LinePlan]:
    today = timezone.localdate()
    diagnosed = order.order_type in DIAGNOSED_TYPES
    faults = FaultCode.objects.in_bulk([pk for e in entries if isinstance(pk := _int(e.get("fault_code")), int)])
    parts = SparePart.objects.in_bulk(list(_ids(entries, "parts", "part")))
    labour = LabourItem.objects.in_bulk(list(_ids(entries, "labour", "item")))
    plans = []
    for i, (line, entry) in enumerate(zip(lines, entries, strict=True)):
        key = f"lines.{i}"
        category = line.product_model.category_id
        fault_id = _int(entry.get("fault_code"))
        fault = faults.get(fault_id) if isinstance(fault_id, int) else None
        if fault_id is None:
            if diagnosed:
                errors[f"{key}.fault_code"] = [_("Choose the diagnosed fault code.")]
        elif fault is None or fault.category_id != category:
            errors[f"{key}.fault_code"] = [_("The fault code does not belong to this product category.")]
            fault = None
        cause, action = _text(entry.get("cause")), _text(entry.get("action"))
        if diagnosed and not cause:
            errors[f"{key}.cause"] = [_("Describe the cause of the fault.")]
        elif len(cause) > CAUSE_MAX:
            errors[f"{key}.cause"] = [_("At most %(max)s characters.") % {"max": CAUSE_MAX}]
        if not action:
            errors[f"{key}.action"] = [_("Describe what was done.")]
        elif len(action) > ACTION_MAX:
            errors[f"{key}.action"] = [_("At most %(max)s characters.") % {"max": ACTION_MAX}]

        part_errors: list[str] = []
        part_rows = _rows(entry.get("parts"), "part", parts, line, part_errors, _("parts"))
        labour_errors: list[str] = []
        labour_rows = _rows(entry.get("labour"), "item", labour, line, labour_errors, _("labour items"))
        if part_errors:
            errors[f"{key}.parts"] = part_errors
        if labour_errors:
            errors[f"{key}.labour"] = labour_errors

        quote_amount = _decimal(entry.get("quote_amount"))
        quote_accepted = _bool(entry.get("quote_accepted"))
        if quote_amount is _INVALID or (quote_amount is not None and (quote_amount < 0 or quote_amount >= Decimal("1e8"))):
            errors[f"{key}.quote_amount"] = [_("Enter the quote as an amount of money, 0 or more.")]
            quote_amount = None
        elif quote_amount is not None:
            quote_amount = _money(quote_amount)

        main_parts_covered = bool(
            line.appliance and line.appliance.main_parts_warranty_end and today <= line.appliance.main_parts_warranty_end
        )
        plan = _LinePlan(line=line, fault=fault, cause=cause, action=action, quote_amount=quote_amount, quote_accepted=quote_accepted)
        for part, quantity in part_rows:
            free = line.in_warranty or (part.main_part and main_parts_covered)
            plan.parts.append((part, quantity, Decimal(0) if free else _money(part.unit_price * quantity)))
        for item, quantity in labour_rows:
            plan.labour.append((item, quantity, Decimal(0) if line.in_warranty else _money(item.price * quantity)))

        if not line.in_warranty:
            # Out of warranty: a quote accepted before work, and no more charged than it says.
            if quote_amount is None and f"{key}.quote_amount" not in errors:
                errors[f"{key}.quote_amount"] = [_("Out of warranty: enter the quote given to the customer.")]
            if quote_accepted is not True:
                errors[f"{key}.quote_accepted"] = [_("The customer has not accepted the quote.")]
            if quote_amount is not None and plan.total > quote_amount:
                errors.setdefault(f"{key}.quote_amount", []).append(
                    _("The charges (%(charged)s) are more than the quote the customer accepted (%(quote)s).")
                    % {"charged": plan.total, "quote": quote_amount}
                )
        plans.append(plan)
    return plans


def _checklist(order: WorkOrder, raw, errors: dict) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    checklist = {}
    for item in ChecklistItem:
        entry = raw.get(item.value)
        key = f"checklist.{item.value}"
        if not isinstance(entry, dict) or (_bool(entry.get("done")) is None and not _text(entry.get("reason"))):
            errors[key] = [_("Mark “%(item)s” done, or not applicable with the reason.") % {"item": item.label}]
            continue
        done = _bool(entry.get("done")) is True
        reason = _text(entry.get("reason"))
        if not done and not reason:
            errors[key] = [_("Say why “%(item)s” does not apply.") % {"item": item.label}]
            continue
        if not done and item == ChecklistItem.SAFETY and order.order_type == OrderType.INSTALL:
            errors[key] = [_("The safety electrical test cannot be skipped on an install.")]
            continue
        if len(reason) > REASON_MAX:
            errors[key] = [_("At most %(max)s characters.") % {"max": REASON_MAX}]
            continue
        checklist[item.value] = {"done": done, "reason": "" if done else reason}
    return checklist


def _photos(raw, errors: dict) -> list[tuple[object, str]]:
    if raw in (None, ""):
        return []
    files = list(raw) if isinstance(raw, list | tuple) else [raw]
    if len(files) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(max)s photos.") % {"max": MAX_PHOTOS}]
        return []
    checked, problems = [], []
    for file in files:
        if not hasattr(file, "read"):
            problems.append(_("Upload the photos as files."))
            continue
        content_type, problem = attachment_problem(file)
        if problem:
            problems.append(problem)
        else:
            checked.append((file, content_type))
    if problems:
        errors["photos"] = problems
    return checked


# --- the report -------------------------------------------------------------------------------


def apply_completion(order, data: dict, actor) -> dict:
    """Validate and save the report carried in ``data``; returns what the status change records.

    Runs inside ``order_transition``'s transaction (the row is locked, status and role checked);
    every missing or wrong item is named in one ``ValidationFailed`` and nothing is written.
    """
    data = data or {}
    errors: dict[str, list[str]] = {}
    lines = list(order.lines.select_related("product_model__category", "appliance").order_by("id"))
    entries = _entries_by_line(lines, data.get("lines"), errors)
    plans = _plan_lines(order, lines, entries, errors)
    checklist = _checklist(order, data.get("checklist"), errors)

    hazard_type = _text(data.get("hazard_type"))
    hazard_note = _text(data.get("hazard_note"))
    if hazard_type not in HazardType.values:
        errors["hazard_type"] = [_("Unknown hazard type.")]
    elif hazard_type in INSTALL_BLOCKING_HAZARDS and order.order_type == OrderType.INSTALL:
        errors["hazard_type"] = [
            _("Unsafe wiring blocks an install: do not complete it, use “Refuse install (unsafe)” and tell the customer why.")
        ]
    elif hazard_type and not hazard_note:
        errors["hazard_note"] = [_("Describe the hazard found.")]
    if len(hazard_note) > HAZARD_NOTE_MAX:
        errors["hazard_note"] = [_("At most %(max)s characters.") % {"max": HAZARD_NOTE_MAX}]

    method = _text(data.get("confirmation_method"))
    signature = None
    if method == ConfirmationMethod.SIGNATURE:
        signature, problem = signature_png(data.get("signature"))
        if problem:
            errors["signature"] = [problem]
    elif method == ConfirmationMethod.SMS_CODE:
        code = _text(data.get("sms_code"))
        if not sms_code_available():
            errors["sms_code"] = [sms_not_configured_message()]
        elif not code:
            errors["sms_code"] = [_("Enter the code the customer received by SMS.")]
        elif not completion_code_verify(order, code):
            errors["sms_code"] = [_("The code is wrong or has expired; send a new one.")]
    else:
        errors["confirmation_method"] = [_("Choose how the customer confirms: signature or SMS code.")]

    photos = _photos(data.get("photos"), errors)
    remarks = _text(data.get("remarks"))
    if len(remarks) > REMARKS_MAX:
        errors["remarks"] = [_("At most %(max)s characters.") % {"max": REMARKS_MAX}]
    if errors:
        raise ValidationFailed(fields=errors)

    # --- everything checked: write ------------------------------------------------------------
    now = timezone.now()
    charged = Decimal(0)
    for plan in plans:
        line = plan.line
        for old in list(line.parts.all()) + list(line.labour.all()):  # a report replaces an earlier one
            audited(old, actor, "complete").delete()
        for part, quantity, line_charge in plan.parts:
            audited(
                LinePart(line=line, part=part, quantity=quantity, unit_price=part.unit_price, charged=line_charge), actor, "complete"
            ).save()
        for item, quantity, line_charge in plan.labour:
            audited(LineLabour(line=line, item=item, quantity=quantity, price=item.price, charged=line_charge), actor, "complete").save()
        if plan.fault is not None:
            line.fault_code = plan.fault
        line.cause = plan.cause
        line.resolution = plan.action
        line.quote_amount = plan.quote_amount
        line.quote_accepted = plan.quote_accepted
        line.charge_total = plan.total
        charged += plan.total
        audited(line, actor, "complete").save()

    report = CompletionReport.objects.filter(order=order).first() or CompletionReport(order=order)
    report.checklist = checklist
    report.confirmation_method = method
    report.remarks = remarks
    report.reported_by = actor if getattr(actor, "is_authenticated", False) else None
    report.signature = None
    report.sms_code_verified_at = None
    if signature is not None:
        report.signature = attachment_store(
            actor=actor, order=order, file=content_file(signature, "signature.png"), kind=AttachmentKind.SIGNATURE, content_type=PNG
        )
    else:
        report.sms_code_verified_at = now
        key = completion_code_key(order.pk)
        transaction.on_commit(lambda: cache.delete(key))  # the code is used up once the report is in
    audited(report, actor, "complete").save()
    for file, content_type in photos:
        kind = AttachmentKind.PHOTO if content_type != "application/pdf" else AttachmentKind.DOCUMENT
        attachment_store(actor=actor, order=order, file=file, kind=kind, content_type=content_type)

    order.hazard_type = hazard_type
    order.hazard_note = hazard_note
    order.completed_at = now
    return {
        "lines": len(plans),
        "charged": str(_money(charged)),
        "checklist": {k: ("done" if v["done"] else "na") for k, v in checklist.items()},
        "confirmation": method,
        "photos": len(photos),
        "fault_codes": [p.fault.code for p in plans if p.fault is not None],
        **({"hazard_type": hazard_type} if hazard_type else {}),
    }


# --- reads for the order page -------------------------------------------------------------------


def completion_summary(order) -> dict | None:
    """What ``orders/partials/completion_summary.html`` shows (``None`` before the report): a fixed
    number of queries whatever the number of lines."""
    report = CompletionReport.objects.filter(order=order).select_related("signature", "reported_by").first()
    if report is None:
        return None
    lines = list(
        order.lines.select_related("product_model__category", "fault_code", "appliance")
        .prefetch_related("parts__part", "labour__item")
        .order_by("id")
    )
    checklist = []
    for item in ChecklistItem:
        entry = report.checklist.get(item.value) or {}
        checklist.append({"item": item, "done": bool(entry.get("done")), "reason": entry.get("reason", ""), "recorded": bool(entry)})
    files = [a for a in order.attachments.all() if a.kind != AttachmentKind.SIGNATURE]
    return {
        "report": report,
        "lines": lines,
        "checklist": checklist,
        "files": files,
        "total": _money(sum((line.charge_total for line in lines), Decimal(0))),
        "hazard_type": order.hazard_type,
        "hazard_label": order.get_hazard_type_display() if order.hazard_type else "",
        "hazard_note": order.hazard_note,
    }
