from django.urls import path

from . import views

urlpatterns = [
    path("", views.customer_list_view, name="customer_list"),
    path("export/", views.customer_export, name="customer_export"),
    path("new/", views.customer_create_view, name="customer_create"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/appliances/new/", views.appliance_create, name="appliance_create"),
]
