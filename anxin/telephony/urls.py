from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("pop/", views.screen_pop, name="screen_pop"),
    path("pop/stream/", views.screen_pop_stream, name="screen_pop_stream"),
    path("pop/<int:pk>/dismiss/", views.screen_pop_dismiss, name="screen_pop_dismiss"),
    path("extension/", views.extension_edit, name="extension_edit"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
