"""Shared API pieces: authentication (session with CSRF, or bearer token) and the error format."""

from __future__ import annotations

import logging

from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from anxin.core.errors import ApplicationError, PermissionDenied

logger = logging.getLogger("anxin.api")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ax_…``; the token is resolved by ``ApiTokenMiddleware``."""

    def authenticate(self, request, token):
        if getattr(request, "token_authenticated", False):
            return request.user
        return None


class BrowserSessionAuth(SessionAuth):
    """The browser's login session; unsafe methods need the CSRF token (X-CSRFToken header).

    Ninja's ``SessionAuth`` checks CSRF before it looks at the session, so an anonymous POST would
    answer 403; here an anonymous request is simply not authenticated (401), and a logged-in one
    without a valid CSRF token is refused with ``csrf_failed``.
    """

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise PermissionDenied(
                _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value."), code="csrf_failed"
            )
        return user


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def install_error_handlers(api) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "data")]
            fields.setdefault(".".join(loc) or "request", []).append(err.get("msg", ""))
        return api.create_response(request, error_body("invalid", _("Some fields are not valid."), fields), status=422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(request, error_body("unauthenticated", _("Log in or send a valid API token.")), status=401)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)

    @api.exception_handler(Exception)
    def server_error(request, exc: Exception):
        # Unexpected failures still answer in the error format; the signal lets Django's test client
        # re-raise and error reporters see the exception, as for any unhandled view error.
        logger.exception("API request failed: %s %s", request.method, request.path)
        got_request_exception.send(sender=None, request=request)
        return api.create_response(request, error_body("server_error", _("Something went wrong on our side; try again later.")), status=500)
