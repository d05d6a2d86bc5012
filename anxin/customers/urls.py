from django.urls import path

from . import views

urlpatterns = [
    path("", views.customer_list_view, name="customer_list"),
    path("export/", views.customer_export, name="customer_export"),
    path("new/", views.customer_create_view, name="customer_create"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/opt-out/", views.customer_opt_out, name="customer_opt_out"),
    path("<int:pk>/reveal/", views.customer_reveal, name="customer_reveal"),
    path("<int:pk>/phones/new/", views.phone_create, name="phone_create"),
    path("<int:pk>/phones/<int:phone_pk>/remove/", views.phone_delete, name="phone_delete"),
    path("<int:pk>/phones/<int:phone_pk>/primary/", views.phone_primary, name="phone_primary"),
    path("<int:pk>/addresses/new/", views.address_create_view, name="address_create"),
    path("<int:pk>/addresses/<int:address_pk>/correct/", views.address_correct_view, name="address_correct"),
    path("<int:pk>/addresses/<int:address_pk>/primary/", views.address_primary, name="address_primary"),
    path("<int:pk>/merge/", views.customer_merge_pick, name="customer_merge"),
    path("<int:pk>/merge/<int:other_pk>/", views.customer_merge_confirm, name="customer_merge_confirm"),
    path("<int:pk>/appliances/new/", views.appliance_create, name="appliance_create"),
]
