from django.urls import path

from anxin.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("customers/", views.customer_list, name="customer_list"),
    path("callbacks/", views.callback_queue, name="callback_queue"),
    path("jobs/", views.technician_jobs, name="technician_jobs"),
]
