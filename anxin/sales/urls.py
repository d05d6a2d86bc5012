from django.urls import path

from anxin.sales import views

urlpatterns = [
    path("", views.sale_list_view, name="sale_list"),
    path("new/", views.sale_create_view, name="sale_create"),
    path("review/", views.sale_review_list, name="sale_review_list"),
    path("<int:pk>/review/", views.sale_review_view, name="sale_review"),
]
