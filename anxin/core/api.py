"""Shared API pieces: authentication (session with CSRF, or bearer token) and the error format."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from anxin.core.errors import ApplicationError, PermissionDenied
from anxin.core.limits import ID_MAX, date_range_message, in_business_range, max_length_of

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


# --- Input types ------------------------------------------------------------------------------
# Every schema states the database's own bounds, so long or odd input is a 422 naming the field
# on every database (PostgreSQL would raise DataError, SQLite would store past the model's limit).
# Lengths come from the model fields, never retyped (decision 0027).
INT_MAX = 2**31 - 1  # (Positive)IntegerField on every database: versions, quantities
PAGE_MAX = 100_000  # keeps OFFSET (page × page_size) far below what a database accepts
PAGE_SIZE_MAX = 200


def model_text(model, field_name: str) -> Any:
    """``str`` at most as long as ``model.field_name`` allows (a TextField: ``TEXT_MAX_LENGTH``)."""
    return Annotated[str, Field(max_length=max_length_of(model, field_name))]


def one_of(values: Iterable) -> Any:
    """A closed set of strings, documented as an enum (e.g. ``one_of(OrderType.values)``)."""
    return Literal[tuple(dict.fromkeys(str(v) for v in values))]


def _in_business_range(value: date | datetime) -> date | datetime:
    if not in_business_range(value):
        raise PydanticCustomError("date_out_of_range", date_range_message())
    return value


Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Version = Annotated[int, Field(ge=1, le=INT_MAX)]
PageNumber = Annotated[int, Field(ge=1, le=PAGE_MAX)]
PageSize = Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX)]
Moment = Annotated[datetime, AfterValidator(_in_business_range)]
Day = Annotated[date, AfterValidator(_in_business_range)]


def page_slice(page: int, page_size: int | None) -> slice:
    """The rows of page ``page`` (1-based); ``page_size`` None is the configured default."""
    size = page_size or settings.ANXIN_PAGE_SIZE
    return slice((page - 1) * size, page * size)


# --- The error format in the OpenAPI document ---------------------------------------------------
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. invalid, not_found, stale_version."},
                "message": {"type": "string", "description": "A sentence for people, in the request's language."},
                "fields": {
                    "type": "object",
                    "description": "Messages per field (``lines.0.symptom``); empty when the error concerns the whole request.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    400: "The request was refused; ``fields`` names what to correct.",
    401: "Not logged in, or the API token is unknown, revoked or expired.",
    403: "Logged in, but this role may not do this (or the CSRF token is missing).",
    404: "No such object in your scope.",
    409: "Conflicts with the current state (another user changed it first, an Idempotency-Key in use).",
    413: "The request body is larger than the upload limit (refused before it is read).",
    422: "A parameter or body field is missing, of the wrong type, or out of range; ``fields`` names it.",
    429: "Too many requests; wait and try again.",
    503: "The service is temporarily unavailable (e.g. the database); try again later.",
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def document_errors(schema: dict) -> dict:
    """Add the error responses to every operation of an OpenAPI document (all in the one error format).

    Every operation may answer 400, 401, 403, 422, 429 and 503; one with a path parameter 404; one
    that writes 409; one that takes a file 413.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "head", "options", *UNSAFE_METHODS}:
                continue
            codes = {400, 401, 403, 422, 429, 503}
            if "{" in path:
                codes.add(404)
            if method in UNSAFE_METHODS:
                codes.add(409)
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                codes.add(413)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(str(code), {"description": ERROR_RESPONSES[code], "content": content})
    return schema


class AnxinAPI(NinjaAPI):
    """The project's NinjaAPI: its OpenAPI document lists the error responses of every operation."""

    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def unavailable_body() -> dict:
    return error_body("unavailable", _("The service is temporarily unavailable; try again in a few minutes."))


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

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request, exc: DatabaseError):
        logger.error("API request failed, database unavailable: %s %s: %s", request.method, request.path, exc)
        response = api.create_response(request, unavailable_body(), status=503)
        response["Retry-After"] = "60"
        return response

    @api.exception_handler(Exception)
    def server_error(request, exc: Exception):
        # Unexpected failures still answer in the error format; the signal lets Django's test client
        # re-raise and error reporters see the exception, as for any unhandled view error.
        logger.exception("API request failed: %s %s", request.method, request.path)
        got_request_exception.send(sender=None, request=request)
        return api.create_response(request, error_body("server_error", _("Something went wrong on our side; try again later.")), status=500)
