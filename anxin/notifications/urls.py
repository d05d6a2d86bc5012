from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("bell/", views.notification_bell, name="notification_bell"),
    path("read/", views.notification_read, name="notification_read"),
    path("<int:pk>/open/", views.notification_open, name="notification_open"),
]
