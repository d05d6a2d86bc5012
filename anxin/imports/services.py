"""Customer import from Excel (客户档案批量导入): validate every row first, then save all or nothing.

One row per appliance; rows with the same mobile number are one customer. Any bad row rejects the
whole file (nothing saved) and the job keeps a list of (Excel row, column, message) from which an
error report is built. A good file is saved in ONE transaction through the customer services, so
audit history and the search index are written exactly as for a customer entered by hand.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.catalog.models import ProductModel
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.core.locks import lock_names
from anxin.core.services import activity_record
from anxin.customers.choices import CustomerGroup
from anxin.customers.models import Customer, CustomerPhone
from anxin.customers.services import appliance_add, customer_create, phone_normalize
from anxin.imports.models import ImportJob, ImportKind, ImportStatus
from anxin.web.exports import spreadsheet_cell

logger = logging.getLogger(__name__)

IMPORT_ROLES = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.AGENT)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
PROGRESS_EVERY = 50

# The template's columns, in order (the header row of the workbook).
COL_NAME, COL_PHONE, COL_PHONE2, COL_ADDRESS, COL_GROUP = "姓名", "手机", "电话2", "地址", "客户分组"
COL_MODEL, COL_SERIAL, COL_PURCHASE, COL_INSTALL = "型号", "机号", "购买日期", "安装日期"
COL_STORE, COL_INVOICE, COL_CONSENT = "购买商场", "发票号", "营销同意"
HEADERS = [
    COL_NAME,
    COL_PHONE,
    COL_PHONE2,
    COL_ADDRESS,
    COL_GROUP,
    COL_MODEL,
    COL_SERIAL,
    COL_PURCHASE,
    COL_INSTALL,
    COL_STORE,
    COL_INVOICE,
    COL_CONSENT,
]
REQUIRED_HEADERS = (COL_NAME, COL_PHONE, COL_ADDRESS)
ERROR_HEADER = "错误"

# Group names as people write them (DOMAIN.md's Chinese terms), besides the codes and labels.
GROUP_SYNONYMS = {
    "vip": CustomerGroup.VIP,
    "高端": CustomerGroup.VIP,
    "高端用户": CustomerGroup.VIP,
    "成套": CustomerGroup.COMPLETE_SET,
    "成套用户": CustomerGroup.COMPLETE_SET,
    "工程": CustomerGroup.PROJECT,
    "工程用户": CustomerGroup.PROJECT,
    "城市社区": CustomerGroup.URBAN,
    "城市": CustomerGroup.URBAN,
    "乡镇农村": CustomerGroup.RURAL,
    "乡镇": CustomerGroup.RURAL,
    "农村": CustomerGroup.RURAL,
}
YES = {"是", "y", "yes", "1", "true", "同意", "√"}
NO = {"否", "n", "no", "0", "false", "不同意", ""}


def group_lookup() -> dict[str, str]:
    table = dict(GROUP_SYNONYMS)
    for value, label in CustomerGroup.choices:
        table[value.lower()] = value
        table[str(label).lower()] = value
        with override("zh-hans"):
            table[str(CustomerGroup(value).label).lower()] = value
    return table


def template_workbook() -> bytes:
    """The empty import template: Chinese headers and one example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "客户导入"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(
        [
            "张伟",
            "13812345678",
            "",
            "浙江省杭州市西湖区文三路90号",
            "城市社区",
            "KFR-35GW",
            "SN0001",
            "2025-05-01",
            "2025-05-03",
            "国美文三路店",
            "FP001",
            "否",
        ]
    )
    for letter, width in zip("ABCDEFGHIJKL", (10, 14, 14, 36, 10, 14, 16, 12, 12, 16, 12, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet("说明")
    for line in (
        "每行一台家电；手机相同的行属于同一位客户（客户信息以第一行为准）。",
        "必填：姓名、手机、地址。填写机号或日期时必须填写型号。",
        "客户分组：VIP、成套用户、工程用户、城市社区、乡镇农村（留空为城市社区）。",
        "日期格式：2025-05-01；购买日期不能晚于今天。营销同意：是 / 否。",
        "只要有一行有错误，整个文件都不会导入；请按错误报告修改后重新上传。",
    ):
        notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading and validating ------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedRow:
    row: int
    name: str
    phone: str
    phone2: str
    address: str
    group: str
    consent: bool
    model: ProductModel | None
    serial: str
    purchase_date: date | None
    install_date: date | None
    store_name: str
    invoice_no: str


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)  # (Excel row number, cell values)


def read_sheet(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise ValidationFailed(_("The file is not a readable Excel workbook (.xlsx)."), code="bad_file") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [str(v).strip() if v is not None else "" for v in next(rows)]
    except StopIteration:
        header = []
    result = Sheet(header=header)
    for number, values in enumerate(rows, start=2):
        values = list(values)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        result.rows.append((number, values))
        if len(result.rows) > MAX_ROWS:
            break
    book.close()
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed as a number: 13812345678.0
    return str(value).strip()


def parse_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (only the calendar date is kept)
        except ValueError:
            continue
    raise ValueError(text)


def validate_rows(sheet: Sheet, *, progress=None) -> tuple[list[ParsedRow], list[RowError]]:
    errors: list[RowError] = []
    missing = [h for h in REQUIRED_HEADERS if h not in sheet.header]
    if missing:
        return [], [RowError(1, h, _("The column is missing; use the import template.")) for h in missing]
    if not sheet.rows:
        return [], [RowError(2, "", _("The file has no data rows."))]
    if len(sheet.rows) > MAX_ROWS:
        return [], [RowError(1, "", _("At most %(max)s rows per file; split the file.") % {"max": MAX_ROWS})]
    index = {h: i for i, h in enumerate(sheet.header) if h}
    wanted = {_text(v[index[COL_MODEL]]).upper() for _n, v in sheet.rows if COL_MODEL in index and index[COL_MODEL] < len(v)}
    codes = {m.code.upper(): m for m in ProductModel.objects.filter(code__in=[c for c in wanted if c])}
    if len(codes) < len({c for c in wanted if c}):
        # Codes typed in another case: one more query over the catalogue's codes.
        codes.update({m.code.upper(): m for m in ProductModel.objects.all() if m.code.upper() in wanted})
    groups = group_lookup()
    today = timezone.localdate()
    serial_rows: dict[str, int] = {}
    parsed: list[ParsedRow] = []

    for count, (number, values) in enumerate(sheet.rows, start=1):

        def cell(header: str, values=values) -> str | object:
            i = index.get(header)
            return values[i] if i is not None and i < len(values) else None

        row_errors: list[RowError] = []

        def bad(column: str, message: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, column, message))

        name = _text(cell(COL_NAME))
        if not name:
            bad(COL_NAME, _("Enter the customer's name."))
        elif len(name) > 50:
            bad(COL_NAME, _("The name is too long (at most 50 characters)."))
        phone = phone2 = ""
        for column, required in ((COL_PHONE, True), (COL_PHONE2, False)):
            raw = _text(cell(column))
            if not raw:
                if required:
                    bad(column, _("Enter a phone number."))
                continue
            try:
                normalized = phone_normalize(raw).number
            except ValidationFailed as exc:
                bad(column, next(iter(exc.fields.values()))[0])
                continue
            if column == COL_PHONE:
                phone = normalized
            else:
                phone2 = normalized
        address = _text(cell(COL_ADDRESS))
        if not address:
            bad(COL_ADDRESS, _("Enter an address."))
        elif len(address) > 200:
            bad(COL_ADDRESS, _("The address is too long (at most 200 characters)."))
        group_text = _text(cell(COL_GROUP))
        group = CustomerGroup.URBAN
        if group_text:
            group = groups.get(group_text.lower(), "")
            if not group:
                bad(COL_GROUP, _("Unknown customer group “%(value)s”.") % {"value": group_text})
        consent_text = _text(cell(COL_CONSENT)).lower()
        consent = consent_text in YES
        if consent_text not in YES and consent_text not in NO:
            bad(COL_CONSENT, _("Write 是 or 否."))
        code = _text(cell(COL_MODEL))
        model = None
        if code:
            model = codes.get(code.upper())
            if model is None:
                bad(COL_MODEL, _("Unknown model “%(code)s”.") % {"code": code})
        serial = _text(cell(COL_SERIAL))
        if serial:
            if len(serial) > 40:
                bad(COL_SERIAL, _("The serial is longer than 40 characters."))
            first = serial_rows.setdefault(serial.upper(), number)
            if first != number:
                bad(COL_SERIAL, _("The serial is also on row %(row)s.") % {"row": first})
        dates: dict[str, date | None] = {}
        for column in (COL_PURCHASE, COL_INSTALL):
            try:
                dates[column] = parse_date(cell(column))
            except ValueError:
                dates[column] = None
                bad(column, _("Not a date; write it like 2025-05-01."))
        purchase, install = dates[COL_PURCHASE], dates[COL_INSTALL]
        if purchase and purchase > today:
            bad(COL_PURCHASE, _("The purchase date cannot be in the future."))
        if purchase and install and install < purchase:
            bad(COL_INSTALL, _("The install date cannot be before the purchase date."))
        store, invoice = _text(cell(COL_STORE)), _text(cell(COL_INVOICE))
        if len(store) > 100:
            bad(COL_STORE, _("At most 100 characters."))
        if len(invoice) > 40:
            bad(COL_INVOICE, _("At most 40 characters."))
        if not code and (serial or purchase or install or store or invoice):
            bad(COL_MODEL, _("Enter the model of the appliance."))
        errors.extend(row_errors)
        if not row_errors:
            parsed.append(ParsedRow(number, name, phone, phone2, address, group, consent, model, serial, purchase, install, store, invoice))
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    return parsed, errors


# --- the job ---------------------------------------------------------------------------------


def import_job_create(*, actor: User, filename: str, data: bytes, size: int | None = None, kind: str = ImportKind.CUSTOMERS) -> ImportJob:
    """Check the upload and queue a job (the caller starts the task). ``size`` is the uploaded size
    when the caller did not read an oversized file."""
    if not actor.has_role(*IMPORT_ROLES):
        raise PermissionDenied(_("Your role may not import customers."))
    if not filename.lower().endswith(".xlsx"):
        raise ValidationFailed(fields={"file": _("Upload an Excel workbook (.xlsx); other file types are not accepted.")})
    if (size if size is not None else len(data)) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            fields={
                "file": _("The file is larger than %(limit)s MB; split it into smaller files.")
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            }
        )
    if not data.startswith(b"PK"):
        raise ValidationFailed(fields={"file": _("The file is not a readable Excel workbook (.xlsx).")})
    return ImportJob.objects.create(user=actor, kind=kind, filename=filename[:200], source=data)


