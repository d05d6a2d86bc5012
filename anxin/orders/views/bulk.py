"""The queue's bulk bar (批量操作): parses the form and calls ``orders.workflow.bulk.bulk_apply``
(each order in its own transaction; the service names every refused one with its reason)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anxin.orders.workflow.bulk import MAX_BULK, bulk_actions_for, bulk_apply, bulk_fields, bulk_label, bulk_transitions

__all__ = ["bulk_actions_for", "bulk_apply", "order_bulk"]  # the service's names, as the worklist page knows them


def _ids(values) -> list[int]:
    seen: list[int] = []
    for value in values:
        if str(value).isdigit() and int(value) not in seen:
            seen.append(int(value))
    return seen


@login_required
@require_POST
def order_bulk(request):
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    back = back or reverse("order_list")
    action = request.POST.get("action", "")
    if action not in dict(bulk_actions_for(request.user)):
        messages.error(request, _("Choose an action you may take."))
        return redirect(back)
    ids = _ids(request.POST.getlist("ids"))
    if not ids:
        messages.error(request, _("Select at least one work order."))
        return redirect(back)
    if len(ids) > MAX_BULK:
        return HttpResponseBadRequest(_("At most %(n)s orders at once.") % {"n": MAX_BULK})
    data = {key: request.POST.get(key, "").strip() for key in bulk_fields(action)}
    missing = [key for key, value in data.items() if not value]
    if missing:
        names = {"outlet": _("Outlet"), "reason": _("Reason")}
        messages.error(request, _("Required for this action: %(fields)s.") % {"fields": "、".join(str(names.get(k, k)) for k in missing)})
        return redirect(back)
    results = bulk_apply(actor=request.user, action=action, order_ids=ids, data=data)
    done = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    if done:
        messages.success(
            request,
            _("%(action)s: %(n)s orders done (%(numbers)s).")
            % {"action": bulk_label(bulk_transitions()[action]), "n": len(done), "numbers": ", ".join(r["number"] for r in done)},
        )
    for r in failed:
        messages.error(request, _("%(number)s not changed: %(error)s") % {"number": r["number"], "error": r["error"]})
    return redirect(back)
