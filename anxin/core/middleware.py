"""API token authentication and Idempotency-Key handling for ``/api/`` requests."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from anxin.core.models import IdempotencyRecord

API_PREFIX = "/api/"
# A request still unanswered after this long is taken to have died (longer than any request may run).
ABANDONED_AFTER = timedelta(minutes=10)


def _token_user(request):
    from anxin.accounts.services import api_token_authenticate

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