def _finish(job: ImportJob, status: str, **fields) -> None:
    job.status = status
    job.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(job, key, value)
    job.save(update_fields=["status", "finished_at", *fields])


def _record(job: ImportJob) -> None:
    activity_record(
        actor=job.user,
        action="customers.import",
        target=job,
        detail={"status": job.status, "filename": job.filename, "rows": job.total_rows, "errors": job.error_count, **job.summary},
    )


def customers_import_run(*, job_id: int) -> ImportJob:
    """Run a queued customer import (called by the Celery task)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return job  # a redelivered task: the job already ran
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    job.status = ImportStatus.RUNNING
    try:
        try:
            sheet = read_sheet(bytes(job.source))
        except ValidationFailed as exc:
            errors = [RowError(1, "", str(exc.message))]
            _finish(job, ImportStatus.REJECTED, errors=[e.as_dict() for e in errors], error_count=1)
            _record(job)
            return job
        job.total_rows = len(sheet.rows)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)

        def progress(count: int) -> None:
            # Validation is the long part; saving happens in one transaction that pollers cannot see into.
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=count)

        rows, errors = validate_rows(sheet, progress=progress)
        if errors:
            _finish(
                job, ImportStatus.REJECTED, errors=[e.as_dict() for e in errors], error_count=len(errors), processed_rows=job.total_rows
            )
            _record(job)
            return job
        with transaction.atomic():
            summary = _save_rows(actor=job.user, rows=rows)
            job.summary = summary
            _finish(job, ImportStatus.DONE, processed_rows=job.total_rows, summary=summary, errors=[], error_count=0)
            _record(job)
        return job
    except Exception:
        logger.exception("customer import %s failed", job.pk)
        _finish(
            job,
            ImportStatus.FAILED,
            errors=[{"row": 0, "column": "", "message": _("The import stopped with an internal error; nothing was saved.")}],
            error_count=1,
        )
        _record(job)
        return job


def _save_rows(*, actor: User, rows: list[ParsedRow]) -> dict:
    by_phone: dict[str, list[ParsedRow]] = {}
    for row in rows:
        by_phone.setdefault(row.phone, []).append(row)
    existing: dict[str, Customer] = {}
    numbers = list(by_phone)
    lock_names(*(f"phone:{n}" for n in numbers))  # a sale or another import creating the same new customer waits
    for start in range(0, len(numbers), 500):
        for phone in (
            CustomerPhone.objects.filter(number__in=numbers[start : start + 500]).select_related("customer").order_by("customer_id")
        ):
            existing.setdefault(phone.number, phone.customer)
    created = matched = appliances = 0
    for number, group_rows in by_phone.items():
        first = group_rows[0]
        customer = existing.get(number)
        if customer is None:
            customer = customer_create(
                actor=actor,
                name=first.name,
                phones=list(dict.fromkeys(p for p in (first.phone, first.phone2) if p)),
                address=first.address,
                group=first.group,
                marketing_consent=first.consent,
            )
            created += 1
        else:
            matched += 1
        for row in group_rows:
            if row.model is None:
                continue
            appliance_add(
                actor=actor,
                customer=customer,
                product_model=row.model,
                serial=row.serial,
                purchase_date=row.purchase_date,
                install_date=row.install_date,
                store_name=row.store_name,
                invoice_no=row.invoice_no,
            )
            appliances += 1
    return {"customers_created": created, "customers_matched": matched, "appliances": appliances}


def error_report_workbook(job: ImportJob) -> bytes:
    """The original rows with an 错误 column, and a second sheet listing row / column / message."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    by_row: dict[int, list[str]] = {}
    for e in job.errors:
        by_row.setdefault(int(e["row"]), []).append(f"{e['column']}: {e['message']}" if e["column"] else e["message"])
    book = Workbook()
    sheet = book.active
    sheet.title = "导入数据"
    try:
        original = read_sheet(bytes(job.source))
    except ValidationFailed:
        original = Sheet(header=[])
    sheet.append([*original.header, ERROR_HEADER])
    red = PatternFill("solid", fgColor="FFE0E0")
    for number, values in original.rows:
        values = [*values, *[None] * (len(original.header) - len(values))]
        messages = by_row.get(number, [])
        sheet.append([spreadsheet_cell(v) for v in values] + ["；".join(messages)])
        if messages:
            for cell in sheet[sheet.max_row]:
                cell.fill = red
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    listing = book.create_sheet("错误列表")
    listing.append(["行号", "列", "错误"])
    for e in job.errors:
        listing.append([e["row"], e["column"], spreadsheet_cell(e["message"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
