"""The completion reports the demo files for its finished orders: the diagnosed fault and the action
taken on the lines of its category, every line otherwise serviced, the 1+5 checklist done and a
customer's signature (a 1×1 PNG). Demo data, not a rule: ``orders.completion.report`` validates it
like any technician's report."""

from __future__ import annotations

import base64
import struct
import zlib

from django.utils.translation import gettext as _

from anxin.catalog.models import FaultCode
from anxin.orders.choices import ChecklistItem, ConfirmationMethod
from anxin.orders.completion.report import PNG_MAGIC


def _signature_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


SIGNATURE = "data:image/png;base64," + base64.b64encode(_signature_png()).decode()


def demo_report(order, *, fault: FaultCode, resolution: str) -> dict:
    """A valid report for ``order``: ``fault`` and ``resolution`` on the lines of its category, each other
    line its own fault code or its category's first; out-of-warranty lines carry an accepted 0 quote."""
    lines = list(order.lines.select_related("product_model").order_by("id"))
    categories = {line.product_model.category_id for line in lines}
    first_fault: dict[int, int] = {}
    for row in FaultCode.objects.filter(category_id__in=categories).order_by("difficulty", "code"):
        first_fault.setdefault(row.category_id, row.pk)

    def entry(line) -> dict:
        ours = line.product_model.category_id == fault.category_id
        return {
            "line": line.pk,
            "fault_code": fault.pk if ours else line.fault_code_id or first_fault.get(line.product_model.category_id),
            "cause": line.symptom or "—",
            "action": resolution if ours else _("Serviced"),
            "parts": [],
            "labour": [],
            "quote_amount": None if line.in_warranty else "0.00",
            "quote_accepted": None if line.in_warranty else True,
        }

    return {
        "lines": [entry(line) for line in lines],
        "checklist": {item.value: {"done": True, "reason": ""} for item in ChecklistItem},
        "hazard_type": "",
        "hazard_note": "",
        "confirmation_method": ConfirmationMethod.SIGNATURE,
        "signature": SIGNATURE,
        "remarks": "",
    }
