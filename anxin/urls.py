from django.contrib.auth import views as auth_views
from django.urls import include, path

from anxin.api import api
from anxin.core.views import healthz

# A database that does not answer is a 503 (API error format or a translated page), not a bare 500.
handler500 = "anxin.core.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("system/", include("anxin.core.urls")),
    path("", include("anxin.dashboards.urls")),
    path("customers/", include("anxin.customers.urls")),
    path("orders/", include("anxin.orders.urls")),
    path("callbacks/", include("anxin.feedback.urls")),
    path("telephony/", include("anxin.telephony.urls")),
    path("sales/", include("anxin.sales.urls")),
    path("imports/", include("anxin.imports.urls")),
    path("notifications/", include("anxin.notifications.urls")),
    path("complaints/", include("anxin.complaints.urls")),
]
