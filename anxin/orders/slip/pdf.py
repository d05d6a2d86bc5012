"""The printable work-order slip (工单 / 服务凭证): a PDF in A4 or A5 with a QR code to the order page
and the customer card (the 1+5 services and the supervision hotline).

fpdf2 draws the page; the Chinese font is a GB2312 subset of Noto Sans CJK SC vendored under
``web/static/anxin/fonts`` (built by ``scripts/make_font_subset.py``, OFL), with a supplement of
every other hanzi of the face for rare name characters, and embedded — again subset to the glyphs
used — in every PDF, so the text is real, extractable text. The QR code is
drawn as vector squares from segno's matrix (no image library, sharp at any printer resolution).
See docs/decisions/0018-pdf-slip.md.
"""

from __future__ import annotations

import functools
import warnings
from decimal import Decimal

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from anxin.customers.selectors import contact_visible, dealer_card_for, mask_address, mask_phone
from anxin.orders.choices import ChecklistItem
from anxin.orders.models import CompletionReport, WorkOrder

# The faces are static files of the UI kit, found by their static name (not by a path into another app).
FONT_FILE = "anxin/fonts/NotoSansSC-Slip.ttf"
FONT = "noto-sc"
# Every other hanzi of the face (喆, 堃, 䶮…): 7 MB, added as a fallback only for a slip that needs it.
FONT_EXT_FILE = "anxin/fonts/NotoSansSC-SlipExt.ttf"
FONT_EXT = "noto-sc-ext"
BRAND = "安心"  # the brand, printed as is in every language (like the logo in web/base.html)
DEFAULT_SUPERVISION_HOTLINE = "400-000-0000"


class _Layout:
    """Sizes per paper format: A5 is the same slip, smaller."""

    def __init__(self, size: str):
        self.size = size
        a4 = size == "A4"
        self.margin = 12 if a4 else 8
        self.base = 9.5 if a4 else 7.5
        self.title = 16 if a4 else 12.5
        self.line_h = 5.2 if a4 else 4.0
        self.qr = 30 if a4 else 22
        self.signature_h = 20 if a4 else 14


