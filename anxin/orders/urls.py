from django.urls import path

from anxin.orders.views import bulk as views_bulk
from anxin.orders.views import completion as views_completion
from anxin.orders.views import detail as views
from anxin.orders.views import sla as views_sla
from anxin.orders.views import slip as views_slip
from anxin.orders.views import worklist as views_list

urlpatterns = [
    path("", views_list.order_list, name="order_list"),
    path("export/", views_list.order_export, name="order_export"),
    path("tabs/", views_list.order_tab_counts, name="order_tab_counts"),
    path("bulk/", views_bulk.order_bulk, name="order_bulk"),
    path("new/", views.order_create_view, name="order_create"),
    path("jobs/", views.technician_jobs, name="technician_jobs"),
    path("sla/", views_sla.sla_policy_list, name="sla_policy_list"),
    path("sla/new/", views_sla.sla_policy_edit, name="sla_policy_create"),
    path("sla/<int:pk>/", views_sla.sla_policy_edit, name="sla_policy_edit"),
    path("sla/grading/", views_sla.grade_policy_edit, name="grade_policy_edit"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/complete/", views_completion.order_complete, name="order_complete"),
    path("<int:pk>/slip.pdf", views_slip.order_slip, name="order_slip"),
    path("<int:pk>/actions/<slug:action>/", views.order_action, name="order_action"),
    path("attachments/<int:pk>/", views_completion.attachment_download, name="order_attachment"),
]
