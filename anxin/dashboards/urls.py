from django.urls import path

from anxin.dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
]
