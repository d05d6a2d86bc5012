"""The "Event deliveries" page (事件投递): stuck durable handlers and the retry action. HQ managers
only; other roles 403 (like the other HQ settings pages), an unknown delivery 404 (decision 0040)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from anxin.core import outbox
from anxin.core.errors import Conflict, NotFound


def _require_outbox_manager(user) -> None:
    if not outbox.may_manage_outbox(user):
        raise PermissionDenied


@login_required
@require_GET
def outbox_deliveries(request):
    _require_outbox_manager(request.user)
    context = {"nav_active": "outbox", "overview": outbox.outbox_overview(), "max_attempts": outbox.max_attempts()}
    return render(request, "core/outbox_deliveries.html", context)


@login_required
@require_POST
def outbox_retry(request, pk: int):
    _require_outbox_manager(request.user)
    try:
        delivery = outbox.delivery_retry(actor=request.user, delivery_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.warning(request, str(exc.message))
    else:
        messages.success(
            request,
            _("“%(handler)s” will run again for event #%(event)s.") % {"handler": delivery.handler, "event": delivery.event_id},
        )
    return redirect("outbox_deliveries")
