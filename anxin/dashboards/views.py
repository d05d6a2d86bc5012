"""The home dashboard (工作台): KPI tiles and one chart, chosen by role, all counted in scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from anxin.accounts.choices import Role
from anxin.customers.services import CUSTOMER_CREATE_ROLES
from anxin.dashboards import selectors
from anxin.orders.choices import DONE_STATUSES, FIELD_STATUSES, OPEN_STATUSES, OrderStatus
from anxin.telephony.selectors import follow_ups_due

# Chart per role: managers follow the flow over time, outlets and technicians the current queue.
STATUS_CHART_ROLES = (Role.OUTLET_MANAGER, Role.TECHNICIAN, Role.PARTS_CLERK)

# Role-specific panel above the tiles (search box, shortcuts); roles without one get none.
ROLE_PANELS = {
    Role.AGENT: "dashboards/panels/agent.html",
    Role.CALLBACK_AGENT: "dashboards/panels/callback_agent.html",
    Role.OUTLET_MANAGER: "dashboards/panels/outlet_manager.html",
    Role.TECHNICIAN: "dashboards/panels/technician.html",
    Role.DEALER: "dashboards/panels/dealer.html",
}

# Tiles per role, in display order (keys of the tile table built in ``_tiles``).
ROLE_TILES: dict[str, tuple[str, ...]] = {
    Role.HQ_MANAGER: ("open", "overdue", "unrouted", "completed_today", "callbacks_pending", "very_satisfied"),
    Role.TECH_LEAD: ("open", "in_field", "completed_today", "very_satisfied"),
    Role.QUALITY: ("callbacks_pending", "callbacks_late", "overdue", "very_satisfied"),
    Role.SETTLEMENT: ("completed_today", "callbacks_pending", "open"),
    Role.REGION_DIRECTOR: ("open", "overdue", "unrouted", "completed_today", "callbacks_pending", "very_satisfied"),
    Role.AGENT: ("created_today", "open", "unrouted", "overdue"),
    Role.CALLBACK_AGENT: ("callbacks_pending", "callbacks_late", "very_satisfied", "completed_today"),
    Role.PARTS_CLERK: ("open", "in_field", "completed_today"),
    Role.OUTLET_MANAGER: ("to_accept", "to_assign", "in_field", "overdue", "completed_today", "very_satisfied"),
    Role.TECHNICIAN: ("jobs_today", "open", "completed_today", "overdue"),
    Role.DEALER: ("registered_customers", "open", "completed_today", "very_satisfied"),
}
DEFAULT_TILES = ("open", "overdue", "completed_today", "callbacks_pending", "very_satisfied")

TILE_LABELS = {
    "open": gettext_lazy("Open orders"),
    "overdue": gettext_lazy("Visit overdue"),
    "unrouted": gettext_lazy("Waiting for routing"),
    "to_accept": gettext_lazy("To accept"),
    "to_assign": gettext_lazy("To assign"),
    "in_field": gettext_lazy("With technicians"),
    "created_today": gettext_lazy("Created today"),
    "completed_today": gettext_lazy("Completed today"),
    "callbacks_pending": gettext_lazy("Callbacks pending"),
    "callbacks_late": gettext_lazy("Callbacks late"),
    "jobs_today": gettext_lazy("My jobs today"),
    "very_satisfied": gettext_lazy("Very satisfied (30 days)"),
    "registered_customers": gettext_lazy("Customers registered"),
}


@dataclass
class Tile:
    key: str
    label: str
    value: str
    tone: str = ""
    url: str = ""
    hint: str = ""


def _status_url(*statuses: str) -> str:
    return reverse("order_list") + "?status=" + ",".join(statuses)


def _tiles(user, keys: tuple[str, ...], figures: selectors.OrderFigures) -> list[Tile]:
    tiles = []
    for key in keys:
        tile = Tile(key=key, label=str(TILE_LABELS[key]), value="")
        if key == "very_satisfied":
            rate = figures.very_satisfied_rate
            tile.value = "—" if rate is None else f"{rate:.0%}"
            tile.hint = _("%(n)s rated") % {"n": figures.rated}
            tile.tone = "" if rate is None else ("green" if rate >= 0.7 else "amber")
        elif key == "registered_customers":
            tile.value = str(selectors.registered_customer_count(user=user))
            tile.url = reverse("customer_list")
        else:
            value = getattr(figures, key)
            tile.value = str(value)
            if key in ("overdue", "callbacks_late") and value:
                tile.tone = "red"
        tile.url = tile.url or _tile_url(user, key)
        tiles.append(tile)
    return tiles


def _tile_url(user, key: str) -> str:
    if key in ("callbacks_pending", "callbacks_late") and user.has_role(
        Role.HQ_MANAGER, Role.CALLBACK_AGENT, Role.QUALITY, Role.REGION_DIRECTOR
    ):
        return reverse("callback_queue")
    if key == "jobs_today" and user.has_role(Role.TECHNICIAN):
        return reverse("technician_jobs")
    by_status = {
        "open": OPEN_STATUSES,
        "unrouted": (OrderStatus.CREATED, OrderStatus.REJECTED),
        "to_accept": (OrderStatus.ROUTED,),
        "to_assign": (OrderStatus.ACCEPTED,),
        "in_field": FIELD_STATUSES,
        "callbacks_pending": DONE_STATUSES,
    }
    return _status_url(*by_status[key]) if key in by_status else ""


def _chart(user) -> dict:
    if user.role in STATUS_CHART_ROLES:
        rows = selectors.orders_by_status(user=user)
        labels = dict(OrderStatus.choices)
        return {
            "kind": "status",
            "title": _("Orders in progress by status"),
            "categories": [str(labels[s]) for s, _n in rows],
            "series": [{"name": _("Orders"), "data": [n for _s, n in rows]}],
            "empty": not rows,
        }
    trend = selectors.order_trend(user=user)
    return {
        "kind": "trend",
        "title": _("Last 14 days: created and completed"),
        "categories": trend["days"],
        "series": [
            {"name": pgettext("chart series", "Created"), "data": trend["created"]},
            {"name": pgettext("chart series", "Completed"), "data": trend["completed"]},
        ],
        "empty": not any(trend["created"]) and not any(trend["completed"]),
    }


@login_required
@require_GET
def home(request):
    user = request.user
    figures = selectors.order_figures(user=user)
    keys = ROLE_TILES.get(user.role, DEFAULT_TILES) if not user.is_superuser else ROLE_TILES[Role.HQ_MANAGER]
    context = {
        "nav_active": "home",
        "tiles": _tiles(user, keys, figures),
        "chart": _chart(user),
        "role": user.role,
        "role_panel": ROLE_PANELS.get(user.role, ""),
        "can_create_customer": user.has_role(*CUSTOMER_CREATE_ROLES),
        "can_search_customers": user.has_role(Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT, Role.REGION_DIRECTOR, Role.DEALER),
    }
    if user.role in (Role.AGENT, Role.CALLBACK_AGENT):
        context["follow_ups"] = follow_ups_due(user=user)
    return render(request, "dashboards/home.html", context)
