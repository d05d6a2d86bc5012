"""Test fixtures of the orders app (moved out of ``orders.completion.report``): a tiny valid PNG and a
valid completion report for any order. The benchmarks use them too; the demo
files its own reports (``demo.completion``)."""

from __future__ import annotations

import base64
import struct
import zlib

from django.utils.translation import gettext as _

from anxin.catalog.models import FaultCode
from anxin.orders.choices import ChecklistItem, ConfirmationMethod
from anxin.orders.completion.report import PNG_MAGIC


def _tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


TINY_PNG = _tiny_png()
TINY_PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()


def minimal_report(order) -> dict:
    """A valid report for ``order``: each line keeps its fault code or takes its category's first,
    every checklist item done, a tiny PNG signature; out-of-warranty lines carry an accepted 0 quote."""
    lines = list(order.lines.select_related("product_model").order_by("id"))
    categories = {line.product_model.category_id for line in lines}
    first_fault: dict[int, int] = {}
    for fault in FaultCode.objects.filter(category_id__in=categories).order_by("difficulty", "code"):
        first_fault.setdefault(fault.category_id, fault.pk)
    return {
        "lines": [
            {
                "line": line.pk,
                "fault_code": line.fault_code_id or first_fault.get(line.product_model.category_id),
                "cause": line.symptom or "—",
                "action": _("Serviced"),
                "parts": [],
                "labour": [],
                "quote_amount": None if line.in_warranty else "0.00",
                "quote_accepted": None if line.in_warranty else True,
            }
            for line in lines
        ],
        "checklist": {item.value: {"done": True, "reason": ""} for item in ChecklistItem},
        "hazard_type": "",
        "hazard_note": "",
        "confirmation_method": ConfirmationMethod.SIGNATURE,
        "signature": TINY_PNG_DATA_URL,
        "remarks": "",
    }
