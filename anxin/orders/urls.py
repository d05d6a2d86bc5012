from django.urls import path

from . import views

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("export/", views.order_export, name="order_export"),
    path("new/", views.order_create_view, name="order_create"),
    path("jobs/", views.technician_jobs, name="technician_jobs"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/actions/<slug:action>/", views.order_action, name="order_action"),
]