def _fmt_dt(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _window(start, end) -> str:
    if not start:
        return "—"
    if not end:
        return _fmt_dt(start)
    s, e = timezone.localtime(start), timezone.localtime(end)
    tail = e.strftime("%H:%M") if s.date() == e.date() else e.strftime("%Y-%m-%d %H:%M")
    return f"{s:%Y-%m-%d %H:%M} – {tail}"


def _money(value: Decimal | None) -> str:
    return f"¥{(value or Decimal('0')).quantize(Decimal('0.01'))}"


def _primary_phone(customer) -> str:
    phones = sorted(customer.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    return phones[0].number if phones else ""


def _draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares (runs of dark modules per row), quiet zone included."""
    qr = segno.make(data, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        col = 0
        while col < len(cells):
            if cells[col]:
                start = col
                while col < len(cells) and cells[col]:
                    col += 1
                pdf.rect(x + start * module, y + row * module, (col - start) * module, module, style="F")
            else:
                col += 1


@functools.cache
def _static_file(name: str) -> str:
    found = finders.find(name)
    if not found:
        raise FileNotFoundError(name)
    return str(found)


class _SlipPDF(FPDF):
    def __init__(self, layout: _Layout, footer_text: str):
        with warnings.catch_warnings():
            # fpdf2 ≥ 2.8.5 warns that it corrected the A5 dimensions; the corrected ones are right.
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(orientation="portrait", unit="mm", format=layout.size)
        self.layout = layout
        self.footer_text = footer_text
        self.set_margins(layout.margin, layout.margin, layout.margin)
        self.set_auto_page_break(True, margin=layout.margin + 4)
        self.add_font(FONT, "", _static_file(FONT_FILE))
        self.set_font(FONT, size=layout.base)
        self._base_cmap = self.fonts[FONT].cmap
        self._ext_added = False

    def normalize_text(self, text: str) -> str:
        # fpdf2 passes every text it measures or draws through here: the first character the base
        # font lacks brings in the supplement as a fallback font (decision 0018).
        if not self._ext_added and any(ord(ch) not in self._base_cmap for ch in text if ord(ch) >= 0x3400):
            self._ext_added = True
            self.add_font(FONT_EXT, "", _static_file(FONT_EXT_FILE))
            self.set_fallback_fonts([FONT_EXT])
        return super().normalize_text(text)

    def footer(self) -> None:
        self.set_y(-(self.layout.margin + 2))
        self.set_font(FONT, size=self.layout.base - 2)
        self.set_text_color(110, 110, 110)
        self.cell(0, 4, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _heading(pdf: _SlipPDF, text: str) -> None:
    lay = pdf.layout
    pdf.ln(1.5)
    pdf.set_font(FONT, size=lay.base + 1.5)
    pdf.set_fill_color(232, 238, 246)
    pdf.cell(0, lay.line_h + 1, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=lay.base)
    pdf.ln(0.8)


def _props(pdf: _SlipPDF, rows: list[tuple[str, str]], *, width: float) -> None:
    """Label / value pairs, two per row, values wrapping."""
    lay = pdf.layout
    label_w = width * 0.16
    value_w = width * 0.34
    for i in range(0, len(rows), 2):
        pair = rows[i : i + 2]
        y0 = pdf.get_y()
        heights = []
        for j, (label, value) in enumerate(pair):
            x = lay.margin + j * (label_w + value_w)
            pdf.set_xy(x, y0)
            pdf.set_text_color(90, 90, 90)
            pdf.cell(label_w, lay.line_h, label)
            pdf.set_text_color(0, 0, 0)
            pdf.set_xy(x + label_w, y0)
            pdf.multi_cell(value_w, lay.line_h, value or "—", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            heights.append(pdf.get_y() - y0)
        pdf.set_y(y0 + max(heights))


def render_slip(order: WorkOrder, *, size: str = "A4", user, order_url: str = "") -> bytes:
    """The slip of ``order`` as PDF bytes. ``user`` decides whether the contact is shown in full
    (``contact_visible``, as on the order page); ``order_url`` is what the QR code points to (the
    view passes the absolute URL of the order page)."""
    size = size.upper()
    if size not in ("A4", "A5"):
        raise ValueError(f"unknown slip size {size!r}")
    prefetch_related_objects([order], "lines__product_model__category", "lines__fault_code", "lines__appliance", "customer__phones")
    lines = list(order.lines.all())
    report = CompletionReport.objects.filter(order=order).first()
    full = contact_visible(user=user, customer=order.customer)
    phone = _primary_phone(order.customer)
    card = dealer_card_for(user=user, customer=order.customer)  # a dealer's slip: what it typed (decision 0023)
    customer_name = order.customer.name if card is None else card.name
    if card is not None:
        phone = card.phones[0] if card.phones else ""
    phone = phone if full else (mask_phone(phone) if phone else "")
    address = order.address.text if full else mask_address(order.address.text, order.address.district)
    hotline = getattr(settings, "ANXIN_SUPERVISION_HOTLINE", DEFAULT_SUPERVISION_HOTLINE) or DEFAULT_SUPERVISION_HOTLINE
    order_url = order_url or reverse("order_detail", args=[order.pk])

    lay = _Layout(size)
    printed = _("Printed %(when)s by %(who)s") % {"when": _fmt_dt(timezone.now()), "who": str(user)}
    pdf = _SlipPDF(lay, printed)
    pdf.set_title(f"{order.number} {_('Work-order slip')}")
    pdf.set_author(BRAND)
    pdf.set_creator("Anxin")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.w - 2 * lay.margin

    # Header: brand and title on the left, the QR code with the order number on the right.
    top = pdf.get_y()
    qr_x = pdf.w - lay.margin - lay.qr
    _draw_qr(pdf, order_url, qr_x, top, lay.qr)
    pdf.set_xy(qr_x - 4, top + lay.qr)
    pdf.set_font(FONT, size=lay.base - 1.5)
    pdf.cell(lay.qr + 8, 4, order.number or f"#{order.pk}", align="C")
    pdf.set_xy(lay.margin, top)
    pdf.set_font(FONT, size=lay.title)
    pdf.cell(qr_x - lay.margin - 2, lay.title * 0.5, str(settings.ANXIN_SITE_NAME), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=lay.base + 2)
    pdf.cell(qr_x - lay.margin - 2, lay.line_h + 2, _("Work-order slip"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=lay.base)
    pdf.cell(qr_x - lay.margin - 2, lay.line_h, f"{_('Order number')}: {order.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(qr_x - lay.margin - 2, lay.line_h, _("Scan the code to open the order."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(max(pdf.get_y(), top + lay.qr + 5))

    _heading(pdf, _("Work order"))
    technician = order.technician
    _props(
        pdf,
        [
            (_("Type"), order.get_order_type_display()),
            (_("Status"), order.get_status_display()),
            (_("Created"), _fmt_dt(order.created_at)),
            (_("Appointment"), _window(order.appointment_start, order.appointment_end)),
            (_("Outlet"), order.outlet.name if order.outlet_id else "—"),
            (_("Technician"), f"{technician.name} ({technician.grade})" if technician else "—"),
        ],
        width=width,
    )

    _heading(pdf, _("Customer"))
    _props(
        pdf,
        [(_("Customer"), customer_name), (_("Phone"), phone or "—"), (_("Address"), address)],
        width=width,
    )

    _heading(pdf, _("Appliances"))
    completed = order.completed_at is not None
    headings = [_("Model"), _("Serial number"), _("Symptom"), _("Warranty")]
    widths = [22, 16, 24, 12]
    if completed:
        headings.append(_("Fault / action"))
        widths.append(26)
    total = Decimal("0")
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        line_height=lay.line_h,
        first_row_as_headings=True,
        headings_style=FontFace(family=FONT, emphasis="", fill_color=(240, 240, 240)),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        row = table.row()
        for text in headings:
            row.cell(text)
        for line in lines:
            row = table.row()
            row.cell(f"{line.product_model.code}\n{line.product_model.name}")
            row.cell((line.appliance.serial if line.appliance_id and line.appliance.serial else "") or "—")
            row.cell(line.symptom or "—")
            row.cell(_("In warranty") if line.in_warranty else _("Out of warranty"))
            if completed:
                fault = f"{line.fault_code.code} {line.fault_code.name}" if line.fault_code_id else ""
                row.cell("\n".join(t for t in (fault, line.resolution) if t) or "—")
            total += line.charge_total or Decimal("0")
    pdf.ln(1)
    charge_text = _money(total) if total else (_("Free of charge (in warranty)") if all(ln.in_warranty for ln in lines) else _money(total))
    pdf.cell(0, lay.line_h, f"{_('Charges')}: {charge_text}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # The customer card: the 1+5 services, the supervision hotline, the signature.
    _heading(pdf, _("Customer card · 1+5 services"))
    pdf.multi_cell(
        0,
        lay.line_h,
        _("Every visit: the job done right the first time, plus these five services free of charge:"),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    checklist = report.checklist if report else {}
    for item in ChecklistItem:
        entry = checklist.get(item.value) if checklist else None
        if entry is None:
            mark, note = "□", ""
        elif entry.get("done"):
            mark, note = "✓", _("done")
        else:
            mark, note = "—", _("not applicable: %(reason)s") % {"reason": entry.get("reason") or "—"}
        text = f"{mark}  {item.label}" + (f"  ({note})" if note else "")
        pdf.cell(0, lay.line_h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FONT, size=lay.base + 1)
    pdf.multi_cell(
        0,
        lay.line_h + 1,
        _("Supervision hotline: %(hotline)s — call us if any promise above was not kept or you were asked to pay unexpected charges.")
        % {"hotline": hotline},
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, size=lay.base)
    pdf.ln(2)
    if pdf.get_y() + lay.signature_h + lay.line_h > pdf.page_break_trigger:
        pdf.add_page()
    y = pdf.get_y()
    half = width / 2 - 2
    pdf.cell(half, lay.line_h, _("Customer signature"))
    pdf.set_x(lay.margin + half + 4)
    pdf.cell(half, lay.line_h, _("Technician signature"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.rect(lay.margin, y + lay.line_h, half, lay.signature_h)
    pdf.rect(lay.margin + half + 4, y + lay.line_h, half, lay.signature_h)
    pdf.set_y(y + lay.line_h + lay.signature_h + 1)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, lay.line_h, f"{_('Date')}: ____________", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
