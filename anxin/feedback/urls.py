from django.urls import path

from . import views

urlpatterns = [
    path("", views.callback_queue, name="callback_queue"),
    path("<int:order_pk>/", views.callback_record, name="callback_record"),
]
