"""Bulk actions on the queue (批量操作): reroute, accept or cancel several orders at once.

Each order goes through ``orders.services.order_transition`` in its own transaction: one refused
order does not undo the others, and the page names it with the reason. Ids outside the user's
scope are reported as not found, exactly like ids that do not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anxin.core.errors import ApplicationError, NotFound
from anxin.orders.choices import OrderStatus
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import order_transition
from anxin.orders.workflow.transitions import TRANSITIONS, role_of

# The bulk actions: key → (label, transition(s) it runs, the data fields it needs).
BULK_ACTIONS = {
    "reroute": (gettext_lazy("Reroute to outlet"), ("reroute", "route"), ("outlet", "reason")),
    "accept": (gettext_lazy("Accept"), ("accept",), ()),
    "cancel": (gettext_lazy("Cancel"), ("cancel",), ("reason",)),
}
MAX_BULK = 200


def bulk_actions_for(user) -> list[tuple[str, object]]:
    """The bulk actions ``user``'s role may take (same roles as the transitions they run)."""
    role = role_of(user)
    return [(key, label) for key, (label, actions, _fields) in BULK_ACTIONS.items() if any(role in TRANSITIONS[a].roles for a in actions)]


def _transition_for(action: str, status: str) -> str:
    """Rerouting an order not routed yet (created) or rejected by its outlet is a plain ``route``."""
    if action == "reroute" and status in (OrderStatus.CREATED, OrderStatus.REJECTED):
        return "route"
    return BULK_ACTIONS[action][1][0]


def bulk_apply(*, actor, action: str, order_ids: list[int], data: dict) -> list[dict]:
    """Run ``action`` on each order separately; one result per id: ``{"id", "number", "ok", "error"}``."""
    results = []
    visible = {o.pk: o for o in WorkOrder.objects.visible_to(actor).filter(pk__in=order_ids).only("pk", "number", "status")}
    for order_id in order_ids:
        order = visible.get(order_id)
        if order is None:
            results.append({"id": order_id, "number": f"#{order_id}", "ok": False, "error": _("Work order not found.")})
            continue
        try:
            order_transition(order_id=order_id, action=_transition_for(action, order.status), actor=actor, data=dict(data))
        except NotFound:
            results.append({"id": order_id, "number": order.number or f"#{order_id}", "ok": False, "error": _("Work order not found.")})
        except ApplicationError as exc:
            results.append({"id": order_id, "number": order.number or f"#{order_id}", "ok": False, "error": _error_text(exc)})
        else:
            results.append({"id": order_id, "number": order.number or f"#{order_id}", "ok": True, "error": ""})
    return results


def _error_text(exc: ApplicationError) -> str:
    fields = getattr(exc, "fields", None) or {}
    parts = [str(exc.message) if getattr(exc, "message", None) else str(exc)]
    for name, problem in fields.items():
        problems = problem if isinstance(problem, list | tuple) else [problem]
        parts.append(f"{name}: {' '.join(str(p) for p in problems)}")
    return " — ".join(p for p in parts if p)


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
    data = {key: request.POST.get(key, "").strip() for key in BULK_ACTIONS[action][2]}
    missing = [key for key, value in data.items() if not value]
    if missing:
        names = {"outlet": _("Outlet"), "reason": _("Reason")}
        messages.error(request, _("Required for this action: %(fields)s.") % {"fields": "、".join(str(names[k]) for k in missing)})
        return redirect(back)
    results = bulk_apply(actor=request.user, action=action, order_ids=ids, data=data)
    done = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    if done:
        messages.success(
            request,
            _("%(action)s: %(n)s orders done (%(numbers)s).")
            % {"action": BULK_ACTIONS[action][0], "n": len(done), "numbers": ", ".join(r["number"] for r in done)},
        )
    for r in failed:
        messages.error(request, _("%(number)s not changed: %(error)s") % {"number": r["number"], "error": r["error"]})
    return redirect(back)
