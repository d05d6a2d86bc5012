from django.urls import include, path

from anxin.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", include("anxin.customers.urls")),
    path("orders/", include("anxin.orders.urls")),
    path("callbacks/", include("anxin.feedback.urls")),
    path("telephony/", include("anxin.telephony.urls")),
    path("sales/", include("anxin.sales.urls")),
    path("imports/", include("anxin.imports.urls")),
    path("notifications/", include("anxin.notifications.urls")),
    path("complaints/", include("anxin.complaints.urls")),
]
