"""One application-error hierarchy, mapped centrally to the API error format and to UI messages.

A service raises one of these; views and API handlers never build error responses themselves.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of every expected business error. ``fields`` maps a field (or ``row.field``) to messages."""

    status = 400
    code = "error"
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = {k: [str(m) for m in (v if isinstance(v, list | tuple) else [v])] for k, v in (fields or {}).items()}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": str(self.message), "fields": self.fields}}


class ValidationFailed(ApplicationError):
    status = 400
    code = "invalid"
    default_message = _("Some fields are not valid.")


class PermissionDenied(ApplicationError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state; reload and try again.")


class InvalidTransition(Conflict):
    code = "invalid_transition"


class StaleVersion(Conflict):
    code = "stale_version"
    default_message = _("Someone else changed this record first; reload and try again.")


class TooManyRequests(ApplicationError):
    """A per-user limit was reached (e.g. customer searches per minute); the caller waits and retries."""

    status = 429
    code = "too_many_requests"
    default_message = _("Too many requests; wait a moment and try again.")
