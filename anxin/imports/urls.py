from django.urls import path

from anxin.imports import views

urlpatterns = [
    path("customers/", views.customer_import_view, name="customer_import"),
    path("customers/template.xlsx", views.customer_template_view, name="customer_import_template"),
    path("jobs/", views.job_list_view, name="import_jobs"),
    path("jobs/<int:pk>/", views.job_detail_view, name="import_job"),
    path("jobs/<int:pk>/progress/", views.job_progress_view, name="import_job_progress"),
    path("jobs/<int:pk>/report.xlsx", views.job_report_view, name="import_job_report"),
]
