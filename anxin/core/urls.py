from django.urls import path

from anxin.core import views_outbox

urlpatterns = [
    path("outbox/", views_outbox.outbox_deliveries, name="outbox_deliveries"),
    path("outbox/<int:pk>/retry/", views_outbox.outbox_retry, name="outbox_retry"),
]
