"""The central mapping from an ``ApplicationError`` to what an HTML / htmx page shows.

A view catches ``ApplicationError`` from the one service it calls and hands it to ``ui_error``;
the page gets a translated message, the field errors (keyed like the service's ``fields``, so a
template can put them next to the input of the same name) and the HTTP status: 400 invalid data,
403 not allowed, 404 not found, 409 conflict (illegal transition, stale version).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed

# Labels for the field keys the services use; a page may pass more (or override) in ``labels``.
FIELD_LABELS: dict[str, object] = {
    "action": gettext_lazy("Action"),
    "address": gettext_lazy("Address"),
    "appliance": gettext_lazy("Appliance"),
    "appointment_end": gettext_lazy("Appointment until"),
    "appointment_start": gettext_lazy("Appointment from"),
    "channel": gettext_lazy("Channel"),
    "comment": gettext_lazy("Comment"),
    "customer": gettext_lazy("Customer"),
    "description": gettext_lazy("Description"),
    "expected_version": gettext_lazy("Version"),
    "fault_code": gettext_lazy("Fault code"),
    "hazard_note": gettext_lazy("Hazard details"),
    "hazard_type": gettext_lazy("Safety hazard"),
    "kind": gettext_lazy("Kind"),
    "starts_on": gettext_lazy("Starts on"),
    "ends_on": gettext_lazy("Ends on"),
    "return_kind": gettext_lazy("Return or exchange"),
    "lines": gettext_lazy("Appliances"),
    "order_type": gettext_lazy("Type"),
    "outlet": gettext_lazy("Outlet"),
    "priority": gettext_lazy("Priority"),
    "problem_solved": gettext_lazy("Problem solved"),
    "product_model": gettext_lazy("Product model"),
    "reason": gettext_lazy("Reason"),
    "resolution": gettext_lazy("Resolution"),
    "satisfaction": gettext_lazy("Satisfaction"),
    "symptom": gettext_lazy("Symptom"),
    "technician": gettext_lazy("Technician"),
}


@dataclass(frozen=True)
class UIError:
    """What a page shows for a refused request; ``fields`` keeps the service's keys."""

    code: str
    message: str
    status: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    # [{"key": "lines.0.fault_code", "label": "Appliance 1: Fault code", "messages": [...]}] for the alert.
    summary: list[dict] = field(default_factory=list)

    def for_field(self, key: str) -> list[str]:
        return self.fields.get(key, [])


def field_label(key: str, labels: Mapping[str, object] | None = None) -> str:
    """``lines.0.fault_code`` → "Appliance 1: Fault code"; unknown keys are shown as they are."""
    merged = {**FIELD_LABELS, **(labels or {})}
    if key in merged:
        return str(merged[key])
    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        inner = str(merged.get(parts[2], parts[2]))
        return _("%(group)s %(number)s: %(field)s") % {
            "group": str(merged.get(parts[0], parts[0])),
            "number": int(parts[1]) + 1,
            "field": inner,
        }
    return key


def ui_error(exc: Exception, *, labels: Mapping[str, object] | None = None) -> UIError:
    """Translate an application (or Django 403/404) error for a page."""
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    if not isinstance(exc, ApplicationError):
        raise TypeError(f"ui_error() maps ApplicationError, not {type(exc).__name__}")
    fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    summary = [{"key": k, "label": field_label(k, labels), "messages": msgs} for k, msgs in fields.items()]
    message = str(exc.message)
    if isinstance(exc, ValidationFailed) and fields and message == str(ValidationFailed.default_message):
        # Name the fields in the headline, so a short toast still says what is missing.
        message = _("Please check: %(fields)s.") % {"fields": _(", ").join(item["label"] for item in summary)}
    return UIError(code=exc.code, message=message, status=exc.status, fields=fields, summary=summary)


def form_errors(form: forms.BaseForm) -> ValidationFailed:
    """A bound form's errors as the same ``ValidationFailed`` a service raises (one path to the page)."""
    fields = {("" if key == "__all__" else key): [str(m) for m in msgs] for key, msgs in form.errors.items()}
    general = fields.pop("", [])
    return ValidationFailed(" ".join(general) or None, fields=fields)


def add_service_errors(form: forms.BaseForm, exc: ValidationFailed, field_map: Mapping[str, str] | None = None) -> None:
    """Put a service's field errors on a form's fields (unknown keys become form-wide errors)."""
    field_map = field_map or {}
    if not exc.fields:
        form.add_error(None, str(exc.message))
        return
    for key, messages in exc.fields.items():
        name = field_map.get(key, key)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def render_error(
    request: HttpRequest,
    template: str,
    context: dict,
    exc: Exception,
    *,
    labels: Mapping[str, object] | None = None,
) -> HttpResponse:
    """Render ``template`` with ``error`` in the context and the error's HTTP status.

    ``web/partials/form_errors.html`` shows ``error`` (message and the fields by label).
    """
    error = ui_error(exc, labels=labels)
    return render(request, template, {**context, "error": error}, status=error.status)
