from django.urls import path

from anxin.sales import views

urlpatterns = [
    path("", views.sale_list_view, name="sale_list"),
    path("new/", views.sale_create_view, name="sale_create"),
]
