import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("anxin.errors")
# The database did not answer (down, restarting, out of connections): a 503, never a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@require_GET
@never_cache
def healthz(request):
    """Liveness plus a real database round trip; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def error_page(request, *, status: int, message: str, title: str | None = None) -> HttpResponse:
    """A translated error page that needs neither the database nor the logged-in user (it does not
    extend the base layout, whose navigation reads both)."""
    titles = {
        400: _("The request could not be processed"),
        413: _("The upload is too large"),
        500: _("Something went wrong"),
        503: _("Service temporarily unavailable"),
    }
    html = render_to_string("core/error.html", {"status": status, "title": title or titles.get(status, titles[500]), "message": message})
    response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


def server_error(request):
    """``handler500``: an error that escaped every view and middleware. A database that does not
    answer is a 503 (the API's error format under /api/, a translated page elsewhere), whatever
    layer hit it first (token authentication, the session, the view)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_UNAVAILABLE):
        from anxin.core.api import unavailable_body

        if request.path.startswith("/api/"):
            response = JsonResponse(unavailable_body(), status=503)
            response["Retry-After"] = "60"
            return response
        return error_page(request, status=503, message=_("The service is temporarily unavailable; try again in a few minutes."))
    return error_page(request, status=500, message=_("Something went wrong on our side; try again later."))
