"""One way to send a table as a CSV or Excel download (used by every list's export)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMBERISH = re.compile(r"[\d\s\-+()]+")


def spreadsheet_cell(value):
    """Neutralise spreadsheet formulas (CSV / Excel injection) in text typed by users; phone
    numbers such as ``+86 138…`` stay as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBERISH.fullmatch(value):
        return "'" + value
    return value


def table_response(
    *, header: list, rows: Iterable[list], fmt: str, filename: str, sheet_title: str, widths: Iterable[int] = ()
) -> HttpResponse:
    """``filename`` without extension; a timestamp and the extension are added."""
    cleaned = ([spreadsheet_cell(v) for v in row] for row in rows)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(sheet_title)[:31])
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.append([str(h) for h in header])
        for row in cleaned:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese correctly
        writer = csv.writer(buffer)
        writer.writerow([str(h) for h in header])
        writer.writerows(cleaned)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
