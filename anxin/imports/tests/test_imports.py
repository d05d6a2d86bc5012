"""Customer import from Excel: all rows checked first, all or nothing, error report by row and column."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from anxin.core.models import ActivityLog
from anxin.customers.models import Appliance, Customer, CustomerPhone
from anxin.customers.search import customer_search
from anxin.imports.models import ImportJob, ImportStatus
from anxin.imports.services import HEADERS, MAX_UPLOAD_BYTES, customers_import_run, import_job_create

GOOD_ROWS = [
    [
        "王芳",
        "13900001111",
        "057188001234",
        "浙江省杭州市西湖区文三路10号",
        "VIP",
        "KFR-35GW",
        "SN-100",
        "2025-05-01",
        "2025-05-03",
        "国美",
        "FP1",
        "是",
    ],
    ["王芳", "139 0000 1111", "", "浙江省杭州市西湖区文三路10号", "", "kfr-35gw", "SN-101", date(2025, 5, 1), None, "国美", "FP1", ""],
    ["刘洋", "13700002222", "", "浙江省杭州市滨江区江南大道1号", "乡镇农村", "", "", "", "", "", "", "否"],
]


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, content: bytes, name: str = "customers.xlsx"):
    return client.post(reverse("customer_import"), {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_template_has_the_chinese_headers(world):
    response = client_for(world.agent).get(reverse("customer_import_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == [
        "姓名",
        "手机",
        "电话2",
        "地址",
        "客户分组",
        "型号",
        "机号",
        "购买日期",
        "安装日期",
        "购买商场",
        "发票号",
        "营销同意",
    ]


def test_a_good_file_imports_customers_phones_and_appliances(world):
    response = upload(client_for(world.agent), workbook(GOOD_ROWS))
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.processed_rows, job.error_count) == (3, 3, 0)
    assert job.summary == {"customers_created": 2, "customers_matched": 0, "appliances": 2}
    assert b'data-job-progress="done"' in response.content
    wang = Customer.objects.get(name="王芳")
    assert wang.group == "vip" and wang.marketing_consent
    assert sorted(wang.phones.values_list("number", flat=True)) == ["057188001234", "13900001111"]
    assert sorted(wang.appliances.values_list("serial", flat=True)) == ["SN-100", "SN-101"]
    assert wang.appliances.get(serial="SN-100").install_date == date(2025, 5, 3)
    liu = Customer.objects.get(name="刘洋")
    assert liu.group == "rural" and not liu.appliances.exists()
    assert wang in [h.customer for h in customer_search(user=world.agent, q="13900001111").hits]
    assert liu in [h.customer for h in customer_search(user=world.agent, q="13700002222").hits]
    log = ActivityLog.objects.get(action="customers.import")
    assert log.actor == world.agent and log.detail["status"] == "done"


def test_an_existing_customer_gets_the_appliances(world):
    existing = world.customer(name="王芳", phone="13900001111")
    upload(client_for(world.agent), workbook(GOOD_ROWS[:2]))
    assert ImportJob.objects.get().summary["customers_matched"] == 1
    assert Customer.objects.filter(phones__number="13900001111").distinct().count() == 1
    assert existing.appliances.count() == 2


def test_one_bad_row_saves_nothing_and_the_report_names_row_and_column(world):
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    rows = [
        *GOOD_ROWS,
        ["赵磊", "12345", "", "浙江省杭州市西湖区文三路11号", "", "KFR-35GW", "SN-100", future, "", "", "", ""],
        ["", "13600003333", "", "", "金卡", "NO-SUCH", "", "2025-13-45", "", "", "", "也许"],
    ]
    client = client_for(world.agent)
    response = upload(client, workbook(rows))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED
    assert not Customer.objects.exists() and not Appliance.objects.exists() and not CustomerPhone.objects.exists()
    found = {(e["row"], e["column"]) for e in job.errors}
    assert {(5, "手机"), (5, "机号"), (5, "购买日期")} <= found
    assert {(6, "姓名"), (6, "地址"), (6, "客户分组"), (6, "型号"), (6, "购买日期"), (6, "营销同意")} <= found
    assert not any(e["row"] in (2, 3, 4) for e in job.errors)
    assert job.error_count == len(job.errors)
    html = response.content.decode()
    assert 'data-job-progress="rejected"' in html and "data-error-report" in html

    report = client.get(reverse("import_job_report", args=[job.pk]))
    assert report.status_code == 200
    book = load_workbook(io.BytesIO(report.content))
    data = book.worksheets[0]
    assert [c.value for c in data[1]][-1] == "错误"
    assert data.cell(row=5, column=1).value == "赵磊"
    assert "手机" in data.cell(row=5, column=13).value
    assert data.cell(row=2, column=13).value in (None, "")
    listing = [tuple(r) for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert any(r[0] == 5 and r[1] == "手机" for r in listing)
    assert ActivityLog.objects.get(action="customers.import").detail["status"] == "rejected"


def test_missing_columns_reject_the_file(world):
    job = import_job_create(actor=world.agent, filename="x.xlsx", data=workbook([["王芳"]], headers=["姓名"]))
    customers_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.REJECTED
    assert {e["column"] for e in job.errors} == {"手机", "地址"}


def test_wrong_file_type_and_size_are_refused(world):
    client = client_for(world.agent)
    response = client.post(reverse("customer_import"), {"file": SimpleUploadedFile("customers.csv", b"a,b\n1,2\n")})
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()
    response = client.post(reverse("customer_import"), {"file": SimpleUploadedFile("fake.xlsx", b"not a zip at all")})
    assert response.status_code == 400
    big = b"PK" + b"0" * MAX_UPLOAD_BYTES
    response = client.post(reverse("customer_import"), {"file": SimpleUploadedFile("big.xlsx", big)})
    assert response.status_code == 400
    assert "10 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_corrupt_workbook_is_rejected_not_crashed(world):
    job = import_job_create(actor=world.agent, filename="x.xlsx", data=b"PK\x03\x04 broken")
    customers_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.REJECTED and job.error_count == 1


@pytest.mark.parametrize("persona", ["dealer", "technician", "dispatcher", "callback_agent"])
def test_other_roles_may_not_import(world, persona):
    client = client_for(world.users[persona])
    assert client.get(reverse("customer_import")).status_code == 403
    assert client.get(reverse("customer_import_template")).status_code == 403
    assert upload(client, workbook(GOOD_ROWS)).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["hq_manager", "region_director", "agent"])
def test_import_roles_may_open_the_page(world, persona):
    assert client_for(world.users[persona]).get(reverse("customer_import")).status_code == 200


def test_jobs_are_private_to_their_uploader(world):
    upload(client_for(world.agent), workbook(GOOD_ROWS))
    job = ImportJob.objects.get()
    mine = client_for(world.agent)
    page = mine.get(reverse("import_jobs"))
    assert f'data-job="{job.pk}"'.encode() in page.content
    assert mine.get(reverse("import_job_progress", args=[job.pk])).status_code == 200
    other = client_for(world.hq_manager)
    assert f'data-job="{job.pk}"'.encode() not in other.get(reverse("import_jobs")).content
    for name in ("import_job", "import_job_progress", "import_job_report"):
        assert other.get(reverse(name, args=[job.pk])).status_code == 404


def test_progress_partial_polls_until_finished(world):
    job = ImportJob.objects.create(user=world.agent, filename="x.xlsx", source=b"PK", total_rows=200, processed_rows=50)
    html = client_for(world.agent).get(reverse("import_job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html
    job.status = ImportStatus.DONE
    job.save()
    html = client_for(world.agent).get(reverse("import_job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in html


def test_the_task_runs_the_service(world):
    from anxin.imports.tasks import customers_import_task

    job = import_job_create(actor=world.agent, filename="x.xlsx", data=workbook(GOOD_ROWS))
    assert customers_import_task.delay(job.pk).get() == ImportStatus.DONE
    # A redelivered task does not import twice.
    assert customers_import_task.delay(job.pk).get() == ImportStatus.DONE
    assert Customer.objects.count() == 2
