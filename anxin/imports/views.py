"""Customer import pages: template download, upload, the job's progress (htmx poll) and "My jobs"."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from anxin.core.errors import ValidationFailed
from anxin.imports.models import ImportJob, ImportStatus
from anxin.imports.services import IMPORT_ROLES, MAX_UPLOAD_BYTES, error_report_workbook, import_job_create, template_workbook
from anxin.imports.tasks import customers_import_task
from anxin.web.errors import add_service_errors
from anxin.web.exports import XLSX_TYPE


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )


def _require_import_role(user) -> None:
    if not user.has_role(*IMPORT_ROLES):
        raise PermissionDenied


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def customer_template_view(request):
    _require_import_role(request.user)
    return _xlsx(template_workbook(), "customer-import-template.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def customer_import_view(request):
    _require_import_role(request.user)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # An oversized file is refused by its size, without reading it into memory.
                data = upload.read() if upload.size <= MAX_UPLOAD_BYTES else b""
                job = import_job_create(actor=request.user, filename=upload.name, data=data, size=upload.size)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
                status = 400
            else:
                # The job row is committed (no request-wide transaction), so a worker can read it.
                customers_import_task.delay(job.pk)
                return redirect("import_job", pk=job.pk)
        else:
            status = 400
    else:
        form = UploadForm()
    jobs = ImportJob.objects.filter(user=request.user).defer("source")[:5]
    context = {"nav_active": "imports", "form": form, "jobs": jobs, "limit_mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
    return render(request, "imports/customer_import.html", context, status=status)


def _own_job(request, pk: int) -> ImportJob:
    # A job is its uploader's own: anyone else's is a 404.
    return get_object_or_404(ImportJob.objects.defer("source"), pk=pk, user=request.user)


@login_required
@require_GET
def job_list_view(request):
    jobs = ImportJob.objects.filter(user=request.user).defer("source")[:100]
    return render(
        request, "imports/job_list.html", {"nav_active": "imports", "jobs": jobs, "can_import": request.user.has_role(*IMPORT_ROLES)}
    )


@login_required
@require_GET
def job_detail_view(request, pk: int):
    job = _own_job(request, pk)
    return render(request, "imports/job_detail.html", {"nav_active": "imports", "job": job})


@login_required
@require_GET
def job_progress_view(request, pk: int):
    job = _own_job(request, pk)
    return render(request, "imports/_job_progress.html", {"job": job})


@login_required
@require_GET
def job_report_view(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    if job.status not in (ImportStatus.REJECTED, ImportStatus.FAILED):
        return redirect("import_job", pk=job.pk)
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return _xlsx(error_report_workbook(job), f"import-errors-{job.pk}-{stamp}.xlsx")
