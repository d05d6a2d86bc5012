"""API token authentication and Idempotency-Key handling for ``/api/`` requests; the early refusals
of oversized uploads and of text no database can store."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from anxin.core.models import IdempotencyRecord

API_PREFIX = "/api/"
# A request still unanswered after this long is taken to have died (longer than any request may run).
ABANDONED_AFTER = timedelta(minutes=10)


def _token_user(request):
    # The token store lives in accounts, a layer above core: settings name the function (decision 0043).
    api_token_authenticate = import_string(settings.ANXIN_API_TOKEN_AUTHENTICATOR)
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return api_token_authenticate(raw_token=header[7:].strip())


class ApiTokenMiddleware:
    """``Authorization: Bearer <token>`` on an API path authenticates as the token's user.

    Token requests carry no cookies, so they are exempt from CSRF; session requests are not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and "Authorization" in request.headers:
            user = _token_user(request)
            request.token_authenticated = user is not None
            if user is not None:
                request.user = SimpleLazyObject(lambda: user)
                request._dont_enforce_csrf_checks = True
        return self.get_response(request)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


class IdempotencyMiddleware:
    """Same user + same ``Idempotency-Key`` + same route: the first response is replayed.

    The key is claimed in its own transaction before the handler runs, so a concurrent duplicate
    sees the claim and gets 409 instead of creating a second object. A different body under a used
    key is refused with 422. Server errors release the key so the client may retry. A response
    marked ``Cache-Control: no-store`` (it holds a secret) is not stored: its retry answers 409.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get("Idempotency-Key")
        if not key or request.method != "POST" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return self.get_response(request)
        if len(key) > 200:
            return _error(400, "invalid_idempotency_key", _("Idempotency-Key is longer than 200 characters."))
        if _bad_text(key):
            return _error(400, "invalid_idempotency_key", _("Idempotency-Key holds a character that cannot be stored (NUL)."))
        digest = hashlib.sha256(request.body).hexdigest()
        route = request.path
        # A claim without an answer this old belongs to a request that died (worker killed
        # mid-request); drop it so the key can be retried instead of answering 409 forever.
        IdempotencyRecord.objects.filter(
            user_id=user.pk, key=key, route=route, status_code__isnull=True, created_at__lt=timezone.now() - ABANDONED_AFTER
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user_id=user.pk, key=key, route=route, request_hash=digest)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user_id=user.pk, key=key, route=route).first()
            if existing is None:
                return _error(409, "idempotency_in_progress", _("A request with this Idempotency-Key is in progress."))
            if existing.request_hash != digest:
                return _error(
                    422,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used with a different request body."),
                )
            if existing.status_code is None:
                return _error(409, "idempotency_in_progress", _("A request with this Idempotency-Key is in progress."))
            response = HttpResponse(bytes(existing.body), status=existing.status_code, content_type=existing.content_type)
            response["Idempotent-Replayed"] = "true"
            return response

        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in (401, 403) or getattr(response, "streaming", False):
            record.delete()
            return response
        if "no-store" in response.get("Cache-Control", "") and response.status_code < 300:
            # The answer holds a secret shown once (a new API token): keep the claim so a retry
            # creates nothing, but store a refusal instead of the secret.
            refusal = _error(
                409,
                "idempotency_not_replayable",
                _("This request already succeeded; its answer held a secret and is not shown again."),
            )
            record.status_code, record.content_type, record.body = refusal.status_code, refusal["Content-Type"], refusal.content
        else:
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content
        record.save(update_fields=["status_code", "content_type", "body"])
        return response


def json_body(request) -> dict:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


def _refusal(request, status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    """The API's error format on an API path; the translated error page anywhere else."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": {"code": code, "message": str(message), "fields": fields or {}}}, status=status)
    from anxin.core.views import error_page

    return error_page(request, status=status, message=message)


MB = 1024 * 1024
# Room for the multipart boundaries and the small fields next to the file (kind, line, CSRF token).
FORM_OVERHEAD = 256 * 1024


class UploadSizeMiddleware:
    """A body larger than the upload limit is refused (413) from its ``Content-Length``, before it is read.

    One ceiling for every request (``ANXIN_REQUEST_MAX_MB``: a completion report with all its photos)
    and the one-file limit (``ANXIN_UPLOAD_MAX_MB``) for the views that take a single file
    (``ANXIN_SINGLE_FILE_VIEWS``); a body without files (JSON, a plain form) is held to Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``. Decision 0030.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not (request.content_type or "").startswith("multipart/") and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # JSON or a plain form is read into memory whole: Django's own limit, said in our format.
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            message = _("The request body is larger than %(limit)s KB.") % {"limit": limit // 1024}
            return _refusal(request, 413, "too_large", message)
        single = settings.ANXIN_UPLOAD_MAX_MB * MB + FORM_OVERHEAD
        if length > single:
            limit_mb = settings.ANXIN_REQUEST_MAX_MB
            if length <= limit_mb * MB + FORM_OVERHEAD:
                try:
                    view_name = resolve(request.path_info).view_name
                except Resolver404:
                    view_name = ""
                limit_mb = settings.ANXIN_UPLOAD_MAX_MB if view_name in settings.ANXIN_SINGLE_FILE_VIEWS else None
            if limit_mb is not None:
                return _refusal(
                    request,
                    413,
                    "too_large",
                    _("The upload is larger than %(limit)s MB.") % {"limit": limit_mb},
                    {"file": [_("The upload is larger than %(limit)s MB.") % {"limit": limit_mb}]},
                )
        return self.get_response(request)


def _bad_text(value: str) -> bool:
    """NUL, or a lone surrogate (``"\\ud800"`` in JSON): no database column can hold it."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_json_path(value, path: str = "") -> str | None:
    if isinstance(value, str):
        return path or "request" if _bad_text(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and _bad_text(key):
            return path or "request"
        found = _bad_json_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def _bad_parameter(request) -> str | None:
    """The first query-string, form or JSON value (or name) that holds NUL or a lone surrogate."""
    sources = [request.GET]
    if request.method in ("POST", "PUT", "PATCH"):
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                body = None  # not JSON at all: the API's parser answers that
            found = _bad_json_path(body, "")
            if found:
                return found
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            # An unreadable form is left to the view's own parsing to answer.
            with contextlib.suppress(MultiPartParserError, SuspiciousOperation):
                sources.append(request.POST)
    for source in sources:
        for key, values in source.lists():
            if _bad_text(key) or any(isinstance(v, str) and _bad_text(v) for v in values):
                return key
    return None


class TextSanityMiddleware:
    """Refuses a NUL character (or a lone surrogate) in any parameter: 422 naming it on the API, a
    translated 400 page elsewhere. PostgreSQL cannot store NUL in text (``DataError``: a 500) and
    SQLite would store it, so the request is answered before any view or query sees it (decision 0027).

    Runs after ``IdempotencyMiddleware``, which reads the raw body first (a form parsed from the
    stream could not be read raw any more).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _bad_parameter(request)
        if name is not None:
            message = _("This value holds a character that cannot be stored (NUL).")
            if request.path.startswith(API_PREFIX):
                return _refusal(request, 422, "invalid", _("Some fields are not valid."), {name: [message]})
            return _refusal(request, 400, "invalid", message)
        return self.get_response(request)
